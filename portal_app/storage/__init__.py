"""Where the portal keeps files: one small interface, a local folder or S3-compatible storage.

Keys are relative, slash-separated names ("ab/ab12...", "branding/<sha256>.png",
"generated/1/2/<id>/statement.pdf"); documents are content-addressed by their sha256
(content_key). settings.storage_backend picks the implementation (get_store).
"""

from __future__ import annotations

from portal_app.storage.base import (
    FileStore,
    ObjectNotFound,
    StoredInfo,
    StoredObject,
    check_key,
    content_key,
    put_content,
)
from portal_app.storage.factory import cached_local_path, get_store, reset_store

__all__ = [
    "FileStore",
    "ObjectNotFound",
    "StoredInfo",
    "StoredObject",
    "cached_local_path",
    "check_key",
    "content_key",
    "get_store",
    "put_content",
    "reset_store",
]
