"""Subscription e-mails read from the real SMTP test server, with the jobs run twice a day:
the trial-ending note a few days before the trial ends, the renewal note with each new period
(and the renewal's receipt), the end of a subscription, the expiring-card note when a default
card expires before the next charge; each exactly once, none of the optional ones for a
contact who switched them off, and a working unsubscribe link in each optional one."""

from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlmodel import select

from portal_app.jobs.notices import send_client_notices
from portal_app.jobs.runner import JobContext
from portal_app.models import OutboxMessage, PaymentMethod, Subscription
from portal_app.services.identity import email_choices
from portal_app.services.subscriptions import signup
from portal_app.services.subscriptions.cancel import end_subscription
from portal_app.services.subscriptions.renewals import run_renewals
from tests.conftest import CARD_OK
from tests.helpers.mailbox import deliver
from tests.helpers.subscriptions import link, plan, saved_card, tx_for

JAN1 = date(2026, 1, 1)
FEB1 = date(2026, 2, 1)


def _outbox(session, company_id):
    return [
        r.kind
        for r in session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.company_id == company_id)
            .order_by(OutboxMessage.id)
        ).all()
    ]


def _paid_subscription(make, session, gateway, browser_card, **contact_kw):
    company = make.company(name="Northwind Studio")
    client = make.client(company)
    contact = make.contact(client, is_primary=True, **contact_kw)
    actor = make.actor(contact)
    basic = plan(session, company, name="Basic")
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=JAN1)
    signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    return company, contact, actor, session.get(Subscription, start.subscription_id)


def _notices(session, today):
    return send_client_notices(JobContext(tx=tx_for(session), today=today))


def test_trial_ending_is_told_once_three_days_before(make, session, mailbox, gateway, browser_card):
    company = make.company(name="Northwind Studio")
    client = make.client(company)
    contact = make.contact(client, is_primary=True, language="fr")
    actor = make.actor(contact)
    trial_plan = plan(session, company, name="Pro", trial_days=14)
    saved_card(session, actor, gateway, browser_card, CARD_OK)  # a trial asks for the card
    start = signup.subscribe(session, actor=actor, key=link(session, trial_plan), today=JAN1)
    assert start.trialing
    ends = JAN1 + timedelta(days=14)
    for offset in range(9, 14):  # Jan 10 .. Jan 14, each day twice
        _notices(session, JAN1 + timedelta(days=offset))
        _notices(session, JAN1 + timedelta(days=offset))
    assert _outbox(session, company.id).count(email_choices.TRIAL_ENDING) == 1
    (row,) = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.company_id == company.id,
            OutboxMessage.kind == email_choices.TRIAL_ENDING,
        )
    ).all()
    assert row.created_at is not None and ends.isoformat() in row.idempotency_key
    deliver(session)
    (message,) = mailbox.to(contact.email)
    assert "Pro" in message["Subject"]
    assert "/api/email/unsubscribe/" in message["List-Unsubscribe"]


def test_a_trial_without_a_card_is_told_it_ends_without_one(make, session, mailbox):
    company = make.company(name="Northwind Studio")
    contact = make.contact(make.client(company), is_primary=True)
    actor = make.actor(contact)
    free_trial = plan(session, company, name="Pro", trial_days=14, trial_without_card=True)
    assert signup.subscribe(
        session, actor=actor, key=link(session, free_trial), today=JAN1
    ).trialing
    _notices(session, JAN1 + timedelta(days=11))
    deliver(session)
    (message,) = mailbox.to(contact.email)
    body = message.get_body(("plain",)).get_content()
    assert "Add a card before then to go on" in body
    assert "charged to your saved card" not in body


def test_renewal_and_its_receipt_once_and_the_end(make, session, gateway, browser_card, mailbox):
    company, contact, actor, sub = _paid_subscription(make, session, gateway, browser_card)
    assert _outbox(session, company.id) == ["payment_receipt"]  # the first period's
    run_renewals(tx_for(session), gateway, FEB1)
    run_renewals(tx_for(session), gateway, FEB1)
    kinds = _outbox(session, company.id)
    assert kinds.count(email_choices.SUBSCRIPTION_RENEWED) == 1
    assert kinds.count("payment_receipt") == 2
    deliver(session)
    messages = mailbox.to(contact.email)
    renewed = [m for m in messages if "renewed" in m["Subject"]]
    assert len(renewed) == 1
    text = renewed[0].get_body(preferencelist=("plain",)).get_content()
    assert "Basic" in text and "/client/login?next=%2Fclient%2Fsubscriptions%2F" in text

    # Ended (by staff, or after failed retries): told once, with no unsubscribe link.
    end_subscription(session, subscription=sub, today=date(2026, 2, 10))
    end_subscription(session, subscription=sub, today=date(2026, 2, 10))
    assert _outbox(session, company.id).count("subscription_cancelled") == 1
    deliver(session)
    (ended,) = [m for m in mailbox.to(contact.email) if "ended" in m["Subject"]]
    assert ended["List-Unsubscribe"] is None


def test_switched_off_renewal_notes_stay_away_but_receipts_come(
    make, session, gateway, browser_card
):
    company, contact, actor, sub = _paid_subscription(make, session, gateway, browser_card)
    email_choices.set_email_choices(session, actor=actor, contact=contact, enabled=[])
    run_renewals(tx_for(session), gateway, FEB1)
    assert _outbox(session, company.id) == ["payment_receipt", "payment_receipt"]


def test_a_card_expiring_before_the_next_charge_is_told_once(
    make, session, gateway, browser_card, mailbox
):
    company, contact, actor, sub = _paid_subscription(make, session, gateway, browser_card)
    card = session.exec(select(PaymentMethod).where(PaymentMethod.client_id == sub.client_id)).one()
    # Valid until the end of January; the next renewal is on February 1.
    card.exp_month, card.exp_year = 1, 2026
    session.add(card)
    session.flush()
    for day in (date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 20)):
        _notices(session, day)
    assert _outbox(session, company.id).count(email_choices.CARD_EXPIRING) == 1
    deliver(session)
    (message,) = [m for m in mailbox.to(contact.email) if "expires" in m["Subject"]]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "01/2026" in text and "payment_methods" in text
    # A card valid past the next charge is not told about.
    card.exp_month, card.exp_year = 3, 2026
    session.add(card)
    session.flush()
    assert "card_queued" not in _notices(session, date(2026, 1, 21))


def test_an_opted_out_contact_gets_no_card_note_and_the_link_unsubscribes(
    make, session, gateway, browser_card, mailbox
):
    company, contact, actor, sub = _paid_subscription(make, session, gateway, browser_card)
    card = session.exec(select(PaymentMethod).where(PaymentMethod.client_id == sub.client_id)).one()
    card.exp_month, card.exp_year = 1, 2026
    session.add(card)
    session.flush()
    email_choices.set_email_choices(
        session,
        actor=actor,
        contact=contact,
        enabled=[k for k in email_choices.OPTIONAL_KINDS if k != email_choices.CARD_EXPIRING],
    )
    assert _notices(session, date(2026, 1, 5)) == {"card_opted_out": 1}
    assert email_choices.CARD_EXPIRING not in _outbox(session, company.id)
    path = urlsplit(email_choices.unsubscribe_link(contact, email_choices.TRIAL_ENDING)).path
    assert path.startswith("/api/email/unsubscribe/")
