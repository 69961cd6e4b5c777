"""E-mails about a client's subscription: the trial about to end, a renewal (a new period and
its invoice) and the end of the subscription.

Queued in the transaction of the event through services/identity/email_choices.py (the
contact's language, the company's branding), keyed by the event so a job run twice sends one:
`subscription.trial_ending:<id>:<trial end>`, `subscription.renewed:<id>:<period start>`,
`subscription.cancelled:<id>`. The trial and renewal notes are optional (an unsubscribe link);
the cancellation is not (it ends a contract). A trial that ends without a card is told by the
sign-up's own e-mail, not by the cancellation note.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.i18n import _
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.models import ClientContact, Invoice, Subscription, SubscriptionPlan
from portal_app.models.statuses import SubscriptionStatus
from portal_app.services.identity import email_choices
from portal_app.services.mail import layout
from portal_app.services.payments.payment_methods import default_method
from portal_app.services.subscriptions.subscriptions import period_label

log = logging.getLogger(__name__)

CANCELLED = "subscription_cancelled"
# A trial's end is announced this many days before it.
TRIAL_NOTICE_DAYS = 3


def _link(to: email_choices.Recipient, sub: Subscription) -> str:
    return to.base_url + routes.login_url(routes.subscription_url(sub.id or 0))


def _send(session: Session, sub: Subscription, kind: str, key: str, build) -> str:
    contact = None
    if sub.contact_id is not None:
        found = session.get(ClientContact, sub.contact_id)
        contact = found if found is not None and found.portal_enabled else None
    return email_choices.send_to_contact(
        session,
        company_id=sub.company_id,
        client_id=sub.client_id,
        kind=kind,
        key=key,
        build=build,
        contact=contact,
        entity_type="subscription",
        entity_id=sub.id,
    )


def queue_trial_ending(session: Session, sub: Subscription) -> str:
    """Tell the client their trial ends soon and what the plan then costs."""
    plan = session.get_one(SubscriptionPlan, sub.plan_id)
    ends = sub.trial_ends_on or sub.current_period_end
    # A trial that started without a card ends without one (renewals, trial_end): say so.
    has_card = default_method(session, company_id=sub.company_id, client_id=sub.client_id)

    def build(to: email_choices.Recipient) -> layout.Body:
        values = {
            "plan": plan.name,
            "date": format_day(ends, to.locale),
            "amount": format_money(plan.price_minor, plan.currency, to.locale),
        }
        then = (
            _("After that, each period costs %(amount)s, charged to your saved card.")
            if has_card is not None
            else _(
                "After that, each period costs %(amount)s. Add a card before then to go on; "
                "without one, the subscription ends with the trial."
            )
        )
        return layout.Body(
            subject=_("Your trial of %(plan)s ends on %(date)s") % values,
            paragraphs=[_("Your trial of %(plan)s ends on %(date)s.") % values, then % values],
            action=_("To see or cancel the subscription, open this link:"),
            link=_link(to, sub),
        )

    key = f"subscription.trial_ending:{sub.id}:{ends.isoformat()}"
    return _send(session, sub, email_choices.TRIAL_ENDING, key, build)


def queue_renewed(session: Session, sub: Subscription, invoice: Invoice) -> str:
    """Tell the client their subscription moved to a new period, with its invoice."""
    plan = session.get_one(SubscriptionPlan, sub.plan_id)
    start, end = sub.current_period_start, sub.current_period_end

    def build(to: email_choices.Recipient) -> layout.Body:
        values = {
            "plan": plan.name,
            "period": period_label(start, end, to.locale),
            "number": invoice.number,
            "amount": format_money(invoice.amount_minor, invoice.currency, to.locale),
        }
        return layout.Body(
            subject=_("Your subscription to %(plan)s was renewed") % values,
            paragraphs=[
                _("Your subscription to %(plan)s now runs for %(period)s.") % values,
                _("Invoice %(number)s for %(amount)s covers this period.") % values,
            ],
            action=_("To see the subscription, open this link:"),
            link=_link(to, sub),
        )

    key = f"subscription.renewed:{sub.id}:{start.isoformat()}"
    return _send(session, sub, email_choices.SUBSCRIPTION_RENEWED, key, build)


def queue_cancelled(session: Session, sub: Subscription, *, was: str, today: date) -> str:
    """Tell the client their subscription ended (`was`: its status before). Nothing for a
    sign-up never completed, nor for a trial that ran out (the sign-up tells that)."""
    if was == SubscriptionStatus.INCOMPLETE or (
        was == SubscriptionStatus.TRIALING
        and sub.trial_ends_on is not None
        and sub.trial_ends_on <= today
    ):
        return "skipped"
    plan = session.get_one(SubscriptionPlan, sub.plan_id)

    def build(to: email_choices.Recipient) -> layout.Body:
        values = {"plan": plan.name, "date": format_day(today, to.locale)}
        return layout.Body(
            subject=_("Your subscription to %(plan)s has ended") % values,
            paragraphs=[
                _("Your subscription to %(plan)s ended on %(date)s.") % values,
                _("Nothing more will be charged for it."),
            ],
            action=_("To see your subscriptions, open this link:"),
            link=_link(to, sub),
        )

    return _send(session, sub, CANCELLED, f"subscription.cancelled:{sub.id}", build)


def trials_ending(session: Session, today: date) -> list[int]:
    """Trialing subscriptions whose trial ends within TRIAL_NOTICE_DAYS of `today`."""
    rows = session.exec(
        select(Subscription.id)
        .where(
            Subscription.status == SubscriptionStatus.TRIALING,
            col(Subscription.trial_ends_on).is_not(None),
            col(Subscription.trial_ends_on) > today,
            col(Subscription.trial_ends_on) <= today + timedelta(days=TRIAL_NOTICE_DAYS),
            col(Subscription.cancel_at).is_(None),
        )
        .order_by(col(Subscription.id))
    ).all()
    return [row for row in rows if row is not None]
