"""A disputed renewal invoice is not charged by the renewals job (against localstripe): the
retry waits without using up an attempt, and once staff resolve the dispute the next run
charges it and the subscription is active again."""

from datetime import date

from sqlmodel import select

from portal_app.models import Invoice
from portal_app.services.documents import threads
from portal_app.services.subscriptions.renewals import run_renewals
from tests.conftest import CARD_DECLINED_ON_CHARGE
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import saved_card, tx_for
from tests.services.subscriptions.test_renewals import (
    FEB1,
    _make_default,
    _payments,
    _subscribed,
)


def test_a_disputed_renewal_waits_and_is_charged_once_resolved(
    make, session, gateway, browser_card
):
    company, client, actor, _, sub = _subscribed(make, session, gateway, browser_card)
    saved_card(session, actor, gateway, browser_card, CARD_DECLINED_ON_CHARGE)
    _make_default(session, client, "0341")
    assert run_renewals(tx_for(session), gateway, FEB1) == {"issued": 1, "declined": 1}
    renewal = session.exec(
        select(Invoice).where(Invoice.subscription_id == sub.id, Invoice.issue_date == FEB1)
    ).one()
    threads.post_client_message(
        session,
        actor=actor,
        document_type="invoice",
        document_id=renewal.id,
        body="We cancelled before the renewal date.",
        dispute=True,
    )
    _make_default(session, client, "4242")  # a card that would pay: the dispute is the reason

    for day in (date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 4)):
        assert run_renewals(tx_for(session), gateway, day) == {"waiting": 1}
        session.refresh(sub)
        assert (sub.status, sub.failed_attempts) == ("past_due", 1)
    session.refresh(renewal)
    assert renewal.balance_minor == renewal.amount_minor
    assert [p.status for p in _payments(session, client)] == ["completed", "failed"]

    threads.resolve_thread(
        session,
        actor=staff_actor(session, company),
        document_type="invoice",
        document_id=renewal.id,
    )
    assert run_renewals(tx_for(session), gateway, date(2026, 2, 5)) == {"paid": 1}
    session.refresh(sub)
    session.refresh(renewal)
    assert (sub.status, sub.failed_attempts, sub.next_retry_on) == ("active", 0, None)
    assert (renewal.status, renewal.balance_minor) == ("paid", 0)
    assert [p.status for p in _payments(session, client)] == ["completed", "failed", "completed"]
