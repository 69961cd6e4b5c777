"""The client_notices job: the daily e-mails no event triggers, a trial about to end and a
saved card expiring before the next charge (services/subscriptions/subscription_mail.py and
card_expiry.py). One transaction per message; the outbox key makes a second run a no-op."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from portal_app.jobs.runner import JobContext, register_job
from portal_app.models import Subscription
from portal_app.services.subscriptions import card_expiry, subscription_mail

log = logging.getLogger(__name__)


def _each(ctx: JobContext, ids: list[int], send: Callable, name: str, counts: Counter) -> None:
    for row_id in ids:
        try:
            with ctx.tx() as session:
                outcome = send(session, row_id)
        except Exception:
            # One bad row must not stop the other notices.
            log.exception("%s notice for %s failed", name, row_id)
            outcome = "error"
        counts[f"{name}_{outcome}"] += 1


def send_client_notices(ctx: JobContext) -> dict[str, int]:
    """Queue today's trial-ending and card-expiring e-mails; counts by kind and outcome."""
    with ctx.tx() as session:
        trials = subscription_mail.trials_ending(session, ctx.today)
        cards = card_expiry.cards_to_tell(session, ctx.today)
    counts: Counter[str] = Counter()
    _each(
        ctx,
        trials,
        lambda s, i: subscription_mail.queue_trial_ending(s, s.get_one(Subscription, i)),
        "trial",
        counts,
    )
    _each(ctx, cards, card_expiry.queue_card_expiring, "card", counts)
    return dict(counts)


register_job("client_notices", send_client_notices)
