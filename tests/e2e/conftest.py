"""Browser tests: one real portal server for the session, a fresh Chromium context per test.

The server is `reflex run --env prod --single-port` started as a subprocess (its own process
group) on a free port, on its own SQLite file. Tests write their data to that same file through
`db` / `make` (committed, so the server sees it); every name is unique per test, so tests never
see each other's rows and no test relies on the demo data.

Run them in their own pytest invocation: `python -m pytest tests/e2e -q`.
"""

from __future__ import annotations

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
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import portal_app.models  # noqa: F401  (registers tables)
from portal_app.core.db import make_engine
from portal_app.core.settings import PROJECT_ROOT
from portal_app.models import Client, ClientContact, Company, Invoice
from tests.conftest import WEBHOOK_SECRET
from tests.helpers.factories import add_invoice

PASSWORD = "correct-horse-battery-e2e"
WAIT_MS = 20_000  # every single wait in the browser (a URL, a selector, a download)
STARTUP_SECONDS = 300  # the first start compiles and builds the front end
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 80) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _ping(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - our own server
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """Terminate the server's whole process group (reflex, its workers, bun), then kill."""
    pgid = proc.pid  # start_new_session: the server leads its own group
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader so it does not linger as a zombie member
        if not _group_alive(pgid):
            return
        time.sleep(0.2)
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait(timeout=10)


@dataclass(frozen=True)
class Server:
    base_url: str
    database_url: str
    log_path: Path


@dataclass
class MailServer:
    """A local SMTP server (aiosmtpd) the portal sends every e-mail to; tests read `messages`."""

    port: int
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        import email
        import email.policy

        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str, *, wait: float = 20.0) -> list:
        """Messages sent to `address` so far, waiting up to `wait` seconds for the first one
        (mail leaves through the outbox, which the portal sends every second here)."""
        deadline = time.monotonic() + wait
        while True:
            found = [m for m in list(self.messages) if address in str(m["To"])]
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.2)


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    from aiosmtpd.controller import Controller

    box = MailServer(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory, localstripe_url, mail_server) -> Iterator[Server]:
    """Migrate a fresh SQLite file and run the portal on a free port until the session ends.

    Payments go to the suite's localstripe (API and its fake Stripe.js for the browser), mail
    to `mail_server`.
    """
    workdir = tmp_path_factory.mktemp("portal-e2e")
    database_url = f"sqlite:///{workdir / 'portal.db'}"
    port = _free_port()
    base_url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_BASE_URL": base_url,
        "PORTAL_ENV": "test",
        # Tests run jobs themselves when they want them; none behind their backs.
        "PORTAL_JOBS_INTERVAL_MINUTES": "0",
        # ...but queued e-mail goes out at once, as it would in production.
        "PORTAL_OUTBOX_INTERVAL_SECONDS": "1",
        "PORTAL_EXTRA_PAGES": "tests.e2e.extra_page",
        "DOCUMENTS_ROOT": str(workdir / "documents"),
        "STRIPE_SECRET_KEY": "sk_test_portal",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_portal",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": localstripe_url,
        "STRIPE_JS_URL": f"{localstripe_url}/js.stripe.com/v3/",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail_server.port),
        "SMTP_STARTTLS": "false",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    env.pop("SMTP_USERNAME", None)
    env.pop("REFLEX_REDIS_URL", None)
    tools_bin = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"
    venv_bin = Path(sys.executable).parent
    env["PATH"] = os.pathsep.join([str(venv_bin), str(tools_bin), env.get("PATH", "")])

    log_path = workdir / "server.log"
    migrate = subprocess.run(
        [sys.executable, "-m", "portal_app.cli", "migrate"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if migrate.returncode != 0:
        pytest.fail(f"migration failed:\n{migrate.stdout}\n{migrate.stderr}", pytrace=False)

    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            "reflex",
            "run",
            "--env",
            "prod",
            "--single-port",
            "--frontend-port",
            str(port),
            "--backend-port",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _ping(f"{base_url}/ping"):
            if proc.poll() is not None:
                pytest.fail(
                    f"portal server exited with {proc.returncode}; log tail:\n{_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"portal server not ready after {STARTUP_SECONDS}s; log tail:\n"
                    f"{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(1)
        yield Server(base_url=base_url, database_url=database_url, log_path=log_path)
    finally:
        _stop_group(proc)
        log.close()


@pytest.fixture(scope="session")
def base_url(portal_server: Server) -> str:
    return portal_server.base_url


# --------------------------------------------------------------------------- the database


@pytest.fixture(scope="session")
def db_engine(portal_server: Server) -> Iterator[Engine]:
    engine = make_engine(portal_server.database_url)
    yield engine
    engine.dispose()


DbScope = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def db(db_engine: Engine) -> DbScope:
    """`with db() as session:` — a session on the server's database that commits at the end."""

    @contextmanager
    def scope() -> Iterator[Session]:
        with Session(db_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except Exception:
                session.rollback()
                raise

    return scope


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of PASSWORD, reused by every contact (hashing costs ~0.15 s)."""
    from portal_app.services.identity.passwords import hash_password

    return hash_password(PASSWORD)


def uid() -> str:
    return uuid.uuid4().hex[:10]


@dataclass
class Account:
    """A company, one client, one signed-in contact, and that client's invoices."""

    company: Company
    client: Client
    contact: ClientContact
    invoices: list[Invoice] = field(default_factory=list)

    @property
    def email(self) -> str:
        return self.contact.email


class Factory:
    """Rows for one test, each committed at once; every e-mail and number is unique."""

    def __init__(self, db: DbScope, password_hash: str):
        self.db = db
        self.password_hash = password_hash

    def company(self, **kw) -> Company:
        with self.db() as session:
            company = Company(name=kw.pop("name", f"Company {uid()}"), **kw)
            session.add(company)
        return company

    def client(self, company: Company, **kw) -> Client:
        with self.db() as session:
            client = Client(company_id=company.id, name=kw.pop("name", f"Client {uid()}"), **kw)
            session.add(client)
        return client

    def contact(self, client: Client, **kw) -> ClientContact:
        with self.db() as session:
            contact = ClientContact(
                company_id=client.company_id,
                client_id=client.id,
                email=kw.pop("email", f"e2e-{uid()}@example.test"),
                first_name=kw.pop("first_name", "Casey"),
                last_name=kw.pop("last_name", "Contact"),
                password_hash=kw.pop("password_hash", self.password_hash),
                **kw,
            )
            session.add(contact)
        return contact

    def invoice(self, client: Client, *, number: str | None = None, **kw) -> Invoice:
        with self.db() as session:
            return add_invoice(session, client, number=number or f"E2E-{uid()}", **kw)

    def account(self, company: Company | None = None, **company_kw) -> Account:
        """A client with one contact who can sign in with PASSWORD."""
        company = company or self.company(**company_kw)
        client = self.client(company)
        return Account(company=company, client=client, contact=self.contact(client))


@pytest.fixture
def make(db: DbScope, password_hash: str) -> Factory:
    return Factory(db, password_hash)


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, base_url):
    """Make fresh browser contexts (no cookies) on the portal; all are closed after the test."""
    contexts = []

    def factory(**kw):
        options = {"base_url": base_url, "accept_downloads": True, **kw}
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()
