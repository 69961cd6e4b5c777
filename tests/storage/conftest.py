"""Every test here takes `file_store`, so it runs against the local folder and against S3."""

from tests.helpers.s3 import file_store, moto_url  # noqa: F401
