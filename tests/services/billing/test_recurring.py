"""Recurring invoices as the client sees them: list, detail, auto-bill switch, cancellation."""

from datetime import date

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, Company
from portal_app.services.billing import recurring as svc
from tests.helpers.recurring import add_recurring


@pytest.fixture
def acme(make, session):
    client = make.client(make.company())
    return client, make.actor(make.contact(client))


def test_list_shows_running_schedules_with_labels(make, session, acme):
    client, actor = acme
    add_recurring(session, client, number="R-1", start_date=date(2026, 1, 31))
    add_recurring(
        session,
        client,
        number="R-2",
        start_date=date(2026, 2, 1),
        frequency="three_months",
        remaining_cycles=3,
        unit_price_minor=300_00,
        tax_rate_bp=0,
    )
    add_recurring(session, client, number="R-3", start_date=date(2025, 1, 1), status="completed")
    add_recurring(session, client, number="R-4", start_date=date(2025, 1, 1), status="draft")
    page = svc.list_recurring(session, actor=actor)
    by_number = {row.number: row for row in page.rows}
    assert set(by_number) == {"R-1", "R-2"} and page.total == 2
    monthly, quarterly = by_number["R-1"], by_number["R-2"]
    assert monthly.frequency == "Monthly" and monthly.cycles_left == "Endless"
    assert monthly.start_date == "Jan 31, 2026" and monthly.next_send_date == "Jan 31, 2026"
    assert monthly.amount == "$55.00" and monthly.status_label == "Active"
    assert quarterly.frequency == "Quarterly" and quarterly.cycles_left == "3"
    assert quarterly.amount == "$300.00"
    everything = svc.list_recurring(session, actor=actor, show="all")
    assert {r.number for r in everything.rows} == {"R-1", "R-2", "R-3"}
    completed = next(r for r in everything.rows if r.number == "R-3")
    assert completed.status_label == "Completed" and completed.next_send_date == ""
    # Unknown filter means the default.
    assert svc.list_recurring(session, actor=actor, show="drafts").total == 2


def test_list_pages_on_the_server(make, session, acme):
    client, actor = acme
    for n in range(12):
        add_recurring(session, client, number=f"R-{n}", start_date=date(2026, 1, 1 + n))
    first = svc.list_recurring(session, actor=actor, page_size=10)
    second = svc.list_recurring(session, actor=actor, page=2, page_size=10)
    assert len(first.rows) == 10 and first.has_next and first.total == 12
    assert len(second.rows) == 2 and not second.has_next
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}


def test_other_clients_schedule_is_not_found(make, session, acme):
    _, actor = acme
    other = make.client(make.company())
    theirs = add_recurring(session, other, number="R-x", start_date=date(2026, 1, 1))
    same_company = make.client(session.get(Company, actor.company_id))
    neighbour = add_recurring(session, same_company, number="R-y", start_date=date(2026, 1, 1))
    for schedule_id in (theirs.id, neighbour.id, 0, -1, 10**12):
        with pytest.raises(NotFoundError):
            svc.recurring_view(session, actor=actor, recurring_id=schedule_id)
        with pytest.raises(NotFoundError):
            svc.issued_invoices(session, actor=actor, recurring_id=schedule_id)
        with pytest.raises(NotFoundError):
            svc.request_cancellation(session, actor=actor, recurring_id=schedule_id)
        with pytest.raises(NotFoundError):
            svc.set_auto_bill(session, actor=actor, recurring_id=schedule_id, enabled=True)
    assert svc.list_recurring(session, actor=actor).rows == []


def test_draft_schedule_is_not_found(make, session, acme):
    client, actor = acme
    draft = add_recurring(
        session, client, number="R-d", start_date=date(2026, 1, 1), status="draft"
    )
    with pytest.raises(NotFoundError):
        svc.recurring_view(session, actor=actor, recurring_id=draft.id)


def test_bad_ids_from_the_url_are_not_found():
    for raw in ("", "abc", "1.5", "-3", "0", "²", None, "9" * 20):
        with pytest.raises(NotFoundError):
            svc.parse_recurring_id(raw)
    assert svc.parse_recurring_id(" 42 ") == 42


def test_detail_lists_its_invoices_newest_first_paged(make, session, acme):
    client, actor = acme
    schedule = add_recurring(session, client, number="R-5", start_date=date(2026, 1, 1))
    for month in range(1, 13):
        make.invoice(client, issue_date=date(2026, month, 1), recurring_invoice_id=schedule.id)
    make.invoice(client, status="draft", recurring_invoice_id=schedule.id)
    make.invoice(client)  # not from this schedule
    view = svc.recurring_view(session, actor=actor, recurring_id=schedule.id)
    assert view.number == "R-5" and view.frequency == "Monthly"
    assert view.lines[0].description == "Hosting" and view.taxes == [("VAT 10%", "$5.00")]
    first = svc.issued_invoices(session, actor=actor, recurring_id=schedule.id, page_size=10)
    assert first.total == 12 and first.has_next and len(first.rows) == 10
    assert first.rows[0].issue_date == "Dec 1, 2026"
    second = svc.issued_invoices(
        session, actor=actor, recurring_id=schedule.id, page=2, page_size=10
    )
    assert [r.issue_date for r in second.rows] == ["Feb 1, 2026", "Jan 1, 2026"]


def test_module_switched_off_is_not_found(make, session, acme):
    client, actor = acme
    schedule = add_recurring(session, client, number="R-6", start_date=date(2026, 1, 1))
    company = session.get(Company, actor.company_id)
    company.enabled_modules = "invoices"
    session.add(company)
    session.flush()
    with pytest.raises(NotFoundError):
        svc.list_recurring(session, actor=actor)
    with pytest.raises(NotFoundError):
        svc.recurring_view(session, actor=actor, recurring_id=schedule.id)


# -- auto-billing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "enabled", "switchable", "on"),
    [
        ("off", False, False, False),
        ("always", False, False, True),
        ("opt_in", False, True, False),
        ("opt_in", True, True, True),
        ("opt_out", True, True, True),
        ("opt_out", False, True, False),
    ],
)
def test_auto_bill_shown_per_mode(make, session, acme, mode, enabled, switchable, on):
    client, actor = acme
    schedule = add_recurring(
        session,
        client,
        number="R-ab",
        start_date=date(2026, 1, 1),
        auto_bill=mode,
        auto_bill_enabled=enabled,
    )
    view = svc.recurring_view(session, actor=actor, recurring_id=schedule.id)
    assert (view.can_switch_auto_bill, view.auto_bill_on) == (switchable, on)


@pytest.mark.parametrize("mode", ["opt_in", "opt_out"])
def test_client_switches_auto_bill_where_allowed(make, session, acme, mode):
    client, actor = acme
    schedule = add_recurring(
        session,
        client,
        number="R-7",
        start_date=date(2026, 1, 1),
        auto_bill=mode,
        auto_bill_enabled=mode == "opt_out",
    )
    target = mode == "opt_in"
    svc.set_auto_bill(session, actor=actor, recurring_id=schedule.id, enabled=target)
    session.refresh(schedule)
    assert schedule.auto_bill_enabled is target
    assert svc.recurring_view(session, actor=actor, recurring_id=schedule.id).auto_bill_on is target
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_type == "recurring_invoice", AuditEvent.entity_id == schedule.id
        )
    ).all()
    assert [e.action for e in events] == [
        "recurring_auto_bill_on" if target else "recurring_auto_bill_off"
    ]
    # The same choice again changes (and records) nothing.
    svc.set_auto_bill(session, actor=actor, recurring_id=schedule.id, enabled=target)
    again = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_type == "recurring_invoice", AuditEvent.entity_id == schedule.id
        )
    ).all()
    assert len(again) == 1


@pytest.mark.parametrize("mode", ["off", "always"])
def test_auto_bill_set_by_the_company_cannot_be_switched(make, session, acme, mode):
    client, actor = acme
    schedule = add_recurring(
        session, client, number="R-8", start_date=date(2026, 1, 1), auto_bill=mode
    )
    for enabled in (True, False):
        with pytest.raises(ValidationError) as err:
            svc.set_auto_bill(session, actor=actor, recurring_id=schedule.id, enabled=enabled)
        assert "set by the company" in err.value.message
    session.refresh(schedule)
    assert schedule.auto_bill == mode


def test_auto_bill_of_an_ended_schedule_cannot_be_switched(make, session, acme):
    client, actor = acme
    schedule = add_recurring(
        session,
        client,
        number="R-9",
        start_date=date(2026, 1, 1),
        auto_bill="opt_in",
        status="completed",
    )
    with pytest.raises(ValidationError):
        svc.set_auto_bill(session, actor=actor, recurring_id=schedule.id, enabled=True)


def test_auto_bill_value_must_be_a_boolean(make, session, acme):
    client, actor = acme
    schedule = add_recurring(
        session, client, number="R-10", start_date=date(2026, 1, 1), auto_bill="opt_in"
    )
    with pytest.raises(ValidationError):
        svc.set_auto_bill(session, actor=actor, recurring_id=schedule.id, enabled="yes")


@pytest.mark.parametrize("kind", ["staff_preview", "link"])
def test_preview_and_link_sessions_change_nothing(make, session, acme, kind):
    client, _ = acme
    contact = make.contact(client)
    actor = make.actor(contact, kind=kind)
    schedule = add_recurring(
        session, client, number="R-11", start_date=date(2026, 1, 1), auto_bill="opt_in"
    )
    with pytest.raises(ReadOnlyError):
        svc.set_auto_bill(session, actor=actor, recurring_id=schedule.id, enabled=True)
    with pytest.raises(ReadOnlyError):
        svc.request_cancellation(session, actor=actor, recurring_id=schedule.id, reason="x")
    session.refresh(schedule)
    assert schedule.auto_bill_enabled is False and schedule.cancel_requested_at is None


# -- cancellation -------------------------------------------------------------------------------


def test_cancellation_request_is_recorded_shown_and_audited(make, session, acme):
    client, actor = acme
    schedule = add_recurring(session, client, number="R-12", start_date=date(2026, 1, 1))
    svc.request_cancellation(
        session, actor=actor, recurring_id=schedule.id, reason="  Moving to yearly\x00 plan "
    )
    session.refresh(schedule)
    assert schedule.cancel_requested_at is not None
    assert schedule.cancel_reason == "Moving to yearly plan"
    # Still running until staff act on it.
    assert schedule.status == "active"
    view = svc.recurring_view(session, actor=actor, recurring_id=schedule.id)
    assert view.cancel_requested and view.status_label == "Cancellation requested"
    assert not view.can_request_cancellation and view.cancel_reason == "Moving to yearly plan"
    [row] = svc.list_recurring(session, actor=actor).rows
    assert row.status_label == "Cancellation requested"
    [event] = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == schedule.id,
            AuditEvent.action == "recurring_cancellation_requested",
        )
    ).all()
    assert event.actor_id == actor.contact_id and "Moving to yearly plan" in event.details


def test_cancellation_requested_twice_gets_a_clear_message(make, session, acme):
    client, actor = acme
    schedule = add_recurring(session, client, number="R-13", start_date=date(2026, 1, 1))
    svc.request_cancellation(session, actor=actor, recurring_id=schedule.id, reason="first")
    with pytest.raises(ValidationError) as err:
        svc.request_cancellation(session, actor=actor, recurring_id=schedule.id, reason="again")
    assert "already requested on" in err.value.message
    session.refresh(schedule)
    assert schedule.cancel_reason == "first"


def test_cancellation_without_reason_is_fine_too_long_is_refused(make, session, acme):
    client, actor = acme
    schedule = add_recurring(session, client, number="R-14", start_date=date(2026, 1, 1))
    with pytest.raises(ValidationError) as err:
        svc.request_cancellation(session, actor=actor, recurring_id=schedule.id, reason="x" * 1001)
    assert err.value.field == "reason"
    session.refresh(schedule)
    assert schedule.cancel_requested_at is None
    svc.request_cancellation(session, actor=actor, recurring_id=schedule.id)
    session.refresh(schedule)
    assert schedule.cancel_requested_at is not None and schedule.cancel_reason == ""


def test_ended_schedule_cannot_be_asked_to_cancel(make, session, acme):
    client, actor = acme
    schedule = add_recurring(
        session, client, number="R-15", start_date=date(2026, 1, 1), status="cancelled"
    )
    with pytest.raises(ValidationError):
        svc.request_cancellation(session, actor=actor, recurring_id=schedule.id)


def test_a_german_reader_gets_german_labels_and_keys_that_colour_the_badges(make, session, acme):
    """The badge's colour comes from a key, not the label: in German the labels are "Aktiv"
    and so on, which a colour table of English labels never matched (grey badges)."""
    from datetime import UTC, datetime

    from portal_app.core.i18n import use_language

    client, actor = acme
    add_recurring(session, client, number="R-ACT", start_date=date(2026, 1, 31))
    waiting = add_recurring(session, client, number="R-END", start_date=date(2026, 1, 31))
    waiting.cancel_requested_at = datetime(2026, 2, 1, tzinfo=UTC)
    add_recurring(session, client, number="R-OLD", start_date=date(2025, 1, 1), status="completed")
    session.flush()
    with use_language("de"):
        rows = {r.number: r for r in svc.list_recurring(session, actor=actor, show="all").rows}
        detail = svc.recurring_view(session, actor=actor, recurring_id=waiting.id)
    assert [(rows[n].status_label, rows[n].badge_key) for n in ("R-ACT", "R-END", "R-OLD")] == [
        ("Aktiv", "active"),
        ("Kündigung angefragt", "cancel_requested"),
        ("Abgeschlossen", "completed"),
    ]
    assert detail.badge_key == "cancel_requested"
