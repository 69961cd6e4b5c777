"""Files the portal builds for one session (a long statement PDF), kept briefly, served once signed.

Built in a background event, they are too large to travel over the websocket or sit in Reflex
state, and must never go to Reflex's upload folder (served to anyone). They are written under
<documents_root>/generated/<company>/<client>/<file id>/<file name> and served by
GET /api/files/{token}. The token (core.signing, its own purpose) names the file id and binds the
company, client, contact and session that built it: a leaked URL is useless to any other session
and dies with the token (settings.download_token_seconds). Files outlive their token by a minute
at most: every save sweeps the older ones away (cleanup_generated; also callable from a job).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from portal_app.core import signing
from portal_app.core.errors import NotFoundError
from portal_app.core.files import download_filename
from portal_app.core.settings import Settings, get_settings
from portal_app.services.identity.actor import Actor

GENERATED_DIR = "generated"
# What legacy download tokens (before itsdangerous) of built files began with.
LEGACY_TOKEN_KIND = "g"
# A file is kept this long past its token's life (a download that started just in time).
GRACE_SECONDS = 60
# One client keeps at most this many built files at a time; older ones go on each save.
MAX_FILES_PER_CLIENT = 5
MEDIA_TYPES = {".pdf": "application/pdf", ".zip": "application/zip"}

_FILE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """A built file and the signed token that downloads it."""

    file_id: str
    filename: str
    size_bytes: int
    token: str


def generated_root(settings: Settings | None = None) -> Path:
    """The private folder of built files (inside the documents root, never the upload dir)."""
    return Path((settings or get_settings()).documents_root) / GENERATED_DIR


def _client_dir(company_id: int, client_id: int, settings: Settings | None) -> Path:
    return generated_root(settings) / str(int(company_id)) / str(int(client_id))


def save_generated(
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    settings: Settings | None = None,
    now: float | None = None,
) -> GeneratedFile:
    """Keep `data` for the actor's session and sign a download token for it.

    `filename` is what the browser saves it as (made ASCII-safe); its extension must be one of
    MEDIA_TYPES. Old files (any client's, and this client's beyond MAX_FILES_PER_CLIENT) are
    removed first, so the folder never grows without bound.
    """
    settings = settings or get_settings()
    name = download_filename(filename)
    if Path(name).suffix.lower() not in MEDIA_TYPES:
        raise ValueError(f"cannot serve a generated file named {filename!r}")
    cleanup_generated(settings=settings, now=now)
    client_dir = _client_dir(actor.company_id, actor.client_id, settings)
    _trim_client(client_dir, keep=MAX_FILES_PER_CLIENT - 1)
    file_id = secrets.token_hex(16)
    folder = client_dir / file_id
    folder.mkdir(parents=True, exist_ok=False)
    # Write then rename, so the route never serves a half-written file.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, folder / name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    token = make_generated_token(file_id, actor, now=now)
    return GeneratedFile(file_id=file_id, filename=name, size_bytes=len(data), token=token)


def make_generated_token(file_id: str, actor: Actor, *, now: float | None = None) -> str:
    """A signed token for one built file of this actor's session, issued at `now` (the current
    time); it lives settings.download_token_seconds."""
    if not _FILE_ID.fullmatch(file_id or ""):
        raise NotFoundError("download")
    owner = [actor.company_id, actor.client_id, actor.contact_id, actor.session_id]
    return signing.sign(signing.Purpose.GENERATED_FILE, [file_id, *owner], now=now)


def _from_legacy(fields: list[str]) -> list:
    """A built file's token made before itsdangerous: ["g", file id, four owner ids]."""
    kind, file_id, *owner = fields
    if kind != LEGACY_TOKEN_KIND or len(owner) != 4:
        raise ValueError("not a generated-file token")
    return [file_id, *(int(i) for i in owner)]


def _open_token(token: str, now: float | None) -> tuple[str, tuple[int, int, int, int]]:
    try:
        file_id, *owner = signing.unsign(
            signing.Purpose.GENERATED_FILE,
            token,
            max_age=get_settings().download_token_seconds,
            now=now,
            legacy=_from_legacy,
        )
    except signing.InvalidToken as exc:
        raise NotFoundError("download") from exc
    if not _FILE_ID.fullmatch(file_id) or len(owner) != 4:
        raise NotFoundError("download")
    return file_id, tuple(owner)


def is_generated_token(token: str) -> bool:
    """Whether a token is a valid one for a built file; resolve_generated decides whose."""
    try:
        _open_token(token, None)
    except NotFoundError:
        return False
    return True


def resolve_generated(
    *, actor: Actor, token: str, settings: Settings | None = None, now: float | None = None
) -> tuple[str, str, Path]:
    """(file name, media type, path) of the built file a token names, for the session that
    built it. NotFoundError for a tampered or expired token, another company, client, contact
    or session (a staff preview and the contact's own sign-in are different sessions), and a
    file already swept away."""
    file_id, owner = _open_token(token, now)
    if owner != (actor.company_id, actor.client_id, actor.contact_id, actor.session_id):
        raise NotFoundError("download")
    folder = _client_dir(actor.company_id, actor.client_id, settings) / file_id
    found = [p for p in folder.glob("*") if p.is_file() and not p.name.startswith(".")]
    if len(found) != 1:
        raise NotFoundError("download")
    path = found[0]
    return path.name, MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"), path


def cleanup_generated(*, settings: Settings | None = None, now: float | None = None) -> int:
    """Remove built files whose token can no longer be valid; returns how many went.

    Safe to run at any time and from several processes at once (a folder already gone is
    simply skipped)."""
    settings = settings or get_settings()
    root = generated_root(settings)
    if not root.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - (
        settings.download_token_seconds + GRACE_SECONDS
    )
    removed = 0
    for folder in root.glob("*/*/*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _trim_client(client_dir: Path, *, keep: int) -> None:
    """Leave at most `keep` of this client's newest built files."""
    if not client_dir.is_dir():
        return
    folders = []
    for folder in client_dir.iterdir():
        try:
            folders.append((folder.stat().st_mtime, folder))
        except FileNotFoundError:
            continue
    folders.sort(reverse=True)
    for _, folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
