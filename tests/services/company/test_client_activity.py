"""The client's activity page (services/company/client_activity.py): only the client's own
events, only what a client may see, staff anonymised, sign-ins and the portal's own events
(automatic payments, reminders, renewals) included, times in the company's time zone, paged."""

from datetime import timedelta

import pytest

from portal_app.core.db import utcnow
from portal_app.core.i18n import use_language
from portal_app.models import Document, PaymentMethod, StaffUser
from portal_app.services.company import client_activity
from portal_app.services.identity import audit
from portal_app.services.identity.link_scope import FullSessionRequired


def _event(session, client, action, *, actor_type="contact", actor_id=None, created_at=None, **kw):
    event = audit.record(
        session,
        company_id=client.company_id,
        client_id=client.id,
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        **kw,
    )
    if created_at is not None:
        event.created_at = created_at
    session.flush()
    return event


def _setup(make):
    company = make.company(name="Northwind Studio")
    client = make.client(company)
    ann = make.contact(client, first_name="Ann", last_name="Lee")
    bob = make.contact(client, first_name="Bob", last_name="Ray")
    return company, client, ann, bob


def test_events_of_every_contact_newest_first_worded_for_the_client(make, session):
    company, client, ann, bob = _setup(make)
    invoice = make.invoice(client, number="INV-ACT-1")
    payment = make.payment(client, amount_minor=123_45, number="PAY-ACT-1")
    start = utcnow() - timedelta(minutes=10)
    _event(
        session, client, "invoice_viewed", actor_id=ann.id, entity_type="invoice",
        entity_id=invoice.id, created_at=start,
    )  # fmt: skip
    _event(
        session, client, "invoice_downloaded", actor_id=bob.id, entity_type="invoice",
        entity_id=invoice.id, created_at=start + timedelta(minutes=1),
    )  # fmt: skip
    _event(
        session, client, "payment_completed", actor_id=bob.id, entity_type="payment",
        entity_id=payment.id, created_at=start + timedelta(minutes=2),
    )  # fmt: skip
    page = client_activity.list_activity(session, actor=make.actor(ann))
    assert [row.text for row in page.rows] == [
        "Bob Ray paid $123.45 (payment PAY-ACT-1).",
        "Bob Ray downloaded invoice INV-ACT-1.",
        "Ann Lee viewed invoice INV-ACT-1.",
    ]
    assert [row.kind for row in page.rows] == ["paid", "downloaded", "viewed"]
    assert page.total == 3 and not page.has_next
    assert all(row.when for row in page.rows)


def test_other_clients_events_never_appear(make, session):
    company, client, ann, _bob = _setup(make)
    neighbour = make.client(company)
    stranger = make.contact(neighbour, first_name="Eve")
    their_invoice = make.invoice(neighbour, number="INV-THEIRS")
    _event(
        session, neighbour, "invoice_viewed", actor_id=stranger.id, entity_type="invoice",
        entity_id=their_invoice.id,
    )  # fmt: skip
    other_company = make.company()
    far = make.client(other_company)
    _event(session, far, "quote_approved", actor_id=make.contact(far).id)
    # An event of this client naming another client's record: the record stays unnamed.
    _event(
        session, client, "invoice_viewed", actor_id=ann.id, entity_type="invoice",
        entity_id=their_invoice.id,
    )  # fmt: skip
    page = client_activity.list_activity(session, actor=make.actor(ann))
    assert [row.text for row in page.rows] == ["Ann Lee viewed invoice —."]
    texts = " ".join(row.text + row.who for row in page.rows)
    assert "INV-THEIRS" not in texts and "Eve" not in texts


def test_staff_events_are_anonymised_and_internal_ones_hidden(make, session):
    company, client, ann, _bob = _setup(make)
    staff = StaffUser(
        company_id=company.id, email=f"olive-{client.id}@example.com", name="Olive Owner",
        password_hash="x", role="owner",
    )  # fmt: skip
    session.add(staff)
    session.flush()
    invoice = make.invoice(client, number="INV-STAFF-1")
    _event(
        session, client, "invoice.marked_paid", actor_type="staff", actor_id=staff.id,
        entity_type="invoice", entity_id=invoice.id, ip="10.1.2.3",
        details={"reference": "internal note", "amount": 100},
    )  # fmt: skip
    # Staff adding a card while previewing the portal as Ann: staff, not Ann.
    card = PaymentMethod(
        company_id=company.id, client_id=client.id, customer_ref="cus_x",
        method_ref=f"pm_act_{client.id}", brand="visa", last4="4242",
        exp_month=1, exp_year=2099,
    )  # fmt: skip
    session.add(card)
    session.flush()
    _event(
        session, client, "payment_method_added", actor_type="staff_preview", actor_id=ann.id,
        entity_type="payment_method", entity_id=card.id, ip="10.1.2.3",
    )  # fmt: skip
    # Not for the client: internal or security events, even of this client.
    for action, actor_type in [
        ("client_updated", "staff"),
        ("invoice.created", "staff"),
        ("preview_started", "staff"),
        ("login_failed", "contact"),
        ("signed_in", "contact"),
        ("subscription_signup_abandoned", "system"),
        ("autobill_processing", "system"),
        ("session_opened_staff_preview", "staff"),
        ("invoice_viewed", "staff"),  # a contact's action word under another actor type
    ]:
        _event(session, client, action, actor_type=actor_type, actor_id=staff.id)
    page = client_activity.list_activity(session, actor=make.actor(ann))
    assert [(row.who, row.text) for row in page.rows] == [
        ("Northwind Studio staff", "Northwind Studio staff added the card Visa •••• 4242."),
        ("Northwind Studio staff", "Northwind Studio staff marked invoice INV-STAFF-1 as paid."),
    ]
    shown = repr(page)
    for secret in ("Olive", "10.1.2.3", "internal note", "owner"):
        assert secret not in shown


def test_removed_card_named_from_the_event_and_plan_changes(make, session):
    _company, client, ann, _bob = _setup(make)
    _event(
        session, client, "payment_method_removed", actor_id=ann.id,
        entity_type="payment_method", entity_id=999_999,
        details={"brand": "mastercard", "last4": "5454"},
    )  # fmt: skip
    page = client_activity.list_activity(session, actor=make.actor(ann))
    assert page.rows[0].text == "Ann Lee removed the card Mastercard •••• 5454."
    assert page.rows[0].kind == "card"


def test_paging_and_translation(make, session):
    _company, client, ann, _bob = _setup(make)
    for _ in range(12):
        _event(session, client, "quote_approved", actor_id=ann.id)
    actor = make.actor(ann)
    first = client_activity.list_activity(session, actor=actor, page=1, page_size=10)
    assert len(first.rows) == 10 and first.has_next and first.total == 12
    second = client_activity.list_activity(session, actor=actor, page=2, page_size=10)
    assert len(second.rows) == 2 and not second.has_next
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}
    with use_language("de"):
        german = client_activity.list_activity(session, actor=actor)
    assert german.rows[0].text != first.rows[0].text and "Ann Lee" in german.rows[0].text


def test_link_session_is_asked_to_sign_in(make, session):
    _company, client, ann, _bob = _setup(make)
    invoice = make.invoice(client)
    with pytest.raises(FullSessionRequired):
        client_activity.list_activity(session, actor=make.actor(ann, "link", link_to=invoice))


def test_downloads_are_noted_but_never_for_a_preview(make, session):
    _company, client, ann, _bob = _setup(make)
    invoice = make.invoice(client, number="INV-DL-1")
    actor = make.actor(ann)
    client_activity.record_download(
        session, actor=actor, entity_type="invoice", entity_ids=[invoice.id]
    )
    client_activity.record_file_download(session, actor=actor, what="payments")
    client_activity.record_file_download(session, actor=actor, what="statement")
    client_activity.record_file_download(session, actor=actor, what="bogus")
    preview = make.actor(ann, "staff_preview")
    client_activity.record_download(
        session, actor=preview, entity_type="invoice", entity_ids=[invoice.id]
    )
    session.flush()
    texts = [row.text for row in client_activity.list_activity(session, actor=actor).rows]
    assert sorted(texts) == sorted(
        [
            "Ann Lee downloaded invoice INV-DL-1.",
            "Ann Lee exported the payments.",
            "Ann Lee downloaded a statement.",
        ]
    )


def test_file_downloads_name_only_files_the_client_still_sees(make, session):
    company, client, ann, _bob = _setup(make)
    shown, hidden = (
        Document(
            company_id=company.id, client_id=client.id, name=name, sha256="0" * 64,
            media_type="application/pdf", visible_to_client=visible,
        )
        for name, visible in (("contract.pdf", True), ("internal.pdf", False))
    )  # fmt: skip
    session.add_all([shown, hidden])
    session.flush()
    actor = make.actor(ann)
    client_activity.record_download(
        session, actor=actor, entity_type="document", entity_ids=[shown.id, hidden.id]
    )
    session.flush()
    texts = {row.text for row in client_activity.list_activity(session, actor=actor).rows}
    assert texts == {"Ann Lee downloaded the file contract.pdf.", "Ann Lee downloaded the file —."}


def test_sign_ins_and_the_portals_own_events_in_the_company_time_zone(make, session):
    company, client, ann, _bob = _setup(make)
    company.time_zone = "America/New_York"
    session.add(company)
    invoice = make.invoice(client, number="INV-SYS-1")
    at = utcnow().replace(month=7, day=1, hour=12, minute=0, second=0, microsecond=0)
    for minutes, action, actor_type in [
        (0, "session_opened_password", "contact"),
        (1, "session_opened_code", "contact"),
        (2, "session_opened_link", "contact"),
        (3, "autobill_paid", "system"),
        (4, "payment_reminder_sent", "system"),
    ]:
        _event(
            session, client, action, actor_type=actor_type,
            actor_id=ann.id if actor_type == "contact" else None,
            entity_type="invoice" if actor_type == "system" else "session",
            entity_id=invoice.id if actor_type == "system" else 1,
            created_at=at + timedelta(minutes=minutes),
        )  # fmt: skip
    page = client_activity.list_activity(session, actor=make.actor(ann))
    assert [(row.who, row.text, row.kind) for row in page.rows] == [
        (
            "Northwind Studio",
            "A payment reminder for invoice INV-SYS-1 was sent.",
            "system",
        ),
        (
            "Northwind Studio",
            "Invoice INV-SYS-1 was paid automatically with the saved card.",
            "paid",
        ),
        ("Ann Lee", "Ann Lee opened the portal from an e-mailed link.", "signin"),
        ("Ann Lee", "Ann Lee signed in with an e-mailed code.", "signin"),
        ("Ann Lee", "Ann Lee signed in with a password.", "signin"),
    ]
    # 12:00 UTC on July 1 is 8 AM in New York (EDT), not noon UTC.
    last = page.rows[-1].when
    assert "8:00:00" in last and "EDT" in last and "UTC" not in last
