"""STORAGE_BACKEND and the S3 settings: a bucket is required, placeholder keys are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portal_app.core.settings import Settings


def test_s3_needs_a_bucket_and_real_keys_outside_development():
    with pytest.raises(ValidationError, match="S3_BUCKET"):
        Settings(STORAGE_BACKEND="s3")
    with pytest.raises(ValidationError, match="STORAGE_BACKEND"):
        Settings(STORAGE_BACKEND="ftp")
    production = {
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": "k" * 40,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "r" * 30,
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": "portal-files",
    }
    with pytest.raises(ValidationError, match="S3_SECRET_ACCESS_KEY is a placeholder"):
        Settings(**production, S3_ACCESS_KEY_ID="AKIA123", S3_SECRET_ACCESS_KEY="change-me")
    assert Settings(**production, S3_SECRET_ACCESS_KEY="real-secret").s3_bucket == "portal-files"
    assert Settings(PORTAL_ENV="development", STORAGE_BACKEND="s3", S3_BUCKET="b").s3_bucket == "b"
