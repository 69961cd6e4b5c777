"""The store the settings choose, made once per process (and per settings object)."""

from __future__ import annotations

from pathlib import Path

from portal_app.core.settings import Settings, get_settings
from portal_app.storage.base import FileStore, ObjectNotFound, check_key
from portal_app.storage.local import LocalStore

CACHE_DIR = ".cache"
_stores: dict[tuple, FileStore] = {}


def _identity(settings: Settings) -> tuple:
    return (
        settings.storage_backend,
        str(settings.documents_root),
        settings.s3_bucket,
        settings.s3_prefix,
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_access_key_id,
    )


def get_store(settings: Settings | None = None) -> FileStore:
    """The file store of STORAGE_BACKEND: 'local' (DOCUMENTS_ROOT) or 's3' (S3_BUCKET ...)."""
    settings = settings or get_settings()
    identity = _identity(settings)
    store = _stores.get(identity)
    if store is None:
        if settings.storage_backend == "s3":
            from portal_app.storage.s3 import S3Store

            store = S3Store(
                bucket=settings.s3_bucket or "",
                prefix=settings.s3_prefix,
                endpoint_url=settings.s3_endpoint_url,
                region=settings.s3_region,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=settings.s3_secret_access_key,
            )
        else:
            store = LocalStore(settings.documents_root)
        _stores[identity] = store
    return store


def reset_store() -> None:
    """Forget the stores made so far (tests that change the settings)."""
    _stores.clear()


def cached_local_path(key: str, settings: Settings | None = None) -> Path:
    """A file on this host with the bytes of a content-addressed `key` (for readers that need a
    path, such as the PDF renderer's logo). A local store gives its own file; another store's
    object is copied once into DOCUMENTS_ROOT/.cache (its name is its hash, so never stale).
    ObjectNotFound when the store has no such object."""
    settings = settings or get_settings()
    store = get_store(settings)
    path = store.local_path(key)
    if path is not None:
        if not path.is_file():
            raise ObjectNotFound(key)
        return path
    cached = Path(settings.documents_root) / CACHE_DIR / check_key(key)
    if not cached.is_file():
        cache = LocalStore(Path(settings.documents_root) / CACHE_DIR)
        cache.put(key, store.get(key))
    return cached
