"""Self-registration: open or closed, required fields, terms, duplicates and the e-mailed
confirmation through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from portal_app.core import signing
from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.models import AuditEvent, Client, ClientContact
from portal_app.services.identity import auth, registration
from portal_app.services.identity.passwords import verify_password
from tests.helpers.legacy_tokens import old_confirm_token, old_reset_token
from tests.helpers.mailbox import Mailbox, deliver, free_port, serve, smtp_settings

PASSWORD = "registered-password-1"


def _form(**kw):
    return {
        "organisation": "New Org",
        "first_name": "Rita",
        "last_name": "Register",
        "email": f"reg-{uuid.uuid4().hex[:10]}@example.test",
        **kw,
    }


def _register(session, company, form, **kw):
    return registration.register(
        session,
        company=str(company.id),
        form=form,
        password=kw.pop("password", PASSWORD),
        accepted_terms=kw.pop("accepted_terms", True),
        ip=kw.pop("ip", f"198.51.100.{uuid.uuid4().hex[:6]}"),
    )


def _token(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+", text)
    assert urlsplit(link).path == "/client/register/confirm"
    return parse_qs(urlsplit(link).query)["token"][0]


def test_closed_registration_says_so_and_creates_nothing(make, session, mailbox):
    company = make.company(allow_registration=False)
    info = registration.registration_info(session, company=company.id)
    assert not info.open
    with pytest.raises(ValidationError) as caught:
        _register(session, company, _form())
    assert caught.value.message == registration.CLOSED_MESSAGE
    assert mailbox.messages == []
    assert session.exec(select(Client).where(Client.company_id == company.id)).all() == []


def test_registration_creates_client_and_contact_and_mails_a_confirmation(
    make,
    session,
    mailbox,
):
    company = make.company(allow_registration=True, registration_terms="Be nice.", currency="EUR")
    form = _form(email="  Rita.R@Example.TEST ")
    text = _register(session, company, form)
    assert "rita.r@example.test" in text
    contact = session.exec(
        select(ClientContact).where(
            ClientContact.company_id == company.id, ClientContact.email == "rita.r@example.test"
        )
    ).one()
    client = session.get(Client, contact.client_id)
    assert client.name == "New Org" and client.currency == "EUR"
    assert contact.is_primary and contact.terms_accepted_at is not None
    assert verify_password(PASSWORD, contact.password_hash)
    # No portal access until the address is confirmed.
    assert not contact.portal_enabled and contact.email_confirmed_at is None
    with pytest.raises(auth.AuthError):
        auth.sign_in(session, email=contact.email, password=PASSWORD, ip="203.0.113.99")

    assert mailbox.messages == []  # queued in the outbox with the registration
    deliver(session)
    assert mailbox.recipients == [["rita.r@example.test"]]
    token = _token(mailbox.messages[0])
    confirmed = registration.confirm_email(session, token=token)
    assert confirmed.id == contact.id and contact.portal_enabled
    first_time = contact.email_confirmed_at
    assert first_time is not None
    # Opening the link again changes nothing.
    registration.confirm_email(session, token=token)
    assert contact.email_confirmed_at == first_time
    assert auth.sign_in(session, email=contact.email, password=PASSWORD, ip="203.0.113.98")
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.client_id == client.id)).all()
    assert {"registered", "email_confirmed"} <= set(actions)


def test_required_fields_terms_and_password_rules(make, session, mailbox):
    company = make.company(
        allow_registration=True,
        registration_required_fields="phone,address,vat_number",
        registration_terms="Terms.",
    )
    with pytest.raises(registration.RegistrationErrors) as caught:
        _register(
            session,
            company,
            _form(first_name="", email="bad"),
            password="short",
            accepted_terms=False,
        )
    assert set(caught.value.errors) == {
        "first_name",
        "email",
        "phone",
        "address1",
        "city",
        "postal_code",
        "country",
        "vat_number",
        "password",
        "terms",
    }
    assert mailbox.messages == []
    ok = _form(
        phone="+47 1234",
        address1="Main St 1",
        city="Oslo",
        postal_code="0150",
        country="Norway",
        vat_number="NO123",
    )
    _register(session, company, ok)
    deliver(session)
    assert len(mailbox.messages) == 1
    client = session.exec(
        select(Client).where(Client.company_id == company.id, Client.email == ok["email"])
    ).one()
    assert (client.vat_number, client.city, client.phone) == ("NO123", "Oslo", "+47 1234")


def test_a_known_address_gets_the_same_answer_and_a_sign_in_hint(
    make,
    session,
    mailbox,
):
    company = make.company(allow_registration=True)
    existing = make.contact(
        make.client(company), email=f"known-{uuid.uuid4().hex[:8]}@example.test"
    )
    before = session.exec(select(Client).where(Client.company_id == company.id)).all()
    text = _register(session, company, _form(email=existing.email.upper()))
    assert text == registration.SENT_MESSAGE % {"email": existing.email}
    assert session.exec(select(Client).where(Client.company_id == company.id)).all() == before
    deliver(session)
    (message,) = mailbox.messages
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "already has an account" in body and "/client/password/reset" in body


def test_bad_tampered_and_expired_confirmation_links(make, session, mailbox):
    company = make.company(allow_registration=True)
    _register(session, company, _form())
    deliver(session)
    token = _token(mailbox.messages[0])
    body, _, signature = token.partition(".")
    for bad in ("", "x", token + "x", body + "." + signature[::-1], "a" * 500):
        with pytest.raises(ValidationError):
            registration.confirm_email(session, token=bad)
    with pytest.raises(ValidationError):
        registration.confirm_email(
            session, token=token, now=utcnow() + timedelta(hours=registration.CONFIRM_HOURS + 1)
        )


def test_a_confirmation_mailed_before_the_upgrade_works_until_it_expires(make, session):
    company = make.company()
    contact = make.contact(make.client(company), email=f"old-{uuid.uuid4().hex[:8]}@example.test")
    issued = utcnow() - timedelta(hours=1)
    old = old_confirm_token(contact, hours=registration.CONFIRM_HOURS, now=issued)
    lifetime = timedelta(hours=registration.CONFIRM_HOURS)
    for late in (issued + lifetime, issued + lifetime + timedelta(seconds=1)):
        with pytest.raises(ValidationError) as caught:
            registration.confirm_email(session, token=old, now=late)
        assert caught.value.message == registration.INVALID_LINK
    body, _, signature = old.partition(".")
    with pytest.raises(ValidationError):
        registration.confirm_email(session, token=f"{body}.{signature[::-1]}")
    assert registration.confirm_email(session, token=old) == contact
    assert contact.email_confirmed_at is not None


def test_a_token_for_another_purpose_is_no_confirmation(make, session):
    contact = make.contact(make.client(make.company()), email=f"p-{uuid.uuid4().hex[:8]}@x.test")
    good = registration.make_confirm_token(contact)
    payload = [contact.id, hashlib.sha256(contact.email.encode()).hexdigest()[:16]]
    for purpose in (signing.Purpose.PASSWORD_RESET, signing.Purpose.DOCUMENT_DOWNLOAD):
        with pytest.raises(ValidationError) as caught:
            registration.confirm_email(session, token=signing.sign(purpose, payload))
        assert caught.value.message == registration.INVALID_LINK
    with pytest.raises(ValidationError):  # nor a password-reset link, old or new
        registration.confirm_email(session, token=old_reset_token(contact))
    # A changed address kills the link.
    contact.email = f"changed-{contact.email}"
    with pytest.raises(ValidationError):
        registration.confirm_email(session, token=good)


def test_mail_server_down_still_registers_and_the_confirmation_follows(make, session):
    # Before the outbox a down mail server refused the registration; now the confirmation
    # waits in the outbox and goes out when the server is back.
    company = make.company(allow_registration=True)
    form = _form()
    port = free_port()
    with smtp_settings(port):
        text = _register(session, company, form)
        assert text == registration.SENT_MESSAGE % {"email": form["email"]}
        assert deliver(session)["retrying"] == 1
        with serve(Mailbox(), port) as box:
            assert deliver(session, now=utcnow() + timedelta(hours=1))["sent"] == 1
    (message,) = box.messages
    assert registration.confirm_email(session, token=_token(message)).portal_enabled


def test_which_company_a_registration_is_for(make, session):
    company = make.company(allow_registration=True)
    assert registration.registration_company(session, company=str(company.id)).id == company.id
    for bad in ("abc", "-1", "999999999"):
        assert registration.registration_company(session, company=bad) is None
        assert not registration.registration_info(session, company=bad).open
    assert registration.registration_company(session) is not None


def _register_from(session, company, next_path: str) -> str:
    """Register with a next page (as /subscribe/<key> does); the mailed confirmation token."""
    form = _form()
    registration.register(
        session,
        company=str(company.id),
        form=form,
        password=PASSWORD,
        accepted_terms=True,
        ip=f"198.51.100.{uuid.uuid4().hex[:6]}",
        next_path=next_path,
    )
    deliver(session)
    return form["email"]


def test_a_registrant_from_a_plan_page_is_sent_back_to_it_after_confirming(make, session, mailbox):
    """Issue 18 item 8: after confirming the e-mail, sign-in leads back to the plan."""
    company = make.company(allow_registration=True)
    email = _register_from(session, company, "/subscribe/plan-key-1")
    token = _token(mailbox.to(email)[0])
    registration.confirm_email(session, token=token)
    after = urlsplit(registration.signin_url_after(token))
    assert after.path == "/client/login"
    assert parse_qs(after.query) == {"next": ["/subscribe/plan-key-1"]}


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/x", "//evil.example/x", "/client/logout", "/\\evil.example", ""],
)
def test_a_next_page_that_is_not_the_portals_is_dropped(make, session, mailbox, next_path):
    company = make.company(allow_registration=True)
    email = _register_from(session, company, next_path)
    token = _token(mailbox.to(email)[0])
    registration.confirm_email(session, token=token)
    assert registration.signin_url_after(token) == "/client/login"


def test_a_tampered_token_gives_no_next_page(make, session, mailbox):
    company = make.company(allow_registration=True)
    email = _register_from(session, company, "/subscribe/plan-key-2")
    token = _token(mailbox.to(email)[0])
    assert registration.signin_url_after(token[:-3] + "xyz") == "/client/login"
