"""Shared fixtures: a database on SQLite and on PostgreSQL, and small data factories.

Every test makes its own data inside a transaction that is rolled back at the end, so no test
sees another's rows. PostgreSQL is the machine's server at 127.0.0.1:5432 (database `test`);
set PORTAL_TEST_PG_URL to point elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import portal_app.models  # noqa: F401  (registers tables)
from portal_app.core.db import make_engine, utcnow
from portal_app.models import Client, ClientContact, Company, Invoice, Payment
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.passwords import hash_password
from tests.helpers.factories import add_invoice
from tests.helpers.mailbox import mailbox  # noqa: F401  (the SMTP server fixture, for every test)

PG_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_PASSWORD = "correct-horse-battery"


def _pg_schema_engine(schema: str) -> Engine:
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return make_engine_with_search_path(schema)


def make_engine_with_search_path(schema: str) -> Engine:
    from sqlalchemy import create_engine

    return create_engine(
        PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True
    )


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    """One engine per database kind, tables created from the models."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        eng = make_engine(f"sqlite:///{path}")
        SQLModel.metadata.create_all(eng)
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    eng = _pg_schema_engine(schema)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()
    cleanup = make_engine(PG_URL)
    with cleanup.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    cleanup.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session whose work, commits included, is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


class Factory:
    """Builds rows for one test; every name is unique so tests never collide."""

    def __init__(self, session: Session):
        self.session = session
        self._password_hash: str | None = None

    def _uid(self) -> str:
        return uuid.uuid4().hex[:10]

    def company(self, **kw) -> Company:
        company = Company(name=kw.pop("name", f"Company {self._uid()}"), **kw)
        self.session.add(company)
        self.session.flush()
        return company

    def client(self, company: Company, **kw) -> Client:
        client = Client(company_id=company.id, name=kw.pop("name", f"Client {self._uid()}"), **kw)
        self.session.add(client)
        self.session.flush()
        return client

    def contact(
        self, client: Client, *, password: str | None = TEST_PASSWORD, **kw
    ) -> ClientContact:
        if password == TEST_PASSWORD:
            self._password_hash = self._password_hash or hash_password(TEST_PASSWORD)
            password_hash = self._password_hash
        else:
            password_hash = hash_password(password) if password else None
        contact = ClientContact(
            company_id=client.company_id,
            client_id=client.id,
            email=kw.pop("email", f"c{self._uid()}@example.test"),
            first_name=kw.pop("first_name", "Casey"),
            last_name=kw.pop("last_name", "Contact"),
            password_hash=password_hash,
            **kw,
        )
        self.session.add(contact)
        self.session.flush()
        return contact

    def invoice(self, client: Client, *, number: str | None = None, **kw) -> Invoice:
        return add_invoice(self.session, client, number=number or f"INV-{self._uid()}", **kw)

    def credit(self, client: Client, *, amount_minor: int, currency: str = "USD", **kw):
        from portal_app.models import Credit

        credit = Credit(
            company_id=client.company_id,
            client_id=client.id,
            number=kw.pop("number", f"CR-{self._uid()}"),
            status=kw.pop("status", "sent"),
            currency=currency,
            issue_date=kw.pop("issue_date", date.today() - timedelta(days=30)),
            amount_minor=amount_minor,
            subtotal_minor=amount_minor,
            balance_minor=kw.pop("balance_minor", amount_minor),
            **kw,
        )
        self.session.add(credit)
        self.session.flush()
        return credit

    def payment(
        self, client: Client, *, amount_minor: int = 100_00, currency: str = "USD", **kw
    ) -> Payment:
        """A completed card payment of the client, allocated to nothing."""
        payment = Payment(
            company_id=client.company_id,
            client_id=client.id,
            number=kw.pop("number", f"PAY-{self._uid()}"),
            status=kw.pop("status", "completed"),
            currency=currency,
            amount_minor=amount_minor,
            **kw,
        )
        self.session.add(payment)
        self.session.flush()
        return payment

    def actor(self, contact: ClientContact, kind: str = "password", *, link_to=None) -> Actor:
        """The contact as a signed-in actor; an e-mailed-link session (`kind="link"`) is
        scoped to `link_to`, the invoice or quote its link named."""
        return Actor(
            company_id=contact.company_id,
            client_id=contact.client_id,
            contact_id=contact.id,
            session_id=0,
            kind=kind,
            link_type=type(link_to).__name__.lower() if link_to is not None else "",
            link_id=link_to.id if link_to is not None else 0,
        )


@pytest.fixture
def make(session) -> Factory:
    return Factory(session)


@pytest.fixture
def today() -> date:
    """Today's date in UTC, read when the test runs: the rows a test makes are stamped with
    `utcnow()`, so a date taken when the module was imported is yesterday's for tests that run
    after midnight UTC."""
    return utcnow().date()


@pytest.fixture
def tx(session):
    """A page's transaction scope (services' `Tx`), as nested steps of the test's rolled-back
    session: each block flushes instead of committing."""
    from contextlib import contextmanager

    @contextmanager
    def scope():
        yield session
        session.flush()

    return scope


# -- localstripe ------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory) -> Iterator[str]:
    """A real localstripe server for the whole test session."""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = _free_port()
    exe = shutil.which("localstripe") or str(Path(sys.executable).parent / "localstripe")
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with open(log_path, "w") as log:
        # --from-scratch: each localstripe keeps its state in memory instead of a shared pickle
        # file that parallel workers would read half-written.
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT
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
        raise RuntimeError(f"localstripe did not start: {log_path.read_text()[-2000:]}")
    yield f"http://localhost:{port}"
    proc.terminate()
    proc.wait(timeout=10)


WEBHOOK_SECRET = "whsec_test_portal"


@pytest.fixture(scope="session")
def gateway(localstripe_url):
    """Our Stripe gateway pointed at localstripe."""
    from portal_app.gateways.stripe_gateway import StripeGateway

    return StripeGateway(
        secret_key="sk_test_portal",
        publishable_key="pk_test_portal",
        webhook_secret=WEBHOOK_SECRET,
        api_base=localstripe_url,
        js_url=f"{localstripe_url}/js.stripe.com/v3/",
    )


CARD_OK = "4242424242424242"
CARD_DECLINED_ON_ATTACH = "4000000000000002"
CARD_DECLINED_ON_CHARGE = "4000000000000341"
CARD_3DS = "4000002500003155"


@pytest.fixture(scope="session")
def browser_card(localstripe_url):
    """Stands in for what Stripe.js does in the browser: a card attached to a customer."""
    import stripe

    client = stripe.StripeClient("sk_test_portal", base_addresses={"api": localstripe_url})

    def attach(customer_ref: str, number: str = CARD_OK) -> str:
        method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            }
        )
        client.v1.payment_methods.attach(method.id, params={"customer": customer_ref})
        return method.id

    attach.client = client
    return attach
