"""Payment reminder rules: which step is due on a day, and the unsubscribe token (forged,
expired, foreign refused; the real one works, also twice). The month of daily runs is
tests/jobs/test_reminders.py."""

from __future__ import annotations

import time
from datetime import date, timedelta

from portal_app.core.signing import Purpose, sign
from portal_app.models import ClientContact, Invoice
from portal_app.services.billing import reminders


def _invoice(issue: date, due: date) -> Invoice:
    return Invoice(
        company_id=1, client_id=1, number="X", currency="USD", issue_date=issue, due_date=due
    )


def test_step_due_picks_the_latest_reached_step_within_the_catch_up_window():
    due = date(2026, 3, 20)
    invoice = _invoice(date(2026, 3, 1), due)
    steps = [-3, 7, 14]
    assert reminders.step_due(invoice, steps, due - timedelta(days=4)) is None
    assert reminders.step_due(invoice, steps, due - timedelta(days=3)) == -3
    # Step -3 still goes out up to CATCH_UP_DAYS (7) late, when the job did not run on its day.
    assert reminders.step_due(invoice, steps, due + timedelta(days=4)) == -3
    assert reminders.step_due(invoice, steps, due + timedelta(days=5)) is None
    assert reminders.step_due(invoice, steps, due + timedelta(days=7)) == 7
    assert reminders.step_due(invoice, steps, due + timedelta(days=14)) == 14
    last = due + timedelta(days=14 + reminders.CATCH_UP_DAYS)
    assert reminders.step_due(invoice, steps, last) == 14
    assert reminders.step_due(invoice, steps, last + timedelta(days=1)) is None
    # No reminder on or before the issue day (the invoice e-mail itself is the news).
    late = _invoice(due - timedelta(days=3), due)
    assert reminders.step_due(late, steps, due - timedelta(days=3)) is None
    assert reminders.step_due(late, [], due) is None
    late.due_date = None
    assert reminders.step_due(late, steps, due) is None


def _contact(make):
    company = make.company(reminder_days="7")
    return make.contact(make.client(company))


def test_unsubscribe_token_rules(make, session):
    contact = _contact(make)
    token = reminders.unsubscribe_token(contact)
    # Forged (another purpose's signature, or altered), expired: refused, nothing changes.
    forged = sign(Purpose.EMAIL_CHANGE, [contact.company_id, contact.id])
    assert reminders.unsubscribe(session, token=forged) is None
    assert reminders.unsubscribe(session, token=token[:-2] + "xx") is None
    assert reminders.unsubscribe(session, token="") is None
    old = reminders.unsubscribe_token(
        contact, now=time.time() - reminders.UNSUBSCRIBE_DAYS * 86400 - 10
    )
    assert reminders.unsubscribe(session, token=old) is None
    # Another company's id in a validly signed token: not this contact.
    other = sign(Purpose.REMINDER_UNSUBSCRIBE, [contact.company_id + 10_000, contact.id])
    assert reminders.unsubscribe(session, token=other) is None
    session.refresh(contact)
    assert contact.reminders_opt_out is False
    # The real one works, and again (the same answer, one audit record).
    assert reminders.unsubscribe(session, token=token).contact_id == contact.id
    assert reminders.unsubscribe(session, token=token).contact_id == contact.id
    assert session.get(ClientContact, contact.id).reminders_opt_out is True
