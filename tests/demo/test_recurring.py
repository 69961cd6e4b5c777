"""The demo's recurring invoices, as Acme's contact sees them."""

from datetime import date

from sqlmodel import select

from portal_app.demo import seed as demo
from portal_app.jobs import recurring as job
from portal_app.models import ClientContact, RecurringInvoice
from portal_app.services.billing import recurring as svc
from portal_app.services.identity.actor import Actor

TODAY = date(2026, 6, 15)


def _acme(session) -> Actor:
    contact = session.exec(
        select(ClientContact).where(ClientContact.email == demo.CLIENT_EMAIL)
    ).one()
    return Actor(contact.company_id, contact.client_id, contact.id, 0, "password")


def test_demo_has_the_three_kinds_of_schedule(session):
    demo.seed_demo(session, today=TODAY)
    actor = _acme(session)
    running = svc.list_recurring(session, actor=actor).rows
    assert [(r.frequency, r.cycles_left) for r in running] == [
        ("Monthly", "Endless"),
        ("Quarterly", "3"),
    ]
    everything = svc.list_recurring(session, actor=actor, show="all").rows
    completed = [r for r in everything if r.status == "completed"]
    assert len(completed) == 1 and completed[0].next_send_date == ""
    monthly = svc.recurring_view(session, actor=actor, recurring_id=running[0].id)
    assert monthly.can_switch_auto_bill and not monthly.auto_bill_on
    issued = svc.issued_invoices(session, actor=actor, recurring_id=running[0].id)
    assert issued.total == 5
    assert [r.status_label for r in issued.rows].count("Paid") == 4


def test_demo_schedules_are_not_due_on_the_seed_day(session):
    """Seeding then running the jobs the same day issues nothing: the demo is consistent."""
    result = demo.seed_demo(session, today=TODAY)
    due = job.due_schedules(session, TODAY)
    mine = session.exec(
        select(RecurringInvoice.id).where(RecurringInvoice.company_id == result.company_id)
    ).all()
    assert not {d.id for d in due} & set(mine)
