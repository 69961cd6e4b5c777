"""A contact's choice of optional e-mails: the unsubscribe token (forged, expired, another
client's contact, another company refused; the real one works, also twice), switching kinds on
and off from the profile, and send_to_contact leaving out what a contact switched off but never
a receipt."""

from __future__ import annotations

import re
import time

import pytest
from sqlmodel import select

from portal_app.core.errors import ReadOnlyError
from portal_app.core.signing import Purpose, sign
from portal_app.models import AuditEvent, OutboxMessage
from portal_app.services.identity import email_choices, profile
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.link_scope import FullSessionRequired
from portal_app.services.mail.layout import Body

KIND = email_choices.PAYMENT_REMINDER


def _actor(contact) -> Actor:
    return Actor(
        company_id=contact.company_id,
        client_id=contact.client_id,
        contact_id=contact.id,
        session_id=1,
        kind="password",
    )


def test_unsubscribe_token_rules(make, session):
    company = make.company()
    contact = make.contact(make.client(company))
    neighbour = make.contact(make.client(company))
    token = email_choices.unsubscribe_token(contact, KIND)
    # Forged (another purpose's signature, or altered), expired: refused, nothing changes.
    forged = sign(Purpose.EMAIL_CHANGE, [contact.company_id, contact.id, KIND])
    assert email_choices.unsubscribe(session, token=forged) is None
    assert email_choices.unsubscribe(session, token=token[:-2] + "xx") is None
    assert email_choices.unsubscribe(session, token="") is None
    assert email_choices.unsubscribe(session, token=None) is None
    old = email_choices.unsubscribe_token(
        contact, KIND, now=time.time() - email_choices.UNSUBSCRIBE_DAYS * 86400 - 10
    )
    assert email_choices.unsubscribe(session, token=old) is None
    # Another company's id in a validly signed token: not this contact.
    other = sign(Purpose.EMAIL_UNSUBSCRIBE, [contact.company_id + 10_000, contact.id, KIND])
    assert email_choices.unsubscribe(session, token=other) is None
    assert email_choices.wants(session, contact, KIND)
    # Another client's token unsubscribes that client's contact only.
    theirs = email_choices.unsubscribe_token(neighbour, KIND)
    assert email_choices.unsubscribe(session, token=theirs).contact_id == neighbour.id
    assert email_choices.wants(session, contact, KIND)
    # The real one works, and again (the same answer, one audit record).
    assert email_choices.unsubscribe(session, token=token).contact_id == contact.id
    assert email_choices.unsubscribe(session, token=token).contact_id == contact.id
    assert not email_choices.wants(session, contact, KIND)
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "contact.email_unsubscribed", AuditEvent.actor_id == contact.id
        )
    ).all()
    assert len(events) == 1 and KIND in events[0].details
    # And subscribing again from the same link.
    assert email_choices.unsubscribe(session, token=token, subscribe=True).subscribed
    assert email_choices.wants(session, contact, KIND)


def test_profile_choices_switch_kinds_on_and_off(make, session):
    contact = make.contact(make.client(make.company()))
    choices = email_choices.email_choices(session, contact)
    assert [c.kind for c in choices] == list(email_choices.OPTIONAL_KINDS)
    assert all(c.enabled for c in choices)
    changed = email_choices.set_email_choices(
        session,
        actor=_actor(contact),
        contact=contact,
        enabled=[email_choices.CARD_EXPIRING, "receipt", "nonsense"],
    )
    assert set(changed) == set(email_choices.OPTIONAL_KINDS) - {email_choices.CARD_EXPIRING}
    on = {c.kind for c in email_choices.email_choices(session, contact) if c.enabled}
    assert on == {email_choices.CARD_EXPIRING}
    # Saving the same again changes nothing; everything back on.
    assert (
        email_choices.set_email_choices(
            session, actor=_actor(contact), contact=contact, enabled=[email_choices.CARD_EXPIRING]
        )
        == []
    )
    email_choices.set_email_choices(
        session, actor=_actor(contact), contact=contact, enabled=email_choices.OPTIONAL_KINDS
    )
    assert email_choices.switched_off(session, contact.id) == set()


def _body(_to) -> Body:
    return Body(subject="Subject", paragraphs=["A fact."], action="Open:", link="https://x.test")


def test_send_to_contact_skips_switched_off_kinds_but_never_receipts(make, session):
    client = make.client(
        make.company(
            name="Northwind Studio",
            primary_color="#aa3300",
            logo_path="/api/branding/logo/" + "a" * 64 + ".png",
        )
    )
    contact = make.contact(client, is_primary=True, first_name="Ann")
    email_choices.set_email_choices(session, actor=_actor(contact), contact=contact, enabled=[])

    def send(kind: str, key: str) -> str:
        return email_choices.send_to_contact(
            session,
            company_id=client.company_id,
            client_id=client.id,
            kind=kind,
            key=key,
            build=_body,
        )

    assert send(email_choices.TRIAL_ENDING, "t:1") == "opted_out"
    assert send("payment_receipt", "r:1") == "queued"
    assert send("payment_receipt", "r:1") == "sent_before"
    (row,) = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == "r:1"))
    assert row.to_address == contact.email and row.list_unsubscribe == ""
    assert "Hello Ann," in row.text_body and "#aa3300" in row.html_body
    assert "Northwind Studio" in row.html_body
    assert re.search(r'<img src="https?://[^"]+/api/branding/logo/a{64}\.png"', row.html_body)
    # An optional kind that is on carries its unsubscribe link, in the text and the header.
    email_choices.set_email_choices(
        session, actor=_actor(contact), contact=contact, enabled=[email_choices.TRIAL_ENDING]
    )
    assert send(email_choices.TRIAL_ENDING, "t:1") == "queued"
    (row,) = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == "t:1"))
    assert "/api/email/unsubscribe/" in row.list_unsubscribe
    assert row.list_unsubscribe in row.text_body


def test_no_contact_with_portal_access_gets_nothing(make, session):
    client = make.client(make.company())
    make.contact(client, portal_enabled=False)
    outcome = email_choices.send_to_contact(
        session,
        company_id=client.company_id,
        client_id=client.id,
        kind="payment_receipt",
        key="r:2",
        build=_body,
    )
    assert outcome == "no_contact"


def test_the_profile_form_saves_choices_only_in_a_full_session(make, session):
    contact = make.contact(make.client(make.company()))
    actor = _actor(contact)
    form = {f"email_{email_choices.PAYMENT_REMINDER}": "on", "email_receipt": "on"}
    changed = profile.update_email_choices(session, actor=actor, form=form)
    assert email_choices.PAYMENT_REMINDER not in changed
    listed = profile.email_choice_list(session, actor=actor)
    assert {c.kind for c in listed if c.enabled} == {email_choices.PAYMENT_REMINDER}
    for kind in ("link", "staff_preview"):
        other = Actor(
            company_id=contact.company_id,
            client_id=contact.client_id,
            contact_id=contact.id,
            session_id=2,
            kind=kind,
            link_type="invoice" if kind == "link" else "",
            link_id=1,
        )
        with pytest.raises((FullSessionRequired, ReadOnlyError)):
            profile.update_email_choices(session, actor=other, form={})
    assert {c.kind for c in listed if c.enabled} == {
        c.kind for c in profile.email_choice_list(session, actor=actor) if c.enabled
    }
