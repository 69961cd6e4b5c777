"""One way to send a stored file, whichever store holds it."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, Response, StreamingResponse

from portal_app.storage import StoredObject


def file_response(
    body: bytes | Path | StoredObject, *, media_type: str, headers: dict[str, str]
) -> Response:
    """Bytes as they are, a local store's file (with range support), or another store's object
    streamed in chunks (never read whole into memory)."""
    if isinstance(body, bytes):
        return Response(body, media_type=media_type, headers=headers)
    if isinstance(body, StoredObject):
        length = {"Content-Length": str(body.size)} if body.size else {}
        return StreamingResponse(body.chunks, media_type=media_type, headers=headers | length)
    return FileResponse(body, media_type=media_type, headers=headers)
