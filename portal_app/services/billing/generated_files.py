"""Files the portal builds for one session (a long statement PDF), kept briefly, served once signed.

Built in a background event, they are too large to travel over the websocket or sit in Reflex
state, and must never go to Reflex's upload folder (served to anyone). They are kept in the file
store (portal_app/storage) as generated/<company>/<client>/<file id>/<file name> and served by
GET /api/files/{token}. The token (core.signing, its own purpose) names the file id and binds the
company, client, contact and session that built it: a leaked URL is useless to any other session
and dies with the token (settings.download_token_seconds). Files outlive their token by a minute
at most: every save sweeps the older ones away (cleanup_generated; also callable from a job).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from portal_app import storage
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
    """The private folder of built files in a local store (inside the documents root, never
    the upload dir); another store keeps them under the same GENERATED_DIR key prefix."""
    return Path((settings or get_settings()).documents_root) / GENERATED_DIR


def _client_prefix(company_id: int, client_id: int) -> str:
    return f"{GENERATED_DIR}/{int(company_id)}/{int(client_id)}/"


def _new_file_id(now: float | None) -> str:
    # Milliseconds first, then 80 random bits: ids sort by age even where the store's clock
    # only has whole seconds (S3's LastModified), so the newest file is always the one kept.
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis:012x}"[-12:] + secrets.token_hex(10)


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
    removed first, so the store never grows without bound.
    """
    settings = settings or get_settings()
    name = download_filename(filename)
    if Path(name).suffix.lower() not in MEDIA_TYPES:
        raise ValueError(f"cannot serve a generated file named {filename!r}")
    cleanup_generated(settings=settings, now=now)
    prefix = _client_prefix(actor.company_id, actor.client_id)
    store = storage.get_store(settings)
    _trim_client(store, prefix, keep=MAX_FILES_PER_CLIENT - 1)
    file_id = _new_file_id(now)
    # The store writes whole files only, so the route never serves a half-written one.
    store.put(f"{prefix}{file_id}/{name}", data)
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
) -> tuple[str, str, Path | storage.StoredObject]:
    """(file name, media type, the file's path in a local store or the opened object of
    another) of the built file a token names, for the session that built it. NotFoundError for
    a tampered or expired token, another company, client, contact or session (a staff preview
    and the contact's own sign-in are different sessions), and a file already swept away."""
    file_id, owner = _open_token(token, now)
    if owner != (actor.company_id, actor.client_id, actor.contact_id, actor.session_id):
        raise NotFoundError("download")
    store = storage.get_store(settings)
    folder = f"{_client_prefix(actor.company_id, actor.client_id)}{file_id}/"
    found = list(store.list(folder))
    if len(found) != 1:
        raise NotFoundError("download")
    key = found[0].key
    name = key.rsplit("/", 1)[1]
    media_type = MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    path = store.local_path(key)
    if path is not None:
        return name, media_type, path
    try:
        return name, media_type, store.open(key)
    except storage.ObjectNotFound as exc:  # swept between the listing and the read
        raise NotFoundError("download") from exc


def _built_files(store: storage.FileStore, prefix: str) -> dict[str, tuple[float, list[str]]]:
    """The built files under `prefix`, by folder (<company>/<client>/<file id>): when each was
    written and its keys."""
    folders: dict[str, tuple[float, list[str]]] = {}
    for item in store.list(prefix):
        folder = item.key.rsplit("/", 1)[0]
        modified, keys = folders.get(folder, (0.0, []))
        folders[folder] = (max(modified, item.modified), [*keys, item.key])
    return folders


def cleanup_generated(*, settings: Settings | None = None, now: float | None = None) -> int:
    """Remove built files whose token can no longer be valid; returns how many went.

    Safe to run at any time and from several processes (or hosts) at once: a file already
    gone is simply skipped."""
    settings = settings or get_settings()
    store = storage.get_store(settings)
    cutoff = (time.time() if now is None else now) - (
        settings.download_token_seconds + GRACE_SECONDS
    )
    removed = 0
    for modified, keys in _built_files(store, f"{GENERATED_DIR}/").values():
        if modified < cutoff:
            for key in keys:
                store.delete(key)
            removed += 1
    return removed


def _trim_client(store: storage.FileStore, prefix: str, *, keep: int) -> None:
    """Leave at most `keep` of this client's newest built files."""
    folders = sorted(
        (
            (modified, folder, keys)
            for folder, (modified, keys) in _built_files(store, prefix).items()
        ),
        reverse=True,
    )
    for _, _, keys in folders[keep:]:
        for key in keys:
            store.delete(key)
