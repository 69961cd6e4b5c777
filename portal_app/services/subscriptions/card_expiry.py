"""The "card expiring" e-mail: a client's default saved card that expires before its next
automatic charge (a recurring invoice with auto-bill, or a subscription's renewal).

The client_notices job (jobs/notices.py) runs daily; a card is told about once per expiry, when
its expiry month ends within NOTICE_DAYS (or has ended) and the next charge falls after that
(outbox key `card.expiring:<card>:<year>-<month>`: a new card, or the same card with a new
expiry, is a new notice). Optional: the contact may switch it off.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.card_labels import card_label
from portal_app.core.i18n import _
from portal_app.core.locale import format_day
from portal_app.models import PaymentMethod, RecurringInvoice, Subscription
from portal_app.models.statuses import RecurringStatus
from portal_app.services.billing.recurring import auto_bill_on
from portal_app.services.identity import email_choices
from portal_app.services.mail import layout
from portal_app.services.subscriptions.subscriptions import next_charge_date

# Told this many days before the card's last valid day at the latest.
NOTICE_DAYS = 30


def expiry_end(method: PaymentMethod) -> date | None:
    """The first day the card no longer works (the day after its expiry month), if known."""
    if not (1 <= method.exp_month <= 12) or method.exp_year < 2000:
        return None
    if method.exp_month == 12:
        return date(method.exp_year + 1, 1, 1)
    return date(method.exp_year, method.exp_month + 1, 1)


def next_automatic_charge(session: Session, *, company_id: int, client_id: int) -> date | None:
    """The day the client's default card is charged next without them (None: never)."""
    owned = select(Subscription.recurring_invoice_id).where(
        col(Subscription.recurring_invoice_id).is_not(None)
    )
    schedules = session.exec(
        select(RecurringInvoice).where(
            RecurringInvoice.company_id == company_id,
            RecurringInvoice.client_id == client_id,
            RecurringInvoice.status == RecurringStatus.ACTIVE,
            col(RecurringInvoice.next_send_date).is_not(None),
            col(RecurringInvoice.id).not_in(owned),
        )
    ).all()
    days = [s.next_send_date for s in schedules if auto_bill_on(s) and s.next_send_date]
    subscriptions = session.exec(
        select(Subscription).where(
            Subscription.company_id == company_id, Subscription.client_id == client_id
        )
    ).all()
    days += [d for d in (next_charge_date(s) for s in subscriptions) if d is not None]
    return min(days, default=None)


def cards_to_tell(session: Session, today: date) -> list[int]:
    """Default saved cards whose expiry comes within NOTICE_DAYS and before the next charge."""
    horizon = today + timedelta(days=NOTICE_DAYS)
    cards = session.exec(
        select(PaymentMethod)
        .where(
            col(PaymentMethod.is_default).is_(True),
            col(PaymentMethod.removed_at).is_(None),
            PaymentMethod.exp_year > 0,
            (PaymentMethod.exp_year * 100 + PaymentMethod.exp_month)
            <= horizon.year * 100 + horizon.month,
        )
        .order_by(col(PaymentMethod.id))
    ).all()
    found = []
    for card in cards:
        ends = expiry_end(card)
        if ends is None or ends > horizon + timedelta(days=1):
            continue
        charge = next_automatic_charge(
            session, company_id=card.company_id, client_id=card.client_id
        )
        if charge is not None and charge >= ends:
            found.append(card.id)
    return found


def queue_card_expiring(session: Session, method_id: int) -> str:
    """Tell the client their default card expires before the next charge (once per expiry)."""
    card = session.get_one(PaymentMethod, method_id)
    ends = expiry_end(card)
    if ends is None:
        return "skipped"
    charge = next_automatic_charge(session, company_id=card.company_id, client_id=card.client_id)

    def build(to: email_choices.Recipient) -> layout.Body:
        values = {
            "card": card_label(card.brand, card.last4),
            "month": f"{card.exp_month:02d}/{card.exp_year}",
            "date": format_day(charge, to.locale) if charge else "",
        }
        return layout.Body(
            subject=_("Your card %(card)s expires before the next payment") % values,
            paragraphs=[
                _("Your saved card %(card)s expires at the end of %(month)s.") % values,
                _("The next automatic payment is on %(date)s; please add a new card before then.")
                % values,
            ],
            action=_("To update your card, open this link:"),
            link=to.base_url + routes.login_url(routes.CLIENT_PAYMENT_METHODS),
        )

    return email_choices.send_to_contact(
        session,
        company_id=card.company_id,
        client_id=card.client_id,
        kind=email_choices.CARD_EXPIRING,
        key=f"card.expiring:{card.id}:{card.exp_year}-{card.exp_month:02d}",
        build=build,
        entity_type="payment_method",
        entity_id=card.id,
    )
