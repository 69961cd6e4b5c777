"""The recurring-invoice job: issuing, advancing, cycles, catch-up and idempotency."""

from datetime import date, timedelta

from sqlmodel import col, select

from portal_app.jobs import recurring as job
from portal_app.models import AuditEvent, Invoice, InvoiceLine, RecurringInvoice
from tests.helpers.recurring import add_recurring


def _invoices(session, schedule_id):
    return session.exec(
        select(Invoice).where(Invoice.recurring_invoice_id == schedule_id).order_by(col(Invoice.id))
    ).all()


def test_due_schedule_issues_a_sent_invoice_and_moves_on(make, session, job_ctx):
    client = make.client(make.company())
    start = date(2026, 3, 10)
    schedule = add_recurring(session, client, number="R-1", start_date=start, due_days=7)
    counts = job.issue_recurring_invoices(job_ctx(start))
    assert counts["issued"] == 1
    [invoice] = _invoices(session, schedule.id)
    assert invoice.status == "sent" and invoice.sent_at is not None
    assert invoice.issue_date == start and invoice.due_date == start + timedelta(days=7)
    assert invoice.amount_minor == 55_00 and invoice.balance_minor == 55_00
    assert invoice.number.startswith("INV-")
    lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
    assert [(line.description, line.net_minor, line.tax_minor) for line in lines] == [
        ("Hosting", 50_00, 5_00)
    ]
    session.refresh(schedule)
    assert schedule.issued_count == 1 and schedule.last_sent_date == start
    assert schedule.next_send_date == date(2026, 4, 10) and schedule.status == "active"
    assert session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == invoice.id, AuditEvent.action == "recurring_invoice_issued"
        )
    ).first()


def test_not_yet_due_draft_paused_and_cancelled_issue_nothing(make, session, job_ctx):
    client = make.client(make.company())
    today = date(2026, 3, 10)
    ids = [
        add_recurring(session, client, number="R-a", start_date=today + timedelta(days=1)).id,
        add_recurring(session, client, number="R-b", start_date=today, status="draft").id,
        add_recurring(session, client, number="R-c", start_date=today, status="paused").id,
        add_recurring(session, client, number="R-d", start_date=today, status="cancelled").id,
    ]
    job.issue_recurring_invoices(job_ctx(today))
    assert all(_invoices(session, i) == [] for i in ids)


def test_cycles_reaching_zero_complete_the_schedule(make, session, job_ctx):
    client = make.client(make.company())
    start = date(2026, 1, 5)
    schedule = add_recurring(
        session, client, number="R-2", start_date=start, frequency="weekly", remaining_cycles=2
    )
    job.issue_recurring_invoices(job_ctx(start))
    session.refresh(schedule)
    assert schedule.remaining_cycles == 1 and schedule.status == "active"
    assert schedule.next_send_date == date(2026, 1, 12)
    job.issue_recurring_invoices(job_ctx(date(2026, 1, 12)))
    session.refresh(schedule)
    assert schedule.remaining_cycles == 0 and schedule.status == "completed"
    assert schedule.next_send_date is None
    # Completed: later runs issue nothing more.
    job.issue_recurring_invoices(job_ctx(date(2026, 3, 1)))
    assert len(_invoices(session, schedule.id)) == 2


def test_zero_cycles_left_issues_nothing(make, session, job_ctx):
    client = make.client(make.company())
    start = date(2026, 1, 5)
    schedule = add_recurring(session, client, number="R-z", start_date=start, remaining_cycles=0)
    job.issue_recurring_invoices(job_ctx(start))
    assert _invoices(session, schedule.id) == []


def test_running_twice_the_same_day_issues_nothing_twice(make, session, job_ctx):
    client = make.client(make.company())
    start = date(2026, 5, 1)
    schedule = add_recurring(session, client, number="R-3", start_date=start)
    job.issue_recurring_invoices(job_ctx(start))
    job.issue_recurring_invoices(job_ctx(start))
    assert len(_invoices(session, schedule.id)) == 1
    session.refresh(schedule)
    assert schedule.issued_count == 1


def test_a_stale_claim_is_refused(make, session):
    """The guard itself: a runner holding an old issued_count gets nothing."""
    client = make.client(make.company())
    start = date(2026, 5, 1)
    schedule = add_recurring(session, client, number="R-4", start_date=start)
    [due] = [d for d in job.due_schedules(session, start) if d.id == schedule.id]
    assert job.claim_period(session, due, start) is True
    assert job.claim_period(session, due, start) is False
    session.refresh(schedule)
    assert schedule.issued_count == 1


def test_month_end_schedule_over_many_runs(make, session, job_ctx):
    client = make.client(make.company())
    schedule = add_recurring(session, client, number="R-5", start_date=date(2027, 1, 31))
    expected = [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    # One run on each send date (and one the day after, which must do nothing).
    for day in expected:
        job.issue_recurring_invoices(job_ctx(day))
        job.issue_recurring_invoices(job_ctx(day + timedelta(days=1)))
    assert [inv.issue_date for inv in _invoices(session, schedule.id)] == expected
    session.refresh(schedule)
    assert schedule.next_send_date == date(2027, 6, 30)


def test_leap_year_monthly_from_the_29th(make, session, job_ctx):
    client = make.client(make.company())
    schedule = add_recurring(
        session, client, number="R-6", start_date=date(2028, 1, 29), frequency="monthly"
    )
    for day in (date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29)):
        job.issue_recurring_invoices(job_ctx(day))
    assert [i.issue_date for i in _invoices(session, schedule.id)][1] == date(2028, 2, 29)


def test_missed_periods_are_each_issued_once(make, session, job_ctx):
    client = make.client(make.company())
    schedule = add_recurring(
        session, client, number="R-7", start_date=date(2026, 1, 31), remaining_cycles=10
    )
    today = date(2026, 4, 15)  # Jan 31, Feb 28, Mar 31 were missed
    counts = job.issue_recurring_invoices(job_ctx(today))
    invoices = _invoices(session, schedule.id)
    assert len(invoices) == 3 and counts["issued"] >= 3
    # Dated the day they are really issued; the notes name the missed period.
    assert {inv.issue_date for inv in invoices} == {today}
    assert "2026-01-31" in invoices[0].public_notes and "2026-03-31" in invoices[2].public_notes
    session.refresh(schedule)
    assert schedule.issued_count == 3 and schedule.remaining_cycles == 7
    assert schedule.next_send_date == date(2026, 4, 30)
    job.issue_recurring_invoices(job_ctx(today))
    assert len(_invoices(session, schedule.id)) == 3


def test_catch_up_stops_at_the_last_cycle(make, session, job_ctx):
    client = make.client(make.company())
    schedule = add_recurring(
        session,
        client,
        number="R-8",
        start_date=date(2026, 1, 1),
        frequency="daily",
        remaining_cycles=3,
    )
    job.issue_recurring_invoices(job_ctx(date(2026, 2, 1)))
    assert len(_invoices(session, schedule.id)) == 3
    session.refresh(schedule)
    assert schedule.status == "completed"


def test_catch_up_is_capped_per_run(make, session, job_ctx):
    client = make.client(make.company())
    schedule = add_recurring(
        session, client, number="R-9", start_date=date(2026, 1, 1), frequency="daily"
    )
    job.issue_recurring_invoices(job_ctx(date(2026, 3, 1)))
    assert len(_invoices(session, schedule.id)) == job.MAX_PERIODS_PER_RUN
    job.issue_recurring_invoices(job_ctx(date(2026, 3, 1)))
    assert len(_invoices(session, schedule.id)) == 2 * job.MAX_PERIODS_PER_RUN


def test_auto_bill_rules():
    assert job.auto_bill_applies("always", False)
    assert job.auto_bill_applies("opt_in", True) and job.auto_bill_applies("opt_out", True)
    assert not job.auto_bill_applies("opt_in", False)
    assert not job.auto_bill_applies("opt_out", False)
    assert not job.auto_bill_applies("off", True)


def test_schedules_of_other_companies_keep_their_own_numbers(make, session, job_ctx):
    first, second = make.client(make.company()), make.client(make.company())
    day = date(2026, 6, 1)
    a = add_recurring(session, first, number="R-10", start_date=day)
    b = add_recurring(session, second, number="R-10", start_date=day)
    job.issue_recurring_invoices(job_ctx(day))
    [inv_a], [inv_b] = _invoices(session, a.id), _invoices(session, b.id)
    assert inv_a.company_id == first.company_id and inv_b.company_id == second.company_id
    assert inv_a.client_id == first.id and inv_b.client_id == second.id
    session.refresh(b)
    assert isinstance(b, RecurringInvoice)
