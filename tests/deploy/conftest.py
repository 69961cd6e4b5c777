"""Deployment tests: real backend worker processes on PostgreSQL and Redis, driven through
Reflex's event protocol (tests/helpers/reflex_protocol.py) rather than a browser.

Each module gets a fresh PostgreSQL database (created, migrated with the CLI, dropped at the
end) and Redis db 5 (PORTAL_TEST_REDIS_URL to change it; Reflex's keys are random tab tokens,
so nothing is flushed). A worker is what scripts/prod.sh runs in each process: Granian serving
the app factory with `--env prod`, without compiling pages (the front end is not needed to
speak the protocol, as with PORTAL_FRONTEND=external). Reflex's build files go to a temporary
REFLEX_WEB_WORKDIR, never to the project's `.web`.

The tests skip when the machine's PostgreSQL or Redis is not there; CI has both.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

import portal_app.models  # noqa: F401  (registers tables)
from portal_app.core.settings import PROJECT_ROOT
from portal_app.models import Client, ClientContact, Company
from portal_app.services.identity.passwords import hash_password
from tests.conftest import PG_URL
from tests.helpers.factories import add_invoice

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PASSWORD = "correct-horse-battery-deploy"
STARTUP_SECONDS = 90
INVOICES = 60  # three pages of 25


# --------------------------------------------------------------------------- machine checks


def _reachable(host: str, port: int) -> bool:
    with suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module", autouse=True)
def _needs_postgres_and_redis() -> None:
    if not _reachable("127.0.0.1", 5432) or not _reachable("127.0.0.1", 6379):
        pytest.skip("deployment tests need PostgreSQL on :5432 and Redis on :6379")


# --------------------------------------------------------------------------- database


def _admin_engine() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def database_url(_needs_postgres_and_redis) -> Iterator[str]:
    """A fresh PostgreSQL database migrated with `python -m portal_app.cli migrate`."""
    name = f"portal_deploy_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate = subprocess.run(
            [sys.executable, "-m", "portal_app.cli", "migrate"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": url, "PORTAL_ENV": "test"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url, pool_pre_ping=True)
    yield engine
    engine.dispose()


@dataclass
class Account:
    email: str
    company_id: int
    client_id: int
    contact_id: int
    invoice_ids: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def account(db_engine: Engine, password_hash: str) -> Account:
    """A company, a client with INVOICES invoices (some paid), and a contact who can sign in."""
    return make_account(db_engine, password_hash)


def make_account(db_engine: Engine, password_hash: str) -> Account:
    """What the `account` fixture gives, for a test that needs a second one."""
    uid = uuid.uuid4().hex[:8]
    with Session(db_engine, expire_on_commit=False) as session:
        company = Company(name=f"Deploy {uid}")
        session.add(company)
        session.flush()
        client = Client(company_id=company.id, name=f"Client {uid}")
        session.add(client)
        session.flush()
        contact = ClientContact(
            company_id=company.id,
            client_id=client.id,
            email=f"deploy-{uid}@example.test",
            first_name="Dana",
            last_name="Deploy",
            password_hash=password_hash,
        )
        session.add(contact)
        session.flush()
        ids = [
            add_invoice(
                session,
                client,
                number=f"D{uid}-{n:03d}",
                status="paid" if n % 3 == 0 else "sent",
                paid_minor=0,
            ).id
            for n in range(1, INVOICES + 1)
        ]
        session.commit()
        return Account(contact.email, company.id, client.id, contact.id, ids)


# --------------------------------------------------------------------------- workers


async def wait_unlinked(token: str, timeout: float = 10) -> None:
    """Wait until no worker has `token` linked to a socket any more.

    A worker unlinks a closed socket's tab token in Redis shortly after the close. A tab that
    reconnects (to any worker) before that is taken for a duplicate of itself and handed a
    fresh token and state (Reflex's duplicate-tab rule), so tests that close and reopen a tab
    wait for the unlink first, as a browser's reconnect delay does.
    """
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        deadline = time.monotonic() + timeout
        while await client.exists(f"token_manager_socket_record_{token}"):
            if time.monotonic() > deadline:
                raise AssertionError(f"tab token still linked after {timeout}s")
            await asyncio.sleep(0.02)
    finally:
        await client.aclose()


def _ping(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - our own server
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Worker:
    """One backend worker process (its own process group) on its own port."""

    base_url: str
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """Lose the worker at once (SIGKILL to its whole group): no shutdown, no cleanup."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


StartWorker = Callable[..., Worker]


def worker_env(database_url: str, redis_url: str | None, port: int, web_dir: Path) -> dict:
    base_url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_ENV": "test",
        "PORTAL_BASE_URL": base_url,
        "REFLEX_API_URL": base_url,
        "PORTAL_LOG_FORMAT": "json",
        "PORTAL_WORKERS": "1",  # start() passes Granian's own --workers
        "REFLEX_ENV_MODE": "prod",
        # Reflex's internal switch (what its own prod backend start sets): serve, don't compile.
        "__REFLEX_SKIP_COMPILE": "true",
        "REFLEX_WEB_WORKDIR": str(web_dir),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REFLEX_REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


@pytest.fixture(scope="module")
def start_worker(tmp_path_factory, database_url: str) -> Iterator[StartWorker]:
    """Start workers on free ports; all still running are stopped when the module ends.

    `processes` > 1 runs that many Granian worker processes on the one port, as
    scripts/prod.sh does with PORTAL_WORKERS.
    """
    workers: list[Worker] = []
    web_dir = tmp_path_factory.mktemp("reflex-web")

    def start(
        *,
        database_url: str = database_url,
        redis_url: str | None = REDIS_URL,
        processes: int = 1,
        **extra_env,
    ) -> Worker:
        port = free_port()
        log_path = tmp_path_factory.mktemp("worker") / "worker.log"
        env = {**worker_env(database_url, redis_url, port, web_dir), **extra_env}
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "granian",
                    "--interface",
                    "asgi",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(processes),
                    "portal_app.portal_app:app",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(f"http://localhost:{port}", proc, log_path)
        workers.append(worker)
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _ping(f"{worker.base_url}/ping"):
            if proc.poll() is not None or time.monotonic() > deadline:
                worker.stop()
                pytest.fail(f"worker did not start:\n{worker.log()[-4000:]}", pytrace=False)
            time.sleep(0.3)
        return worker

    yield start
    for worker in workers:
        if worker.proc.poll() is None:
            worker.stop()
