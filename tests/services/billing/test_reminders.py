"""Payment reminder rules: which step is due on a day. The month of daily runs is
tests/jobs/test_reminders.py; the unsubscribe token is in
tests/services/identity/test_email_choices.py."""

from __future__ import annotations

from datetime import date, timedelta

from portal_app.models import Invoice
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
