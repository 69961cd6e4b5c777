"""`scripts/prod.sh serve`: a host's start with a front end built once (issue 24 item 4).

The build itself (`scripts/prod.sh build`, half a minute or more) is run by bench/startup.py,
which also times both kinds of start; here the build folder is a small stand-in page, which is
all `serve` needs to show that it mounts the built files without compiling or building
anything, refuses to start without them or with files built for another backend address, and
serves the websocket and the API beside them.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from portal_app.core.settings import PROJECT_ROOT
from tests.deploy.conftest import (
    PASSWORD,
    REDIS_URL,
    STARTUP_SECONDS,
    Account,
    Worker,
    _ping,
    free_port,
    worker_env,
)
from tests.helpers.reflex_protocol import INVOICES, Tab, sign_in

PROD = str(PROJECT_ROOT / "scripts" / "prod.sh")
PAGE = "<!DOCTYPE html><html><body>portal build {marker}</body></html>"


def _env(database_url: str, web_dir: Path, port: int) -> dict[str, str]:
    env = worker_env(database_url, REDIS_URL, port, web_dir)
    # What the script must set by itself.
    for name in ("__REFLEX_SKIP_COMPILE", "REFLEX_ENV_MODE"):
        env.pop(name, None)
    return {**env, "HOST": "127.0.0.1", "PORT": str(port), "PORTAL_LOG_FORMAT": "text"}


def _built(web_dir: Path, api_url: str, marker: str) -> None:
    """What `scripts/prod.sh build` leaves: the static files and the address they are for."""
    client = web_dir / "build" / "client"
    client.mkdir(parents=True)
    (client / "index.html").write_text(PAGE.format(marker=marker))
    (web_dir / "build" / "portal-api-url").write_text(api_url + "\n")


def _refused(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROD, "serve"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_serve_refuses_without_a_build_or_with_one_for_another_address(database_url, tmp_path):
    port = free_port()
    web_dir = tmp_path / "web"
    missing = _refused(_env(database_url, web_dir, port))
    assert missing.returncode == 2
    assert "run scripts/prod.sh build first" in missing.stderr

    _built(web_dir, "https://elsewhere.example", "x")
    elsewhere = _refused(_env(database_url, web_dir, port))
    assert elsewhere.returncode == 2
    assert "built for https://elsewhere.example" in elsewhere.stderr


def test_serve_mounts_the_build_and_compiles_nothing(database_url, tmp_path, account: Account):
    port = free_port()
    web_dir = tmp_path / "web"
    marker = str(time.time_ns())
    _built(web_dir, f"http://localhost:{port}", marker)
    build = web_dir / "build"
    before = sorted(p.relative_to(build) for p in build.rglob("*"))
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [PROD, "serve"],
            cwd=PROJECT_ROOT,
            env=_env(database_url, web_dir, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Worker(f"http://localhost:{port}", proc, log_path)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _ping(f"{server.base_url}/ping"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve did not start:\n{server.log()[-4000:]}", pytrace=False)
            time.sleep(0.3)
        page = httpx.get(f"{server.base_url}/", timeout=10)
        assert page.status_code == 200 and f"portal build {marker}" in page.text
        # The security headers wrap the built files too.
        assert "content-security-policy" in page.headers
        assert httpx.get(f"{server.base_url}/api/health", timeout=10).json()["status"] == "ok"

        async def scenario() -> int:
            tab = Tab(server.base_url)
            await sign_in(tab, account.email, PASSWORD, next_path="/client/invoices")
            total = await tab.wait_for(lambda t: t.var(INVOICES, "total"), "invoice total")
            await tab.close()
            return total

        assert asyncio.run(scenario()) == len(account.invoice_ids)
    finally:
        server.stop()
    # Nothing was compiled or built: no pages written (Reflex compiles them into app/), and
    # the build folder holds what the build left. (Reflex keeps a backend/ folder of its own.)
    assert not (web_dir / "app").exists()
    assert sorted(p.relative_to(build) for p in build.rglob("*")) == before
    assert "Compiling" not in server.log()
