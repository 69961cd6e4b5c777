"""A trial that ends with no card on file (issue 18 item 7).

The renewal job (services/subscriptions/renewals.py) charges the client's default card when a
trial ends. A plan may start its trial without a card (`SubscriptionPlan.trial_without_card`),
and a client may remove the card during the trial: with no card by the trial's last day the
subscription ends instead of being billed, and the contact who signed up is told by e-mail in
their language (keyed by the subscription, so a job run twice sends one). The cancellation
note of services/subscriptions/subscription_mail.py stays silent for such a trial.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from portal_app.core import routes
from portal_app.core.i18n import _
from portal_app.core.locale import format_day
from portal_app.models import ClientContact, Subscription, SubscriptionPlan
from portal_app.models.statuses import SubscriptionStatus
from portal_app.services.identity import audit, email_choices
from portal_app.services.mail import layout
from portal_app.services.payments.payment_methods import default_method
from portal_app.services.subscriptions.cancel import end_subscription

# The outbox kind of the e-mail (not one a contact can switch off: it ends a contract).
TRIAL_ENDED_NO_CARD = "trial_ended_no_card"


def ends_without_card(session: Session, sub: Subscription, today: date) -> bool:
    """True for a trial whose last day came while its client has no default card."""
    return (
        sub.status == SubscriptionStatus.TRIALING
        and sub.current_period_end <= today
        and default_method(session, company_id=sub.company_id, client_id=sub.client_id) is None
    )


def end_trial_without_card(session: Session, sub: Subscription, today: date) -> str:
    """End the trial (nothing issued, nothing charged), note it and e-mail the contact;
    returns the e-mail's outcome ("queued", "sent_before", "no_contact")."""
    ended_on = sub.trial_ends_on or sub.current_period_end
    end_subscription(session, subscription=sub, today=today)
    audit.record(
        session,
        company_id=sub.company_id,
        client_id=sub.client_id,
        action="subscription_trial_ended_no_card",
        actor_type="system",
        actor_id=None,
        entity_type="subscription",
        entity_id=sub.id,
    )
    return queue_trial_ended_no_card(session, sub, ended_on)


def queue_trial_ended_no_card(session: Session, sub: Subscription, ended_on: date) -> str:
    """Tell the client their trial ended and why nothing goes on: no card to charge."""
    plan = session.get_one(SubscriptionPlan, sub.plan_id)
    contact = session.get(ClientContact, sub.contact_id) if sub.contact_id else None
    if contact is not None and not contact.portal_enabled:
        contact = None

    def build(to: email_choices.Recipient) -> layout.Body:
        values = {"plan": plan.name, "date": format_day(ended_on, to.locale)}
        return layout.Body(
            subject=_("Your trial of %(plan)s has ended") % values,
            paragraphs=[
                _("Your trial of %(plan)s ended on %(date)s.") % values,
                _(
                    "There was no card on file to charge, so the subscription has ended. "
                    "Nothing was charged."
                ),
            ],
            action=_("To see the subscription, open this link:"),
            link=to.base_url + routes.login_url(routes.subscription_url(sub.id or 0)),
        )

    return email_choices.send_to_contact(
        session,
        company_id=sub.company_id,
        client_id=sub.client_id,
        kind=TRIAL_ENDED_NO_CARD,
        key=f"subscription.trial_ended_no_card:{sub.id}",
        build=build,
        contact=contact,
        entity_type="subscription",
        entity_id=sub.id,
    )
