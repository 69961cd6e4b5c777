"""A real SMTP server (aiosmtpd) on a free localhost port for tests, and the outbox sender run
over the test's session, so a test reads what the portal really sent."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from portal_app.core.settings import get_settings
from portal_app.services.mail import outbox


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """Everything the test SMTP server received."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append(login)
        return AuthResult(success=login == ("mailer", "mail-secret"))

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages received for `address`."""
        return [
            m for m, rcpts in zip(self.messages, self.recipients, strict=True) if address in rcpts
        ]


@contextmanager
def serve(box: Mailbox, port: int) -> Iterator[Mailbox]:
    """Run an SMTP server delivering into `box` on `port` until the block ends."""
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@contextmanager
def smtp_settings(port: int, **env: str) -> Iterator[None]:
    """Point the SMTP_* settings at 127.0.0.1:`port` (plain, no login) meanwhile."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SMTP_HOST", "127.0.0.1")
        mp.setenv("SMTP_PORT", str(port))
        mp.setenv("SMTP_STARTTLS", "false")
        for name in ("SMTP_USERNAME", "SMTP_PASSWORD"):
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()
    # The environment is restored here; make the next reader see it.
    get_settings.cache_clear()


@contextmanager
def run_smtp(**env: str) -> Iterator[Mailbox]:
    """Start an SMTP server on a free port and point the SMTP_* settings at it meanwhile."""
    port = free_port()
    with serve(Mailbox(), port) as box, smtp_settings(port, **env):
        yield box


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a free localhost port, with SMTP_HOST/SMTP_PORT pointing at it."""
    with run_smtp() as box:
        yield box


def session_tx(session):
    """The outbox sender's transactions as savepoints of the test's rolled-back session."""

    @contextmanager
    def tx():
        with session.begin_nested():
            yield session

    return tx


def deliver(session, *, now: datetime | None = None) -> dict[str, int]:
    """Run the outbox sender once over the test's session (what the outbox job does)."""
    return outbox.deliver_due(session_tx(session), now=now)
