"""One way to send a stored file, whichever store holds it, and the short plain-text answers
of the download routes (signed out, not found), in the visitor's language."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from portal_app.core.i18n import LANGUAGE_COOKIE, choose_language, gettext, use_language
from portal_app.storage import StoredObject


def plain_text(
    request: Request, message: str, status_code: int, headers: dict[str, str] | None = None
) -> PlainTextResponse:
    """`message` (an English msgid, marked with N_) translated for this browser: the
    sign-in page's language choice (cookie), else Accept-Language, else English. Used where
    no session is known (signed out) or none is needed (not found)."""
    language = choose_language(
        contact_choice=None,
        accept_language=request.headers.get("accept-language", ""),
        company_locale="",
        visitor_choice=request.cookies.get(LANGUAGE_COOKIE),
    )
    with use_language(language):
        text = gettext(message)
    return PlainTextResponse(text, status_code=status_code, headers=headers)


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
