"""The client profile (issue 18 item 9): every field saved for the signed-in contact only, each
wrong case refused field by field with nothing changed, the e-mail change made only from the
link sent to the new address (once, before it expires), the password change signing out the
other sessions, billing details only where the company allows them (audited for staff)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from portal_app.core import i18n
from portal_app.core.db import utcnow
from portal_app.core.errors import AuthError, FieldErrors, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, Client, OutboxMessage
from portal_app.services.identity import auth, profile
from portal_app.services.identity.link_scope import FullSessionRequired
from portal_app.services.identity.passwords import verify_password
from tests.conftest import TEST_PASSWORD
from tests.helpers.mailbox import deliver

NEW_PASSWORD = "another-long-passphrase"


def _email() -> str:
    return f"profile-{uuid.uuid4().hex[:12]}@example.test"


def _ip() -> str:
    return f"10.9.{uuid.uuid4().int % 256}.{uuid.uuid4().hex[:6]}"


def _events(session, contact, action: str) -> list[AuditEvent]:
    return session.exec(
        select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.client_id == contact.client_id
        )
    ).all()


def _reload(session, row) -> None:
    """What the database holds now (the services never flush: the caller commits)."""
    session.flush()
    session.refresh(row)


def _outbox(session, to: str) -> list[OutboxMessage]:
    return session.exec(select(OutboxMessage).where(OutboxMessage.to_address == to)).all()


@pytest.fixture
def me(make):
    """A contact of a client, a second contact of another client of the same company."""
    company = make.company(allow_client_detail_edits=True)
    client = make.client(company, address1="1 Old Road", city="Oldtown", vat_number="DE1")
    contact = make.contact(client, email=_email())
    other_client = make.client(company, address1="9 Other Street", vat_number="FR9")
    other = make.contact(other_client, email=_email())
    return contact, other


# -- the view and who may change anything ----------------------------------------------------


def test_the_view_shows_the_contacts_and_clients_values(make, session, me):
    contact, _other = me
    view = profile.profile_view(session, actor=make.actor(contact))
    assert view.email == contact.email
    assert view.values["first_name"] == "Casey"
    assert view.values["address1"] == "1 Old Road"
    assert view.has_password and view.may_edit_billing and not view.codes_only


def test_an_emailed_link_session_must_sign_in_and_a_preview_changes_nothing(make, session, me):
    contact, _other = me
    invoice = make.invoice(make.client(make.company()))
    link = make.actor(contact, kind="link", link_to=invoice)
    with pytest.raises(FullSessionRequired):
        profile.profile_view(session, actor=link)
    with pytest.raises(FullSessionRequired):
        profile.update_contact_details(
            session, actor=link, form={"first_name": "Eve", "last_name": "X"}
        )
    preview = make.actor(contact, kind="staff_preview")
    assert profile.profile_view(session, actor=preview).email == contact.email
    with pytest.raises(ReadOnlyError):
        profile.update_contact_details(
            session, actor=preview, form={"first_name": "Eve", "last_name": "X"}
        )
    _reload(session, contact)
    assert contact.first_name == "Casey"


# -- name and phone --------------------------------------------------------------------------


def test_name_and_phone_are_saved_and_audited(make, session, me):
    contact, other = me
    changed = profile.update_contact_details(
        session,
        actor=make.actor(contact),
        form={"first_name": "  Robin ", "last_name": "Roe", "phone": "+49 (30) 123-45"},
    )
    assert changed == ["first_name", "last_name", "phone"]
    _reload(session, contact)
    assert (contact.first_name, contact.last_name, contact.phone) == (
        "Robin",
        "Roe",
        "+49 (30) 123-45",
    )
    (event,) = _events(session, contact, "contact_details_changed")
    assert json.loads(event.details)["fields"] == changed
    # Nothing new: nothing saved, nothing audited.
    assert (
        profile.update_contact_details(
            session,
            actor=make.actor(contact),
            form={"first_name": "Robin", "last_name": "Roe", "phone": "+49 (30) 123-45"},
        )
        == []
    )
    _reload(session, other)
    assert other.first_name == "Casey" and other.phone == ""


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"first_name": "", "last_name": "Roe"}, "first_name"),
        ({"first_name": "Robin", "last_name": "   "}, "last_name"),
        ({"first_name": "R" * 101, "last_name": "Roe"}, "first_name"),
        ({"first_name": "Robin", "last_name": "Roe", "phone": "call me"}, "phone"),
        ({"first_name": "Robin", "last_name": "Roe", "phone": "+1"}, "phone"),
    ],
)
def test_wrong_details_are_refused_by_field(make, session, me, form, field):
    contact, _other = me
    with pytest.raises(FieldErrors) as caught:
        profile.update_contact_details(session, actor=make.actor(contact), form=form)
    assert field in caught.value.errors
    _reload(session, contact)
    assert contact.first_name == "Casey" and contact.last_name == "Contact"


def test_messages_come_in_the_contacts_language(make, session, me):
    contact, _other = me
    with i18n.use_language("de"), pytest.raises(FieldErrors) as caught:
        profile.update_contact_details(
            session, actor=make.actor(contact), form={"first_name": "", "last_name": "Roe"}
        )
    assert caught.value.errors["first_name"] == "Geben Sie Ihren Vornamen ein."


# -- e-mail address --------------------------------------------------------------------------


def _token_from(message: OutboxMessage) -> str:
    (link,) = re.findall(r"https?://\S+", message.text_body)
    assert urlsplit(link).path == "/client/profile/email"
    return parse_qs(urlsplit(link).query)["token"][0]


def test_a_new_address_is_used_only_after_its_link_is_followed(make, session, me, mailbox):
    contact, _other = me
    old, new = contact.email, _email()
    token = profile.request_email_change(
        session, actor=make.actor(contact), form={"email": f"  {new.upper()} "}
    )
    _reload(session, contact)
    assert contact.email == old  # nothing changed yet
    (message,) = _outbox(session, new)
    assert _token_from(message) == token
    assert _outbox(session, old) == []

    profile.confirm_email_change(session, token=token, ip=_ip())
    _reload(session, contact)
    assert contact.email == new and contact.email_confirmed_at is not None
    # The old address is told; the new one signs in.
    (notice,) = _outbox(session, old)
    assert new in notice.text_body
    assert auth.sign_in(session, email=new, password=TEST_PASSWORD, ip=_ip()).contact_id == (
        contact.id
    )
    assert _events(session, contact, "email_changed")
    # The mail really leaves through SMTP.
    deliver(session)
    assert mailbox.to(new) and mailbox.to(old)


def test_a_used_link_is_refused_the_second_time(make, session, me):
    contact, _other = me
    first, second = _email(), _email()
    token = profile.request_email_change(session, actor=make.actor(contact), form={"email": first})
    older = profile.request_email_change(session, actor=make.actor(contact), form={"email": second})
    profile.confirm_email_change(session, token=token)
    with pytest.raises(ValidationError):
        profile.confirm_email_change(session, token=token)
    # A link sent before the change died with it.
    with pytest.raises(ValidationError):
        profile.confirm_email_change(session, token=older)
    _reload(session, contact)
    assert contact.email == first


def test_an_expired_or_tampered_link_is_refused(make, session, me):
    contact, _other = me
    old = contact.email
    stale = profile.make_email_change_token(
        contact, _email(), now=utcnow() - timedelta(hours=profile.EMAIL_CHANGE_HOURS, seconds=1)
    )
    with pytest.raises(ValidationError):
        profile.confirm_email_change(session, token=stale)
    good = profile.make_email_change_token(contact, _email())
    for bad in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "", "x" * 5000, None):
        with pytest.raises(ValidationError):
            profile.confirm_email_change(session, token=bad)
    _reload(session, contact)
    assert contact.email == old


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "two@@example.test", ""])
def test_an_invalid_address_is_refused(make, session, me, address):
    contact, _other = me
    with pytest.raises(FieldErrors) as caught:
        profile.request_email_change(session, actor=make.actor(contact), form={"email": address})
    assert "email" in caught.value.errors


def test_an_address_another_contact_uses_is_refused_now_and_at_confirmation(make, session, me):
    contact, other = me
    with pytest.raises(FieldErrors) as caught:
        profile.request_email_change(
            session, actor=make.actor(contact), form={"email": other.email}
        )
    assert caught.value.errors == {"email": "Another contact already uses this e-mail address."}
    with pytest.raises(FieldErrors):
        profile.request_email_change(
            session, actor=make.actor(contact), form={"email": contact.email}
        )
    # Taken between the request and the click: refused, nothing changes.
    wanted = _email()
    token = profile.request_email_change(session, actor=make.actor(contact), form={"email": wanted})
    other.email = wanted
    session.add(other)
    session.flush()
    with pytest.raises(ValidationError):
        profile.confirm_email_change(session, token=token)
    _reload(session, contact)
    assert contact.email != wanted
    # The same address at another company is no conflict.
    elsewhere = make.contact(make.client(make.company()), email=_email())
    profile.request_email_change(
        session, actor=make.actor(contact), form={"email": elsewhere.email}
    )


# -- password --------------------------------------------------------------------------------


def _open(session, contact, kind: str = "password") -> auth.NewSession:
    return auth.open_session(session, contact=contact, kind=kind, lifetime=timedelta(hours=1))


def test_a_password_change_keeps_this_session_and_signs_out_the_others(make, session, me):
    contact, other = me
    here, there, link = _open(session, contact), _open(session, contact), _open(session, contact)
    elsewhere = _open(session, other)
    actor = auth.resolve_actor(session, token=here.token)
    revoked = profile.change_password(
        session,
        actor=actor,
        form={
            "current_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert revoked == 2
    session.flush()
    assert auth.resolve_actor(session, token=here.token) is not None
    assert auth.resolve_actor(session, token=there.token) is None
    assert auth.resolve_actor(session, token=link.token) is None
    assert auth.resolve_actor(session, token=elsewhere.token) is not None
    _reload(session, contact)
    assert verify_password(NEW_PASSWORD, contact.password_hash)
    assert _events(session, contact, "password_changed")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (
            {"current_password": "wrong-password-1", "new_password": NEW_PASSWORD},
            "current_password",
        ),
        ({"current_password": "", "new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": TEST_PASSWORD, "new_password": "short"}, "new_password"),
        (
            {
                "current_password": TEST_PASSWORD,
                "new_password": NEW_PASSWORD,
                "repeat_password": NEW_PASSWORD + "x",
            },
            "repeat_password",
        ),
    ],
)
def test_a_wrong_password_change_is_refused(make, session, me, form, field):
    contact, _other = me
    form = {"repeat_password": form.get("new_password", ""), **form}
    here = _open(session, contact)
    there = _open(session, contact)
    with pytest.raises(FieldErrors) as caught:
        profile.change_password(
            session, actor=auth.resolve_actor(session, token=here.token), form=form
        )
    assert field in caught.value.errors
    _reload(session, contact)
    assert verify_password(TEST_PASSWORD, contact.password_hash)
    assert auth.resolve_actor(session, token=there.token) is not None


def test_a_contact_without_a_password_sets_one(make, session):
    contact = make.contact(make.client(make.company()), password=None, email=_email())
    assert not profile.profile_view(session, actor=make.actor(contact)).has_password
    profile.change_password(
        session,
        actor=make.actor(contact),
        form={"new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
    )
    _reload(session, contact)
    assert verify_password(NEW_PASSWORD, contact.password_hash)


# -- billing details -------------------------------------------------------------------------

BILLING = {
    "address1": "2 New Street",
    "city": "Newtown",
    "postal_code": "10115",
    "country": "Germany",
    "vat_number": "DE 123-456.789",
}


def test_billing_details_are_saved_for_the_own_client_only_and_audited(make, session, me):
    contact, other = me
    changed = profile.update_billing_details(session, actor=make.actor(contact), form=BILLING)
    assert set(changed) == set(BILLING)
    client = session.get(Client, contact.client_id)
    assert client.address1 == "2 New Street" and client.vat_number == "DE 123-456.789"
    stranger = session.get(Client, other.client_id)
    assert stranger.address1 == "9 Other Street" and stranger.vat_number == "FR9"
    (event,) = _events(session, contact, "client_details_changed")
    details = json.loads(event.details)
    assert details["before"]["address1"] == "1 Old Road"
    assert details["after"]["address1"] == "2 New Street"
    assert event.entity_type == "client" and event.entity_id == contact.client_id


def test_billing_details_are_refused_where_the_company_does_not_allow_it(make, session):
    contact = make.contact(make.client(make.company(), address1="Kept 1"), email=_email())
    assert not profile.profile_view(session, actor=make.actor(contact)).may_edit_billing
    with pytest.raises(ReadOnlyError):
        profile.update_billing_details(session, actor=make.actor(contact), form=BILLING)
    assert session.get(Client, contact.client_id).address1 == "Kept 1"


def test_wrong_billing_details_are_refused_by_field(make, session, me):
    contact, _other = me
    with pytest.raises(FieldErrors) as caught:
        profile.update_billing_details(
            session,
            actor=make.actor(contact),
            form={**BILLING, "vat_number": "DE<script>", "postal_code": "1" * 21},
        )
    assert set(caught.value.errors) == {"vat_number", "postal_code"}


# -- preferences -----------------------------------------------------------------------------


def test_language_formats_and_codes_only_are_saved(make, session, me):
    contact, _other = me
    actor = make.actor(contact)
    changed = profile.update_preferences(
        session, actor=actor, form={"language": "fr", "locale": "de_CH", "codes_only": True}
    )
    assert changed == ["language", "locale", "codes_only"]
    _reload(session, contact)
    assert contact.language == "fr" and contact.codes_only
    assert session.get(Client, contact.client_id).locale == "de_CH"
    assert auth.portal_identity(session, actor=actor).contact_language == "fr"
    # Codes only: the right password no longer signs in.
    with pytest.raises(AuthError):
        auth.sign_in(session, email=contact.email, password=TEST_PASSWORD, ip=_ip())
    # Back to the browser's language and the company's formats.
    profile.update_preferences(session, actor=actor, form={"language": "", "locale": ""})
    _reload(session, contact)
    assert contact.language is None and not contact.codes_only


@pytest.mark.parametrize(
    ("form", "field"),
    [({"language": "xx"}, "language"), ({"language": "de", "locale": "tlh_XX"}, "locale")],
)
def test_unknown_languages_and_formats_are_refused(make, session, me, form, field):
    contact, _other = me
    with pytest.raises(FieldErrors) as caught:
        profile.update_preferences(session, actor=make.actor(contact), form=form)
    assert field in caught.value.errors
    _reload(session, contact)
    assert contact.language is None
