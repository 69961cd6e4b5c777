"""Staff create, edit, pause, resume and stop recurring invoices; the job issues from them."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.jobs import recurring as job
from portal_app.jobs.runner import JobContext
from portal_app.models import AuditEvent, Company, Invoice, RecurringInvoice, RecurringInvoiceLine
from portal_app.services.billing import recurring as client_recurring
from portal_app.services.billing import staff_recurring as svc
from portal_app.services.billing.document_forms import FormErrors, LineForm
from portal_app.services.identity.actor import StaffActor
from tests.helpers.recurring import add_recurring
from tests.helpers.staff_docs import staff_actor

TODAY = date(2026, 3, 10)


def _form(client_id, **kw) -> svc.RecurringForm:
    """Monthly, endless, one 2 x 100.00 line with 20% VAT (240.00), starting TODAY."""
    return svc.RecurringForm(
        client_id=str(client_id),
        start_date=kw.pop("start_date", TODAY.isoformat()),
        lines=kw.pop("lines", [LineForm("Hosting", "2", "100.00", "VAT", "20")]),
        **kw,
    )


@pytest.fixture
def job_ctx(session):
    """A JobContext whose transactions are savepoints of the test's session."""

    @contextmanager
    def tx():
        with session.begin_nested():
            yield session

    return lambda today: JobContext(tx=tx, today=today)


@pytest.fixture
def setup(session, make):
    company = make.company()
    client = make.client(company)
    return client, staff_actor(session, company)


def _schedules_of(session, client):
    # The database is shared by the whole run: look only at this test's client.
    return session.exec(
        select(RecurringInvoice).where(RecurringInvoice.client_id == client.id)
    ).all()


def _lines_of(session, schedule_id):
    return session.exec(
        select(RecurringInvoiceLine).where(RecurringInvoiceLine.recurring_invoice_id == schedule_id)
    ).all()


def _audits(session, schedule_id):
    return [
        e.action
        for e in session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "recurring_invoice", AuditEvent.entity_id == schedule_id
            )
            .order_by(col(AuditEvent.id))
        ).all()
    ]


def test_create_stores_an_active_schedule_with_lines_totals_and_audit(session, setup):
    client, actor = setup
    row = svc.create_schedule(
        session,
        actor=actor,
        form=_form(
            client.id,
            frequency="three_months",
            endless=False,
            cycles="4",
            auto_bill="opt_out",
            due_days="7",
        ),
        today=TODAY,
    )
    assert row.number == "R-0001" and row.status == "active"
    assert (row.subtotal_minor, row.tax_minor, row.amount_minor) == (200_00, 40_00, 240_00)
    assert row.next_send_date == TODAY and row.remaining_cycles == 4
    assert row.frequency == "three_months" and row.due_days == 7
    assert row.auto_bill == "opt_out" and row.auto_bill_enabled is True
    lines = svc.schedule_lines(session, row.id)
    assert [(li.description, li.net_minor, li.tax_minor) for li in lines] == [
        ("Hosting", 200_00, 40_00)
    ]
    assert _audits(session, row.id) == ["recurring_invoice.created"]
    page = svc.list_schedules(session, actor=actor)
    [listed] = page.rows
    assert listed.frequency == "Quarterly" and listed.cycles_left == "4"
    assert listed.amount == "$240.00" and listed.status_label == "Active"
    assert listed.client_name == client.name


def test_every_wrong_field_is_named_and_nothing_is_written(session, setup):
    client, actor = setup
    with pytest.raises(FormErrors) as caught:
        svc.create_schedule(
            session,
            actor=actor,
            form=_form(
                client.id,
                start_date=(TODAY - timedelta(days=1)).isoformat(),
                frequency="hourly",
                auto_bill="sometimes",
                due_days="-3",
                endless=False,
                cycles="0",
                lines=[LineForm("Hosting", "1", "-5.00")],
            ),
            today=TODAY,
        )
    errors = caught.value.errors
    assert set(errors) >= {
        "start_date",
        "frequency",
        "auto_bill",
        "due_days",
        "cycles",
        "lines.0.unit_price",
    }
    assert errors["start_date"] == "Start today or later."
    assert errors["lines.0.unit_price"] == "The price cannot be negative."
    assert _schedules_of(session, client) == []


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        ([], "lines", "Add at least one line."),
        (
            [LineForm("Big", "1000000", "1000000")],
            "lines.0.unit_price",
            "This line's total is too large.",
        ),
        ([LineForm("Free", "1", "0")], "lines", "The total must be more than zero."),
        ([LineForm("Huge", "1", "1000000000.01")], "lines.0.unit_price", "The price is too large."),
    ],
)
def test_lines_are_checked_like_invoices(session, setup, lines, field, message):
    client, actor = setup
    with pytest.raises(FormErrors) as caught:
        svc.create_schedule(session, actor=actor, form=_form(client.id, lines=lines), today=TODAY)
    assert caught.value.errors[field] == message
    assert _schedules_of(session, client) == []


def test_another_companys_client_and_schedule_are_not_found(session, make, setup):
    client, actor = setup
    other_client = make.client(make.company())
    with pytest.raises(FormErrors) as caught:
        svc.create_schedule(session, actor=actor, form=_form(other_client.id), today=TODAY)
    assert caught.value.errors == {"client_id": "Choose one of your clients."}
    theirs = add_recurring(session, other_client, number="R-9", start_date=TODAY)
    for call in (
        lambda: svc.schedule_detail(session, actor=actor, schedule_id=theirs.id),
        lambda: svc.pause_schedule(session, actor=actor, schedule_id=theirs.id),
        lambda: svc.stop_schedule(session, actor=actor, schedule_id=theirs.id),
        lambda: svc.update_schedule(
            session, actor=actor, schedule_id=theirs.id, form=_form(other_client.id), today=TODAY
        ),
        lambda: svc.pause_schedule(session, actor=actor, schedule_id="1 OR 1=1"),
        lambda: svc.pause_schedule(session, actor=actor, schedule_id=str(2**40)),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert svc.list_schedules(session, actor=actor).rows == []
    assert session.get(RecurringInvoice, theirs.id).status == "active"


def test_who_is_not_staff_may_not(session, make, setup):
    client, actor = setup
    contact_actor = make.actor(make.contact(client))
    unknown_role = StaffActor(
        company_id=actor.company_id, staff_user_id=actor.staff_user_id, role="guest", session_id=0
    )
    row = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    for who in (contact_actor, unknown_role):
        with pytest.raises(ReadOnlyError):
            svc.create_schedule(session, actor=who, form=_form(client.id), today=TODAY)
        with pytest.raises(ReadOnlyError):
            svc.stop_schedule(session, actor=who, schedule_id=row.id)
        with pytest.raises(ReadOnlyError):
            svc.list_schedules(session, actor=who)
    assert session.get(RecurringInvoice, row.id).status == "active"


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_every_staff_role_may_run_schedules(session, make, role):
    company = make.company()
    client = make.client(company)
    actor = staff_actor(session, company, role=role)
    row = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    svc.pause_schedule(session, actor=actor, schedule_id=row.id)
    svc.stop_schedule(session, actor=actor, schedule_id=row.id)
    assert row.status == "cancelled"


def test_edit_replaces_lines_and_keeps_the_client(session, make, setup):
    client, actor = setup
    row = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    form = svc.edit_form(session, actor=actor, schedule_id=row.id)
    assert form.lines[0].unit_price == "100.00" and form.lines[0].tax_rate == "20"
    assert form.endless and form.frequency == "monthly" and form.start_date == TODAY.isoformat()
    form.lines = [LineForm("Support", "1", "50"), LineForm("Backup", "3", "10")]
    form.endless, form.cycles, form.frequency = False, "12", "yearly"
    svc.update_schedule(session, actor=actor, schedule_id=row.id, form=form, today=TODAY)
    assert row.amount_minor == 80_00 and row.remaining_cycles == 12 and row.frequency == "yearly"
    assert [li.description for li in svc.schedule_lines(session, row.id)] == ["Support", "Backup"]
    assert _audits(session, row.id)[-1] == "recurring_invoice.updated"

    # Another client of the same company: the schedule's client still cannot change.
    moved = svc.edit_form(session, actor=actor, schedule_id=row.id)
    moved.client_id = str(make.client(_company_of(session, client)).id)
    with pytest.raises(FormErrors) as caught:
        svc.update_schedule(session, actor=actor, schedule_id=row.id, form=moved, today=TODAY)
    assert caught.value.errors == {
        "client_id": "The client of a recurring invoice cannot be changed."
    }
    assert session.get(RecurringInvoice, row.id).client_id == client.id


def _company_of(session, client):
    return session.get(Company, client.company_id)


def test_bad_edit_changes_nothing(session, setup):
    client, actor = setup
    row = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    form = svc.edit_form(session, actor=actor, schedule_id=row.id)
    form.lines = [LineForm("Hosting", "1", "-1")]
    with pytest.raises(FormErrors):
        svc.update_schedule(session, actor=actor, schedule_id=row.id, form=form, today=TODAY)
    session.expire_all()
    assert session.get(RecurringInvoice, row.id).amount_minor == 240_00
    assert len(_lines_of(session, row.id)) == 1


def test_after_issuing_start_frequency_and_cycles_are_guarded(session, setup, job_ctx):
    client, actor = setup
    row = svc.create_schedule(
        session, actor=actor, form=_form(client.id, endless=False, cycles="3"), today=TODAY
    )
    job.issue_recurring_invoices(job_ctx(TODAY))
    session.refresh(row)
    assert row.issued_count == 1 and row.remaining_cycles == 2
    form = svc.edit_form(session, actor=actor, schedule_id=row.id)
    assert form.cycles == "3"
    form.frequency, form.start_date, form.cycles = "weekly", "2026-04-01", "1"
    with pytest.raises(FormErrors) as caught:
        svc.update_schedule(session, actor=actor, schedule_id=row.id, form=form, today=TODAY)
    assert set(caught.value.errors) == {"frequency", "start_date", "cycles"}
    form = svc.edit_form(session, actor=actor, schedule_id=row.id)
    form.cycles = "5"
    svc.update_schedule(session, actor=actor, schedule_id=row.id, form=form, today=TODAY)
    assert row.remaining_cycles == 4 and row.next_send_date == date(2026, 4, 10)


def test_pause_resume_stop_and_their_refusals(session, setup):
    client, actor = setup
    row = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    svc.pause_schedule(session, actor=actor, schedule_id=row.id)
    assert row.status == "paused"
    with pytest.raises(ValidationError):
        svc.pause_schedule(session, actor=actor, schedule_id=row.id)
    svc.resume_schedule(session, actor=actor, schedule_id=row.id, today=TODAY)
    assert row.status == "active" and row.next_send_date == TODAY
    with pytest.raises(ValidationError):
        svc.resume_schedule(session, actor=actor, schedule_id=row.id, today=TODAY)
    svc.stop_schedule(session, actor=actor, schedule_id=row.id)
    assert row.status == "cancelled" and row.next_send_date is None
    with pytest.raises(ValidationError, match="already stopped"):
        svc.stop_schedule(session, actor=actor, schedule_id=row.id)
    with pytest.raises(ValidationError):
        svc.resume_schedule(session, actor=actor, schedule_id=row.id, today=TODAY)
    form = _form(client.id)
    with pytest.raises(ValidationError):
        svc.update_schedule(session, actor=actor, schedule_id=row.id, form=form, today=TODAY)
    assert _audits(session, row.id) == [
        "recurring_invoice.created",
        "recurring_invoice.paused",
        "recurring_invoice.resumed",
        "recurring_invoice.stopped",
    ]
    detail = svc.schedule_detail(session, actor=actor, schedule_id=row.id)
    assert not (detail.can_edit or detail.can_pause or detail.can_resume or detail.can_stop)


def test_resume_skips_the_periods_that_passed_while_paused(session, setup):
    client, actor = setup
    row = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    svc.pause_schedule(session, actor=actor, schedule_id=row.id)
    svc.resume_schedule(session, actor=actor, schedule_id=row.id, today=date(2026, 5, 20))
    assert row.next_send_date == date(2026, 6, 10) and row.issued_count == 0


def test_job_issues_from_a_staff_schedule_and_skips_a_paused_one(session, make, setup, job_ctx):
    client, actor = setup
    running = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    paused = svc.create_schedule(session, actor=actor, form=_form(client.id), today=TODAY)
    svc.pause_schedule(session, actor=actor, schedule_id=paused.id)
    counts = job.issue_recurring_invoices(job_ctx(TODAY))
    assert counts["issued"] == 1
    [invoice] = session.exec(select(Invoice).where(Invoice.client_id == client.id)).all()
    assert invoice.recurring_invoice_id == running.id and invoice.amount_minor == 240_00
    assert invoice.status == "sent"
    session.refresh(running)
    assert running.next_send_date == date(2026, 4, 10)
    detail = svc.schedule_detail(session, actor=actor, schedule_id=running.id)
    assert [i.number for i in detail.invoices] == [invoice.number]
    assert detail.invoices[0].amount == "$240.00"
    assert svc.schedule_detail(session, actor=actor, schedule_id=paused.id).invoices == []
    # The client sees the running schedule and the paused one (both still run).
    contact_actor = make.actor(make.contact(client))
    seen = client_recurring.list_recurring(session, actor=contact_actor, show="all")
    assert {r.id for r in seen.rows} == {running.id, paused.id}


def test_list_filters_by_status_and_client_and_pages(session, make, setup):
    client, actor = setup
    second = make.client(_company_of(session, client))
    for n in range(svc.PAGE_SIZE + 2):
        add_recurring(session, client, number=f"R-{n:03d}", start_date=TODAY)
    add_recurring(session, second, number="R-X", start_date=TODAY, status="paused")
    first = svc.list_schedules(session, actor=actor)
    assert len(first.rows) == svc.PAGE_SIZE and first.has_next
    rest = svc.list_schedules(session, actor=actor, page=2)
    assert len(rest.rows) == 3 and not rest.has_next
    assert [r.number for r in svc.list_schedules(session, actor=actor, status="paused").rows] == [
        "R-X"
    ]
    by_client = svc.list_schedules(session, actor=actor, client_id=str(second.id))
    assert [r.number for r in by_client.rows] == ["R-X"]
    assert svc.list_schedules(session, actor=actor, client_id="x'--").rows == []
    # An unknown status filter lists everything.
    assert svc.list_schedules(session, actor=actor, status="bogus").has_next


def test_badges_are_coloured_by_key_in_the_staff_users_language(session, setup):
    """Staff read the console in their own language: the badge's colour follows the key."""
    from portal_app.core.i18n import use_language

    client, actor = setup
    add_recurring(session, client, number="R-DE-1", start_date=date(2026, 1, 31))
    with use_language("de"):
        page = svc.list_schedules(session, actor=actor)
    row = next(r for r in page.rows if r.number == "R-DE-1")
    assert (row.status_label, row.badge_key) == ("Aktiv", "active")
