"""Jobs of the subscriptions and pre-payment modules: renewals and repeated pre-payments."""

from __future__ import annotations

# Imported first so the recurring-invoice job is registered (and runs) before these, however
# the modules happen to be imported.
import portal_app.jobs.recurring  # noqa: F401
from portal_app.jobs.runner import JobContext, register_job
from portal_app.services.payments.prepayment_schedules import run_schedules
from portal_app.services.subscriptions.renewals import run_renewals


def renew_subscriptions(ctx: JobContext) -> dict[str, int]:
    """Renew, charge, retry and end subscriptions due on `ctx.today`."""
    return run_renewals(ctx.tx, ctx.get_gateway, ctx.today)


def charge_prepayment_schedules(ctx: JobContext) -> dict[str, int]:
    """Charge the repeated pre-payments due on `ctx.today`."""
    return run_schedules(ctx.tx, ctx.get_gateway, ctx.today)


register_job("subscription_renewals", renew_subscriptions)
register_job("prepayment_schedules", charge_prepayment_schedules)
