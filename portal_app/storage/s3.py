"""Files in S3-compatible object storage (AWS S3, MinIO, Ceph, R2) through boto3.

Every host of a deployment sees the same objects, so a file written on one is read on another.
Keys live under an optional prefix in one bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from portal_app.storage.base import CHUNK_BYTES, ObjectNotFound, StoredInfo, StoredObject, check_key

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Store:
    """One bucket (and prefix) of an S3-compatible object store."""

    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if client is None:
            import boto3
            from botocore.config import Config

            # Credentials left unset fall back to boto3's own chain (instance role, AWS_* vars).
            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
                config=Config(retries={"max_attempts": 4, "mode": "standard"}),
            )
        self.client = client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _is_missing(exc: Exception) -> bool:
        from botocore.exceptions import ClientError

        return (
            isinstance(exc, ClientError)
            and str(exc.response.get("Error", {}).get("Code", "")) in _MISSING
        )

    def put(self, key: str, data: bytes) -> None:
        """One PUT: S3 makes an object visible only once it is whole."""
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound when there is none."""
        return self.open(key).read_bytes()

    def open(self, key: str) -> StoredObject:
        """The object opened for streaming (the GET is made now, so a missing one is known
        before a response starts)."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if self._is_missing(exc):
                raise ObjectNotFound(key) from exc
            raise
        body = answer["Body"]
        return StoredObject(
            key=key,
            size=int(answer.get("ContentLength", 0)),
            chunks=body.iter_chunks(CHUNK_BYTES),
            _closer=body,
        )

    def exists(self, key: str) -> bool:
        """A HEAD request."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ObjectNotFound:
            return False
        except Exception as exc:
            if self._is_missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove the object (S3 answers the same whether it was there or not)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix: str = "") -> Iterator[StoredInfo]:
        """The objects under `prefix`, page by page."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(self.prefix)
                yield StoredInfo(
                    key=key, size=int(item["Size"]), modified=item["LastModified"].timestamp()
                )

    def presigned_url(
        self, key: str, *, filename: str, media_type: str, expires_seconds: int
    ) -> str | None:
        """A GET URL signed for `expires_seconds` that saves the object as `filename`."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentType": media_type,
                "ResponseContentDisposition": (
                    f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
                ),
            },
            ExpiresIn=int(expires_seconds),
        )

    def local_path(self, key: str) -> Path | None:
        """None: objects are not files on this host."""
        return None
