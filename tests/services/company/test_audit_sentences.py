"""The audit log read as sentences, narrowed by filters and search, and exported as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from portal_app.core import i18n
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.models import PaymentMethod
from portal_app.services.company import audit_log
from portal_app.services.company.audit_log import AuditFilters
from portal_app.services.identity import audit
from tests.helpers.quotes import add_quote
from tests.helpers.staff import add_staff, staff_actor


def _event(session, company, *, when=None, **kw):
    event = audit.record(session, company_id=company.id, **kw)
    if when is not None:
        event.created_at = when
        session.add(event)
    session.flush()
    return event


@pytest.fixture
def world(make, session):
    company = make.company(name="Acme Books")
    olive = add_staff(session, company, password_hash="x", name="Olive Owner")
    sam = add_staff(session, company, password_hash="x", name="Sam Staff", role="staff")
    client = make.client(company, name="Client One")
    contact = make.contact(client, email="one@example.test")
    invoice = make.invoice(client, number="INV-0012")
    payment = make.payment(client, number="PAY-0003", amount_minor=12_00, currency="EUR")
    quote = add_quote(session, client, number="Q-0007")
    card = PaymentMethod(
        company_id=company.id,
        client_id=client.id,
        customer_ref="cus_1",
        method_ref=f"pm_{client.id}",
        brand="visa",
        last4="4242",
    )
    session.add(card)
    session.flush()
    return dict(
        company=company,
        olive=olive,
        sam=sam,
        client=client,
        contact=contact,
        invoice=invoice,
        payment=payment,
        quote=quote,
        card=card,
    )


def _sentences(session, actor, **filters):
    page = audit_log.list_events(
        session, actor=actor, filters=AuditFilters(**filters), page_size=100
    )
    return [row.sentence for row in page.rows]


def test_each_kind_reads_as_one_sentence(session, world):
    w = world
    company, client = w["company"], w["client"]
    common = dict(client_id=client.id)
    _event(
        session,
        company,
        action="payment_refunded",
        actor_type="staff",
        actor_id=w["olive"].id,
        entity_type="payment",
        entity_id=w["payment"].id,
        details={"amount": 5_00, "total_refunded": 5_00},
        **common,
    )
    _event(
        session,
        company,
        action="payment_method_added",
        actor_type="contact",
        actor_id=w["contact"].id,
        entity_type="payment_method",
        entity_id=w["card"].id,
        **common,
    )
    _event(
        session,
        company,
        action="payment_method_detached",
        actor_type="contact",
        actor_id=w["contact"].id,
        entity_type="payment_method",
        entity_id=999_999,
        details={"brand": "mastercard", "last4": "4444"},
        **common,
    )
    _event(
        session,
        company,
        action="quote_declined",
        actor_type="contact",
        actor_id=w["contact"].id,
        entity_type="quote",
        entity_id=w["quote"].id,
        details={"number": "Q-0007", "reason": "Too dear"},
        **common,
    )
    _event(
        session,
        company,
        action="autobill_failed",
        actor_type="system",
        actor_id=None,
        entity_type="invoice",
        entity_id=w["invoice"].id,
        details={"source": "recurring", "reason": "declined"},
        **common,
    )
    _event(
        session,
        company,
        action="invoice_sent",
        actor_type="staff",
        actor_id=w["sam"].id,
        entity_type="invoice",
        entity_id=w["invoice"].id,
        **common,
    )
    _event(
        session,
        company,
        action="settings_changed",
        actor_type="staff",
        actor_id=w["olive"].id,
        details={"fields": ["currency", "min_payment"]},
    )
    assert _sentences(session, staff_actor(w["olive"])) == [
        "Olive Owner changed the settings. Changed: currency, min payment.",
        "Invoice INV-0012: sent by Sam Staff.",
        "The system could not charge Invoice INV-0012.",
        'one@example.test declined Quote Q-0007. Reason: "Too dear".',
        "one@example.test removed Card Mastercard 4444.",
        "one@example.test added Card Visa 4242.",
        # The amount is a sentence of its own: each sentence is one msgid (issue 20).
        "Olive Owner refunded Payment PAY-0003. Amount: €5.00.",
    ]


def test_sentences_and_csv_come_out_in_the_readers_language(session, world):
    w = world
    company, client = w["company"], w["client"]
    _event(
        session,
        company,
        action="payment_refunded",
        actor_type="staff",
        actor_id=w["olive"].id,
        client_id=client.id,
        entity_type="payment",
        entity_id=w["payment"].id,
        details={"amount": 5_00},
    )
    _event(
        session,
        company,
        action="invoice.marked_paid",
        actor_type="staff",
        actor_id=w["sam"].id,
        client_id=client.id,
        entity_type="invoice",
        entity_id=w["invoice"].id,
    )
    _event(
        session,
        company,
        action="quote_declined",
        actor_type="contact",
        actor_id=w["contact"].id,
        client_id=client.id,
        entity_type="quote",
        entity_id=w["quote"].id,
        details={"reason": "Zu teuer"},
    )
    _event(session, company, action="signin_code_requested", actor_type="system", actor_id=None)
    actor = staff_actor(w["olive"])
    with i18n.use_language("de"):
        page = audit_log.list_events(session, actor=actor, page_size=100)
        text = audit_log.export_csv(session, actor=actor, filters=AuditFilters())
    assert [row.sentence for row in page.rows] == [
        "Das System hat einen Anmeldecode angefordert.",
        "one@example.test hat Angebot Q-0007 abgelehnt. Grund: „Zu teuer“.",
        "Sam Staff hat Rechnung INV-0012 als bezahlt markiert.",
        "Olive Owner hat Zahlung PAY-0003 erstattet. Betrag: 5,00\xa0€.",
    ]
    assert page.rows[1].record == "Angebot Q-0007"
    assert page.rows[3].who == "Mitarbeiter: Olive Owner"
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == ["Zeitpunkt (UTC)", "Wer", "Ereignis", "Art", "Datensatz", "Kunde", "Von"]
    assert rows[2][2] == "Sam Staff hat Rechnung INV-0012 als bezahlt markiert."
    # English stays the default for a reader who chose no language.
    english = audit_log.list_events(session, actor=actor, page_size=100)
    assert english.rows[2].sentence == "Sam Staff marked Invoice INV-0012 as paid."


def test_filters_by_client_staff_kind_dates_and_search(make, session, world):
    w = world
    company = w["company"]
    other_client = make.client(company, name="Other Ltd")
    jan = datetime(2026, 1, 15, 12, tzinfo=UTC)
    feb = datetime(2026, 2, 15, 12, tzinfo=UTC)
    a = _event(
        session,
        company,
        when=jan,
        action="invoice_sent",
        actor_type="staff",
        actor_id=w["olive"].id,
        client_id=w["client"].id,
        entity_type="invoice",
        entity_id=w["invoice"].id,
    )
    b = _event(
        session,
        company,
        when=feb,
        action="payment_refunded",
        actor_type="staff",
        actor_id=w["sam"].id,
        client_id=w["client"].id,
        entity_type="payment",
        entity_id=w["payment"].id,
        details={"amount": 1_00},
    )
    c = _event(
        session,
        company,
        when=feb,
        action="invoice_sent",
        actor_type="staff",
        actor_id=w["sam"].id,
        client_id=other_client.id,
        details={"note": "50% off"},
    )
    foreign = make.company()
    _event(session, foreign, when=feb, action="invoice_sent", actor_type="staff", actor_id=1)
    actor = staff_actor(w["olive"])

    def ids(**filters):
        page = audit_log.list_events(
            session, actor=actor, filters=AuditFilters(**filters), page_size=100
        )
        return {row.id for row in page.rows}

    assert ids() == {a.id, b.id, c.id}
    assert ids(client_id=w["client"].id) == {a.id, b.id}
    assert ids(staff_user_id=w["sam"].id) == {b.id, c.id}
    assert ids(kind="invoice_sent") == {a.id, c.id}
    assert ids(date_from="2026-02-01") == {b.id, c.id}
    assert ids(date_to="2026-01-15") == {a.id}
    assert ids(date_from="2026-01-15", date_to="2026-01-15") == {a.id}
    assert ids(search="inv-0012") == {a.id}  # a record by its number
    assert ids(search="other") == {c.id}  # a client by name
    assert ids(search="50%") == {c.id}  # wildcards are searched literally
    assert ids(search="PAY-0003", staff_user_id=w["sam"].id) == {b.id}
    with pytest.raises(ValidationError):
        ids(date_from="15/01/2026")
    with pytest.raises(ValidationError):
        ids(date_from="2026-02-01", date_to="2026-01-01")
    foreign_staff = add_staff(session, foreign, password_hash="x")
    with pytest.raises(NotFoundError):
        ids(staff_user_id=foreign_staff.id)
    options = audit_log.filter_options(session, actor=actor)
    # The value is the action the filter matches; the label is in the reader's language.
    assert ("invoice_sent", "Invoice …: sent by …") in options["kinds"]
    with i18n.use_language("de"):
        german = dict(audit_log.filter_options(session, actor=actor)["kinds"])
    assert german["invoice_sent"] == "Rechnung …: versendet von …"
    assert {label for _, label in options["staff"]} == {"Olive Owner", "Sam Staff"}
    assert (str(other_client.id), "Other Ltd") in options["clients"]


def test_csv_has_the_filtered_rows_only(make, session, world):
    w = world
    company = w["company"]
    for n in range(3):
        _event(
            session,
            company,
            action="invoice_sent",
            actor_type="staff",
            actor_id=w["olive"].id,
            client_id=w["client"].id,
            entity_type="invoice",
            entity_id=w["invoice"].id,
            ip=f"192.0.2.{n}",
        )
    _event(session, company, action="settings_changed", actor_type="staff", actor_id=w["sam"].id)
    _event(session, make.company(), action="invoice_sent", actor_type="staff", actor_id=1)
    text = audit_log.export_csv(
        session, actor=staff_actor(w["olive"]), filters=AuditFilters(kind="invoice_sent")
    )
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == ["When (UTC)", "Who", "Event", "Kind", "Record", "Client", "From"]
    assert len(rows) == 3
    assert {row[6] for row in rows} == {"192.0.2.0", "192.0.2.1", "192.0.2.2"}
    assert all(row[2] == "Invoice INV-0012: sent by Olive Owner." for row in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[0]) for row in rows)


def test_times_and_days_are_the_companys_time_zone(session, world):
    w = world
    company, actor = w["company"], staff_actor(w["olive"])
    # New York moves to summer time on 8 March 2026 at 07:00 UTC.
    before = _event(
        session,
        company,
        when=datetime(2026, 3, 8, 4, 30, tzinfo=UTC),  # 23:30 EST on 7 March
        action="settings_changed",
        actor_type="staff",
        actor_id=w["olive"].id,
    )
    after = _event(
        session,
        company,
        when=datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT on 8 March
        action="settings_changed",
        actor_type="staff",
        actor_id=w["olive"].id,
    )

    def shown():
        page = audit_log.list_events(
            session, actor=actor, filters=AuditFilters(kind="settings_changed")
        )
        return {row.id: row.when for row in page.rows}

    def csv_rows(**filters):
        text = audit_log.export_csv(session, actor=actor, filters=AuditFilters(**filters))
        header, *rows = list(csv.reader(io.StringIO(text)))
        return header[0], [row[0] for row in rows]

    # Default: UTC, as before companies had a zone.
    assert shown()[after.id] == "Mar 8, 2026, 7:30:00\u202fAM UTC"
    assert csv_rows(kind="settings_changed") == (
        "When (UTC)",
        ["2026-03-08 07:30:00", "2026-03-08 04:30:00"],
    )
    day = {"date_from": "2026-03-08", "date_to": "2026-03-08"}
    assert {
        r.id for r in audit_log.list_events(session, actor=actor, filters=AuditFilters(**day)).rows
    } == {before.id, after.id}

    company.time_zone = "America/New_York"
    session.add(company)
    session.flush()
    assert shown() == {
        before.id: "Mar 7, 2026, 11:30:00\u202fPM EST",
        after.id: "Mar 8, 2026, 3:30:00\u202fAM EDT",
    }
    assert csv_rows(kind="settings_changed") == (
        "When (America/New_York)",
        ["2026-03-08 03:30:00", "2026-03-07 23:30:00"],
    )
    # A day filter means the company's day: 23:30 EST on the 7th is not on the 8th.
    assert csv_rows(**day)[1] == ["2026-03-08 03:30:00"]

    company.time_zone = "Europe/Berlin"
    session.add(company)
    session.flush()
    assert shown()[after.id] == "Mar 8, 2026, 8:30:00\u202fAM +0100"
