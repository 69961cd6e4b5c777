"""Password reset end to end, through a real SMTP server (aiosmtpd) on a free local port."""

from __future__ import annotations

import email
import email.policy
import json
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous.encoding import bytes_to_int
from sqlalchemy.sql.dml import Insert
from sqlmodel import select

from portal_app.core import signing
from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, ValidationError
from portal_app.core.mail import send_email
from portal_app.core.routes import CLIENT_PASSWORD_RESET
from portal_app.core.settings import get_settings
from portal_app.models import AuditEvent, AuthSession, Company
from portal_app.services.identity import auth, password_reset, throttle
from portal_app.services.identity.password_reset import INVALID_TOKEN_MESSAGE
from portal_app.services.identity.passwords import verify_password
from tests.conftest import TEST_PASSWORD
from tests.helpers.legacy_tokens import b64, old_reset_token, old_seal_payload, unb64
from tests.helpers.mailbox import Mailbox, deliver, serve, smtp_settings
from tests.helpers.mailbox import free_port as _free_port  # noqa: F401
from tests.helpers.mailbox import run_smtp as _run_smtp
from tests.helpers.signin import BINDING
from tests.helpers.throttle import in_parallel, slow_limiter

NEW_PASSWORD = "a-brand-new-passphrase"


def _ip() -> str:
    """A unique client address, so the in-memory throttle never mixes tests."""
    n = uuid.uuid4().int
    return f"10.{n % 256}.{(n >> 8) % 256}.{(n >> 16) % 256}-{uuid.uuid4().hex[:6]}"


def _email() -> str:
    return f"reset-{uuid.uuid4().hex[:12]}@example.test"


def _only_message(box: Mailbox) -> email.message.EmailMessage:
    assert len(box.messages) == 1, [m["Subject"] for m in box.messages]
    return box.messages[0]


def _link_from(message: email.message.EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://\S+", text)
    assert len(links) == 1, text
    return links[0]


def _token_from(link: str) -> str:
    query = parse_qs(urlsplit(link).query)
    assert list(query) == ["token"]
    return query["token"][0]


def _events(session, contact, action: str) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(
                AuditEvent.actor_id == contact.id,
                AuditEvent.company_id == contact.company_id,
                AuditEvent.action == action,
            )
        ).all()
    )


def test_reset_by_emailed_link_then_sign_in(make, session, mailbox):
    company = make.company(name="Northwind Billing")
    contact = make.contact(make.client(company), email=_email())
    ip = _ip()

    returned = password_reset.request_password_reset(session, email=contact.email.upper(), ip=ip)
    assert mailbox.messages == []  # queued in the outbox; the outbox job sends it
    assert deliver(session)["sent"] == 1

    message = _only_message(mailbox)
    assert mailbox.recipients == [[contact.email]]
    assert message["To"] == contact.email
    assert message["From"] == get_settings().mail_from
    assert "Northwind Billing" in message["Subject"]
    link = _link_from(message)
    base = get_settings().base_url.rstrip("/")
    assert link.startswith(f"{base}{CLIENT_PASSWORD_RESET}?token=")
    token = _token_from(link)
    assert token == returned
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html
    requested = _events(session, contact, "password_reset_requested")
    assert len(requested) == 1 and requested[0].ip == ip

    updated = password_reset.reset_password(session, token=token, new_password=NEW_PASSWORD, ip=ip)

    assert updated.id == contact.id
    assert verify_password(NEW_PASSWORD, contact.password_hash)
    assert len(_events(session, contact, "password_reset")) == 1
    opened = auth.sign_in(session, email=contact.email, password=NEW_PASSWORD, ip=_ip())
    assert opened.contact_id == contact.id
    with pytest.raises(AuthError):
        auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())


def test_unknown_or_disabled_email_sends_nothing(make, session, mailbox):
    company = make.company()
    disabled = make.contact(make.client(company), email=_email(), portal_enabled=False)

    assert password_reset.request_password_reset(session, email=_email(), ip=_ip()) is None
    assert password_reset.request_password_reset(session, email=disabled.email, ip=_ip()) is None
    assert password_reset.request_password_reset(session, email="   ", ip=_ip()) is None
    deliver(session)

    assert mailbox.messages == []
    assert _events(session, disabled, "password_reset_requested") == []


def test_same_address_in_two_companies_gets_one_link_per_account(make, session, mailbox):
    address = _email()
    first = make.contact(make.client(make.company(name="First Co")), email=address)
    second = make.contact(make.client(make.company(name="Second Co")), email=address)

    password_reset.request_password_reset(session, email=address, ip=_ip())
    deliver(session)

    assert len(mailbox.messages) == 2
    tokens = {m["Subject"]: _token_from(_link_from(m)) for m in mailbox.messages}
    second_token = next(t for subject, t in tokens.items() if "Second Co" in subject)
    password_reset.reset_password(session, token=second_token, new_password=NEW_PASSWORD)
    assert verify_password(NEW_PASSWORD, second.password_hash)
    assert verify_password(TEST_PASSWORD, first.password_hash)


def test_requests_are_throttled_per_email_and_per_ip(make, session, mailbox):
    limit = get_settings().login_max_failures
    contact = make.contact(make.client(make.company()), email=_email())
    for _ in range(limit):
        assert password_reset.request_password_reset(session, email=contact.email, ip=_ip())
    deliver(session)
    assert len(mailbox.messages) == limit
    # The account's quota is used up, whichever address asks.
    assert password_reset.request_password_reset(session, email=contact.email, ip=_ip()) is None
    deliver(session)
    assert len(mailbox.messages) == limit

    # One address asking about many accounts (known or not) is stopped too.
    ip = _ip()
    for _ in range(limit):
        password_reset.request_password_reset(session, email=_email(), ip=ip)
    other = make.contact(make.client(make.company()), email=_email())
    assert password_reset.request_password_reset(session, email=other.email, ip=ip) is None
    deliver(session)
    assert len(mailbox.messages) == limit


class _OneContactSession:
    """Stands in for a database session shared by threads: every lookup finds `contact`."""

    def __init__(self, contact, company):
        self.contact, self.company = contact, company
        self.queued: list[Insert] = []  # the outbox rows the requests inserted

    def exec(self, statement):
        if isinstance(statement, Insert):
            self.queued.append(statement)
            return SimpleNamespace(scalar_one_or_none=lambda: len(self.queued))
        return SimpleNamespace(all=lambda: [self.contact], first=lambda: self.contact)

    def get_bind(self):
        return SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))

    def get(self, _model, _key):
        return self.company

    def add(self, _row) -> None:
        pass


@pytest.mark.parametrize("shared", ["email", "address"])
def test_parallel_requests_send_no_more_links_than_the_limit(
    make, session, mailbox, monkeypatch, shared
):
    # A store with a round trip's latency (as Redis has) makes a check-then-count race visible.
    monkeypatch.setattr(throttle, "_limiter", lambda limiter=slow_limiter(): limiter)
    contact = make.contact(make.client(make.company()), email=_email())
    company = session.get(Company, contact.company_id)
    db = _OneContactSession(contact, company)
    ip = _ip()

    def attempt(_i: int) -> str:
        email = contact.email if shared == "email" else _email()
        address = ip if shared == "address" else _ip()
        token = password_reset.request_password_reset(db, email=email, ip=address)
        return "sent" if token else "nothing"

    outcomes = in_parallel(40, attempt)
    limit = get_settings().login_max_failures
    assert outcomes.count("sent") <= limit
    assert len(db.queued) == outcomes.count("sent")


def test_tampered_and_malformed_tokens_are_refused(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    other = make.contact(make.client(make.company()), email=_email())
    token = password_reset.request_password_reset(session, email=contact.email, ip=_ip())
    other_token = password_reset.request_password_reset(session, email=other.email, ip=_ip())
    assert token and other_token
    body, issued, signature = token.split(".")
    other_body, _, other_signature = other_token.split(".")

    contact_id, fingerprint = json.loads(unb64(body))
    assert contact_id == contact.id
    # The payload carries a keyed fingerprint, never the password hash itself.
    assert contact.password_hash not in unb64(body).decode()
    assert fingerprint not in contact.password_hash
    forged_body = b64(json.dumps([other.id, fingerprint], separators=(",", ":")).encode())
    later = b64(int(bytes_to_int(unb64(issued)) + 86400).to_bytes(4, "big"))

    def flip(text: str, index: int) -> str:
        return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]

    bad_tokens = [
        "",
        "x",
        "not-a-token",
        ".",
        f"{body}.",
        f".{signature}",
        f"{body}.{signature}",
        f"{flip(body, 3)}.{issued}.{signature}",
        f"{body}.{flip(issued, 2)}.{signature}",
        f"{body}.{issued}.{flip(signature, 0)}",
        f"{body}.{issued}.{flip(signature, len(signature) - 1)}",
        f"{forged_body}.{issued}.{signature}",
        f"{body}.{later}.{signature}",
        f"{body}.{issued}.{other_signature}",
        f"{other_body}.{issued}.{signature}",
        f"{body}.{issued}.{signature}x",
        f"{body}.{issued}.{signature}==",
        f" {token}",
        f"{token}.{signature}",
        "é" * 40 + "." + signature,
        "A" * 5000 + "." + signature,
    ]
    for bad in bad_tokens:
        with pytest.raises(ValidationError) as caught:
            password_reset.reset_password(session, token=bad, new_password=NEW_PASSWORD)
        assert caught.value.field == "token", bad
        assert caught.value.message == INVALID_TOKEN_MESSAGE
    assert verify_password(TEST_PASSWORD, contact.password_hash)
    assert verify_password(TEST_PASSWORD, other.password_hash)
    # The untouched tokens still work: the refusals above were about the tampering.
    password_reset.reset_password(session, token=token, new_password=NEW_PASSWORD)
    password_reset.reset_password(session, token=other_token, new_password=NEW_PASSWORD)


def test_token_signed_with_another_secret_is_refused(make, session):
    contact = make.contact(make.client(make.company()), email=_email())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PORTAL_SECRET_KEY", "another-secret-" + uuid.uuid4().hex)
        get_settings.cache_clear()
        foreign = password_reset.make_reset_token(contact)
    get_settings.cache_clear()
    own = password_reset.make_reset_token(contact)
    assert foreign != own
    with pytest.raises(ValidationError) as caught:
        password_reset.reset_password(session, token=foreign, new_password=NEW_PASSWORD)
    assert caught.value.field == "token"
    password_reset.reset_password(session, token=own, new_password=NEW_PASSWORD)


def test_expired_token_is_refused(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    lifetime = timedelta(minutes=get_settings().password_reset_minutes)
    issued = utcnow() - timedelta(days=3)
    token = password_reset.request_password_reset(
        session, email=contact.email, ip=_ip(), now=issued
    )
    deliver(session)
    assert token == _token_from(_link_from(_only_message(mailbox)))

    for late in (issued + lifetime, issued + lifetime + timedelta(seconds=1), utcnow()):
        with pytest.raises(ValidationError) as caught:
            password_reset.reset_password(session, token=token, new_password=NEW_PASSWORD, now=late)
        assert caught.value.field == "token"
        assert caught.value.message == INVALID_TOKEN_MESSAGE
    assert verify_password(TEST_PASSWORD, contact.password_hash)

    # Just inside its lifetime the same token is fine.
    password_reset.reset_password(
        session,
        token=token,
        new_password=NEW_PASSWORD,
        now=issued + lifetime - timedelta(seconds=2),
    )
    assert verify_password(NEW_PASSWORD, contact.password_hash)


def test_a_token_for_another_purpose_is_refused(make, session):
    # The same payload a reset token carries, signed for downloads or e-mail confirmation.
    contact = make.contact(make.client(make.company()), email=_email())
    payload = [
        contact.id,
        signing.fingerprint(signing.Purpose.PASSWORD_RESET, contact.password_hash),
    ]
    for purpose in (signing.Purpose.DOCUMENT_DOWNLOAD, signing.Purpose.REGISTRATION_CONFIRM):
        with pytest.raises(ValidationError) as caught:
            password_reset.reset_password(
                session, token=signing.sign(purpose, payload), new_password=NEW_PASSWORD
            )
        assert caught.value.message == INVALID_TOKEN_MESSAGE
    # Nor does an old download token of the same shape pass for an old reset token.
    old_download = old_seal_payload(["v1", str(contact.id), "x" * 22])
    with pytest.raises(ValidationError):
        password_reset.reset_password(session, token=old_download, new_password=NEW_PASSWORD)
    assert verify_password(TEST_PASSWORD, contact.password_hash)


def test_a_link_mailed_before_the_upgrade_works_once_within_its_lifetime(make, session):
    contact = make.contact(make.client(make.company()), email=_email())
    issued = utcnow() - timedelta(minutes=5)
    old = old_reset_token(contact, now=issued)
    password_reset.reset_password(session, token=old, new_password=NEW_PASSWORD)
    assert verify_password(NEW_PASSWORD, contact.password_hash)
    with pytest.raises(ValidationError) as caught:  # used: the password hash changed
        password_reset.reset_password(session, token=old, new_password="yet-another-pass-1")
    assert caught.value.message == INVALID_TOKEN_MESSAGE


def test_a_link_mailed_before_the_upgrade_is_refused_after_its_lifetime(make, session):
    contact = make.contact(make.client(make.company()), email=_email())
    lifetime = timedelta(minutes=get_settings().password_reset_minutes)
    issued = utcnow() - timedelta(days=1)
    old = old_reset_token(contact, now=issued)
    for late in (issued + lifetime, issued + lifetime + timedelta(seconds=1), utcnow()):
        with pytest.raises(ValidationError) as caught:
            password_reset.reset_password(session, token=old, new_password=NEW_PASSWORD, now=late)
        assert caught.value.message == INVALID_TOKEN_MESSAGE
    body, signature = old.split(".")
    for tampered in (f"{body}.{signature[::-1]}", f"{body[:-2]}AA.{signature}"):
        with pytest.raises(ValidationError):
            password_reset.reset_password(session, token=tampered, new_password=NEW_PASSWORD)
    assert verify_password(TEST_PASSWORD, contact.password_hash)
    password_reset.reset_password(
        session, token=old, new_password=NEW_PASSWORD, now=issued + lifetime - timedelta(seconds=2)
    )
    assert verify_password(NEW_PASSWORD, contact.password_hash)


def test_token_works_once_and_a_new_password_kills_older_tokens(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    older = password_reset.request_password_reset(session, email=contact.email, ip=_ip())
    newer = password_reset.request_password_reset(session, email=contact.email, ip=_ip())
    assert older and newer

    password_reset.reset_password(session, token=newer, new_password=NEW_PASSWORD)

    for used in (newer, older):
        with pytest.raises(ValidationError) as caught:
            password_reset.reset_password(session, token=used, new_password="yet-another-pass-1")
        assert caught.value.field == "token"
    assert verify_password(NEW_PASSWORD, contact.password_hash)
    assert len(_events(session, contact, "password_reset")) == 1


def test_token_for_a_contact_disabled_since_is_refused(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    token = password_reset.request_password_reset(session, email=contact.email, ip=_ip())
    contact.portal_enabled = False
    session.add(contact)
    session.flush()
    with pytest.raises(ValidationError) as caught:
        password_reset.reset_password(session, token=token, new_password=NEW_PASSWORD)
    assert caught.value.field == "token"


def test_contact_without_password_can_set_one(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email(), password=None)
    token = password_reset.request_password_reset(session, email=contact.email, ip=_ip())
    password_reset.reset_password(session, token=token, new_password=NEW_PASSWORD)
    assert verify_password(NEW_PASSWORD, contact.password_hash)
    with pytest.raises(ValidationError):
        password_reset.reset_password(session, token=token, new_password="another-pass-99")


def test_weak_password_is_refused_and_nothing_changes(make, session, mailbox):
    contact = make.contact(make.client(make.company()), email=_email())
    opened = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    token = password_reset.request_password_reset(session, email=contact.email, ip=_ip())
    hash_before = contact.password_hash

    for weak in ("short", "", "x" * 257):
        with pytest.raises(ValidationError) as caught:
            password_reset.reset_password(session, token=token, new_password=weak)
        assert caught.value.field == "password"
        assert caught.value.message

    session.expire_all()
    assert contact.password_hash == hash_before
    assert auth.resolve_actor(session, token=opened.token) is not None
    assert _events(session, contact, "password_reset") == []
    # The link was not used up by the refused attempts.
    password_reset.reset_password(session, token=token, new_password=NEW_PASSWORD)


def test_reset_signs_out_every_session_of_that_contact_only(make, session, mailbox):
    client = make.client(make.company())
    contact = make.contact(client, email=_email())
    colleague = make.contact(client, email=_email())
    first = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    second = auth.sign_in(
        session, email=contact.email, password=TEST_PASSWORD, ip=_ip(), binding=BINDING
    )
    signed_out = auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    assert auth.sign_out(session, token=signed_out.token)
    earlier_revocation = session.get(AuthSession, signed_out.session_id).revoked_at
    theirs = auth.sign_in(session, email=colleague.email, password=TEST_PASSWORD, ip=_ip())
    token = password_reset.request_password_reset(session, email=contact.email, ip=_ip())

    password_reset.reset_password(session, token=token, new_password=NEW_PASSWORD)

    session.expire_all()
    for opened in (first, second):
        assert auth.resolve_actor(session, token=opened.token) is None
        assert session.get(AuthSession, opened.session_id).revoked_at is not None
    assert session.get(AuthSession, signed_out.session_id).revoked_at == earlier_revocation
    assert auth.resolve_actor(session, token=theirs.token) is not None
    # A handoff code issued before the reset cannot smuggle a session past it.
    assert auth.redeem_handoff(session, code=second.handoff_code, binding=BINDING) is None


def test_mail_server_down_queues_the_link_and_sends_it_later(make, session):
    # The request no longer talks to SMTP: the link waits in the outbox until the server is back.
    contact = make.contact(make.client(make.company()), email=_email())
    port = _free_port()  # nothing listens there yet
    with smtp_settings(port):
        token = password_reset.request_password_reset(session, email=contact.email, ip=_ip())
        assert token
        assert deliver(session)["retrying"] == 1
        (event,) = _events(session, contact, "password_reset_requested")
        assert '"queued": true' in event.details
        with serve(Mailbox(), port) as box:
            assert deliver(session, now=utcnow() + timedelta(hours=1))["sent"] == 1
    assert token == _token_from(_link_from(_only_message(box)))


def test_send_email_logs_in_when_configured():
    with _run_smtp(SMTP_USERNAME="mailer", SMTP_PASSWORD="mail-secret") as box:
        send_email(to="someone@example.test", subject="Hello", text="Plain body")
        assert box.logins == [("mailer", "mail-secret")]
        message = _only_message(box)
        assert message["Subject"] == "Hello"
        assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Plain body"


def test_send_email_refuses_header_injection(mailbox):
    for to, subject in (("a@example.test\nBcc: b@example.test", "Hi"), ("a@example.test", "x\r\n")):
        with pytest.raises(ValueError):
            send_email(to=to, subject=subject, text="body")
    assert mailbox.messages == []


def test_the_reset_email_is_in_the_contacts_language_else_the_pages(make, session, mailbox):
    company = make.company(name="Northwind Billing", locale="en_US")
    french = make.contact(make.client(company), email=_email(), language="fr")
    # The contact's choice wins over the page the request came from.
    password_reset.request_password_reset(session, email=french.email, ip=_ip(), language="ja")
    assert deliver(session)["sent"] == 1
    message = _only_message(mailbox)
    assert message["Subject"] == "Réinitialisez votre mot de passe du portail Northwind Billing"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "ouvrez ce lien d'ici" in text and "minutes :" in text
    assert "Le lien ne fonctionne qu'une fois." in text
    assert _link_from(message).startswith(get_settings().base_url.rstrip("/"))
    # Nobody chose: the page's language (the visitor asked in Japanese).
    mailbox.messages.clear()
    visitor = make.contact(make.client(company), email=_email())
    password_reset.request_password_reset(session, email=visitor.email, ip=_ip(), language="ja")
    deliver(session)
    japanese = _only_message(mailbox)
    assert japanese["Subject"] == "Northwind Billing ポータルのパスワードの再設定"
    # And without a page language, the client's (en_US): English.
    mailbox.messages.clear()
    password_reset.request_password_reset(session, email=visitor.email, ip=_ip())
    deliver(session)
    assert _only_message(mailbox)["Subject"] == "Reset your Northwind Billing portal password"


def test_a_refused_token_is_explained_in_the_current_language(make, session):
    from portal_app.core.i18n import use_language

    with use_language("de"), pytest.raises(ValidationError) as caught:
        password_reset.reset_password(session, token="nonsense", new_password=NEW_PASSWORD)
    assert caught.value.message == "Dieser Link zum Zurücksetzen ist ungültig oder abgelaufen."
