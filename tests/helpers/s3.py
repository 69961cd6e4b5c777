"""A real S3 API for tests: moto's server mode on a free port, and the two file stores.

`moto_url` starts one `moto_server` process for the session (like localstripe); `file_store`
is parametrized over "local" and "s3", so a test that takes it runs against both stores. Each
test gets its own folder, and for S3 its own bucket.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_app import storage
from portal_app.core.settings import get_settings
from tests.helpers.mailbox import free_port

S3_KEY_ID = "test-key-id"
S3_SECRET = "test-secret-key"
S3_REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory) -> Iterator[str]:
    """moto's S3 server for the whole test session (stopped at its end)."""
    port = free_port()
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"moto_server did not start: {log_path.read_text()[-2000:]}")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def s3_client(endpoint: str):
    """A boto3 client on the test server (for making buckets and poking at objects)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id=S3_KEY_ID,
        aws_secret_access_key=S3_SECRET,
    )


@pytest.fixture(params=["local", "s3"])
def file_store(request, tmp_path, monkeypatch) -> Iterator[storage.FileStore]:
    """The configured store (settings too: STORAGE_BACKEND and the rest), once a local folder
    and once a fresh bucket on the moto server; DOCUMENTS_ROOT is a fresh folder either way."""
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    monkeypatch.setenv("STORAGE_BACKEND", request.param)
    if request.param == "s3":
        endpoint = request.getfixturevalue("moto_url")
        bucket = f"portal-test-{secrets.token_hex(6)}"
        s3_client(endpoint).create_bucket(Bucket=bucket)
        for name, value in {
            "S3_BUCKET": bucket,
            "S3_PREFIX": "files",
            "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": S3_REGION,
            "S3_ACCESS_KEY_ID": S3_KEY_ID,
            "S3_SECRET_ACCESS_KEY": S3_SECRET,
        }.items():
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    storage.reset_store()
    yield storage.get_store()
    get_settings.cache_clear()
    storage.reset_store()
