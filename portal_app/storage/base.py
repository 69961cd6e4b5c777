"""The storage interface and what every implementation shares (keys, not-found, objects)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from portal_app.core.errors import NotFoundError

CHUNK_BYTES = 256 * 1024
# Each part of a key: letters, digits, dot, dash, underscore; never "." or ".." or a hidden name,
# so a key can never climb out of the folder or prefix it lives under.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ObjectNotFound(NotFoundError, FileNotFoundError):
    """No stored object under this key (a NotFoundError for routes, a FileNotFoundError for
    callers that read files)."""


def check_key(key: str) -> str:
    """`key` when it is a safe relative key; ObjectNotFound otherwise (a bad key names no file)."""
    if not isinstance(key, str) or len(key) > 900 or not _KEY.fullmatch(key) or ".." in key:
        raise ObjectNotFound(key)
    return key


def content_key(sha256: str) -> str:
    """The key of the bytes with this sha256: <sha256[:2]>/<sha256> (the documents layout)."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ObjectNotFound("document")
    return f"{sha256[:2]}/{sha256}"


def put_content(store: FileStore, data: bytes) -> str:
    """Store bytes content-addressed; return their sha256 (writing nothing when already there)."""
    sha256 = hashlib.sha256(data).hexdigest()
    key = content_key(sha256)
    if not store.exists(key):
        store.put(key, data)
    return sha256


@dataclass(frozen=True, slots=True)
class StoredInfo:
    """One listed object: its key, size and last change (Unix seconds)."""

    key: str
    size: int
    modified: float


@dataclass(slots=True)
class StoredObject:
    """An opened object: its size and its bytes in chunks (read once); `path` when local."""

    key: str
    size: int
    chunks: Iterator[bytes]
    path: Path | None = None
    _closer: object = field(default=None, repr=False)

    def read_bytes(self) -> bytes:
        """All the bytes (small files; large ones stream through `chunks`)."""
        try:
            return b"".join(self.chunks)
        finally:
            self.close()

    def close(self) -> None:
        """Release the underlying file or connection."""
        close = getattr(self._closer, "close", None)
        if close is not None:
            close()


class FileStore(Protocol):
    """What the portal needs from a file store."""

    name: str

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing it); readers never see half a file."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; ObjectNotFound when there are none."""
        ...

    def open(self, key: str) -> StoredObject:
        """The object under `key`, to stream; ObjectNotFound when there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object under `key` (nothing when already gone)."""
        ...

    def list(self, prefix: str = "") -> Iterator[StoredInfo]:
        """Every object whose key starts with `prefix` (a folder: ends with '/')."""
        ...

    def presigned_url(
        self, key: str, *, filename: str, media_type: str, expires_seconds: int
    ) -> str | None:
        """A short-lived URL that serves the object directly, or None when the store cannot."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The file behind `key` when the store is a local folder, else None."""
        ...
