"""Files in a local folder (the default: the demo and one host). Keys are paths below the root."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from portal_app.storage.base import CHUNK_BYTES, ObjectNotFound, StoredInfo, StoredObject, check_key


class LocalStore:
    """A folder on this host; what DOCUMENTS_ROOT held before there was a store."""

    name = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        """Write then rename, so a reader never sees a half-written file."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        """The file's bytes; ObjectNotFound when it is missing."""
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    def open(self, key: str) -> StoredObject:
        """The file opened for streaming; ObjectNotFound when it is missing."""
        path = self._path(key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        size = os.fstat(handle.fileno()).st_size

        def chunks() -> Iterator[bytes]:
            with handle:
                while block := handle.read(CHUNK_BYTES):
                    yield block

        return StoredObject(key=key, size=size, chunks=chunks(), path=path, _closer=handle)

    def exists(self, key: str) -> bool:
        """Whether the file is there."""
        try:
            return self._path(key).is_file()
        except ObjectNotFound:
            return False

    def delete(self, key: str) -> None:
        """Remove the file and the folders it leaves empty (up to the root)."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()  # only succeeds when empty: another file keeps its folder
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "") -> Iterator[StoredInfo]:
        """The files under `prefix` (hidden temporary files left out)."""
        folder = self.root
        if prefix:
            base, _, _rest = prefix.rpartition("/")
            folder = self.root / check_key(base) if base else self.root
        if not folder.is_dir():
            return
        for path in folder.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            if not relative.startswith(prefix) or any(
                p.startswith(".") for p in relative.split("/")
            ):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # removed meanwhile by another process
            if path.is_file():
                yield StoredInfo(key=relative, size=stat.st_size, modified=stat.st_mtime)

    def presigned_url(
        self, key: str, *, filename: str, media_type: str, expires_seconds: int
    ) -> str | None:
        """None: a folder has no URLs of its own (the portal's route serves it)."""
        return None

    def local_path(self, key: str) -> Path | None:
        """The file's path (it may not exist)."""
        return self._path(key)
