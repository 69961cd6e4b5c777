"""Subscription plans and their payment links from the staff console.

Every query is scoped to the staff user's company (services/identity/staff_scope.py): another
company's plan or link is "not found". Every role may manage plans and links, as with
recurring invoices (staff_scope's role rules). Every change is audited.

Rules that keep subscribers' billing right:
- the price is typed in major units and stored in minor units (core/money.parse_major); it is
  above zero and at most MAX_PRICE_MAJOR; a new price applies from the next period's invoice
  (services/subscriptions/billing issues each period at the plan's price then);
- once a plan has subscribers (any subscription, even ended), its currency and period stay:
  their invoices, refunds and period dates are counted in them (make a new plan instead);
- plan changes are allowed only to the company's plans with the same currency and period
  (services/subscriptions/subscriptions.change_targets reads the same rule);
- clients may pause a subscription only when its plan allows it, for 1 to max_pause_periods
  periods at a time (at most pausing.MAX_PAUSE_PERIODS; services/subscriptions/pausing.py);
- a disabled link refuses new sign-ups (subscriptions.link_and_plan); subscribers keep theirs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from portal_app.core.i18n import N_, gettext
from portal_app.core.money import (
    SUPPORTED_CURRENCIES,
    currency_exponent,
    format_money,
    major_text,
    parse_major,
)
from portal_app.core.pickling import positional_pickle
from portal_app.core.routes import subscribe_url
from portal_app.core.schedule import FREQUENCIES, FREQUENCY_LABELS
from portal_app.core.tokens import new_token
from portal_app.models import (
    Company,
    PaymentLink,
    PlanChangeOption,
    Subscription,
    SubscriptionPlan,
)
from portal_app.models.subscription import DOWNGRADE_MODES
from portal_app.services.billing.document_forms import FormErrors
from portal_app.services.company.locale import company_locale
from portal_app.services.identity.staff_scope import (
    StaffAction,
    own_row,
    record,
    require_role,
    require_staff,
)
from portal_app.services.subscriptions.pausing import MAX_PAUSE_PERIODS

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_PRICE_MAJOR = 99_999_999
MAX_TRIAL_DAYS = 365
MAX_REFUND_DAYS = 365
MAX_PLANS = 200
MAX_LINKS = 200
DOWNGRADE_LABELS = {
    "period_end": N_("Switch when the current period ends"),
    "credit_now": N_("Switch now and credit the unused part"),
}
_WHOLE = re.compile(r"\d{1,6}")
_PRICE = re.compile(r"\d{1,15}(?:\.\d{1,6})?")


@dataclass
class PlanForm:
    """A plan's form as typed; `change_to` holds the ids of plans a subscriber may move to."""

    name: str = ""
    description: str = ""
    price: str = ""
    currency: str = ""
    frequency: str = "monthly"
    trial_days: str = "0"
    trial_without_card: bool = False
    allow_cancellation: bool = True
    allow_plan_change: bool = False
    change_to: list[str] = field(default_factory=list)
    downgrade_mode: str = "period_end"
    refund_period_days: str = "0"
    allow_pause: bool = False
    max_pause_periods: str = "3"


@positional_pickle
@dataclass(frozen=True, slots=True)
class PlanRow:
    """One plan in the staff list."""

    id: int
    name: str
    price: str
    period: str
    trial: str
    active: bool
    subscribers: int


@positional_pickle
@dataclass(frozen=True, slots=True)
class LinkRow:
    """One payment link: its public path (the page makes it absolute) and whether it works."""

    id: int
    plan_id: int
    plan_name: str
    path: str
    active: bool


def get_plan(session: Session, *, actor, plan_id: object, lock: bool = False) -> SubscriptionPlan:
    """One plan of the staff user's company; NotFoundError for anything else."""
    require_staff(actor)
    return own_row(session, SubscriptionPlan, plan_id, actor, what="plan", lock=lock)


def _whole(value: object, high: int, message: str) -> int:
    cleaned = str(value if value is not None else "").strip()
    if not _WHOLE.fullmatch(cleaned) or int(cleaned) > high:
        raise ValueError(message)
    return int(cleaned)


def _price(text: object, currency: str) -> int:
    cleaned = str(text or "").strip()
    if not _PRICE.fullmatch(cleaned):
        raise ValueError(gettext("Enter a price such as 12.50."))
    exponent = currency_exponent(currency)
    whole, _, decimals = cleaned.partition(".")
    if len(decimals.rstrip("0")) > exponent:
        raise ValueError(
            gettext("%(currency)s allows at most %(places)d decimal places.")
            % {"currency": currency, "places": exponent}
        )
    if int(whole) > MAX_PRICE_MAJOR:
        raise ValueError(
            gettext("Enter a price of at most %(max)s.") % {"max": f"{MAX_PRICE_MAJOR:,}"}
        )
    minor = parse_major(cleaned, currency)
    if minor <= 0:
        raise ValueError(gettext("Enter a price above zero."))
    return minor


def _subscriber_count(session: Session, plan_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Subscription).where(Subscription.plan_id == plan_id)
    ).one()


@dataclass(frozen=True, slots=True)
class _Parsed:
    name: str
    description: str
    price_minor: int
    currency: str
    frequency: str
    trial_days: int
    trial_without_card: bool
    allow_cancellation: bool
    allow_plan_change: bool
    change_to: list[int]
    downgrade_mode: str
    refund_period_days: int
    allow_pause: bool
    max_pause_periods: int


def _parse(session: Session, *, actor, form: PlanForm, row: SubscriptionPlan | None) -> _Parsed:
    """Check the whole form; FormErrors names every wrong field and nothing is written."""
    errors: dict[str, str] = {}
    name = str(form.name or "").strip()
    if not name:
        errors["name"] = gettext("Enter a name.")
    elif len(name) > MAX_NAME:
        errors["name"] = gettext("Use at most %(max)d characters.") % {"max": MAX_NAME}
    description = str(form.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = gettext("Use at most %(max)d characters.") % {
            "max": MAX_DESCRIPTION
        }
    currency = str(form.currency or "").strip().upper()
    price_minor = 0
    if currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = gettext("Choose a currency.")
    else:
        try:
            price_minor = _price(form.price, currency)
        except ValueError as exc:
            errors["price"] = str(exc)
    frequency = str(form.frequency or "")
    if frequency not in FREQUENCIES:
        errors["frequency"] = gettext("Choose how often the plan is billed.")
    values = {}
    for name_, high in (("trial_days", MAX_TRIAL_DAYS), ("refund_period_days", MAX_REFUND_DAYS)):
        try:
            values[name_] = _whole(
                getattr(form, name_),
                high,
                gettext("Enter a number of days from 0 to %(max)d.") % {"max": high},
            )
        except ValueError as exc:
            errors[name_] = str(exc)
    max_pause = row.max_pause_periods if row is not None else 3
    periods = gettext("Enter a number of periods from 1 to %(max)d.") % {"max": MAX_PAUSE_PERIODS}
    if form.allow_pause:
        # Kept as stored while pausing is off: switching it on again offers the same bound.
        try:
            max_pause = _whole(
                form.max_pause_periods,
                MAX_PAUSE_PERIODS,
                periods,
            )
            if max_pause < 1:
                raise ValueError(periods)
        except ValueError as exc:
            errors["max_pause_periods"] = str(exc)
    downgrade = str(form.downgrade_mode or "")
    if downgrade not in DOWNGRADE_MODES:
        errors["downgrade_mode"] = gettext("Choose what a downgrade does.")
    if row is not None and _subscriber_count(session, row.id) > 0:
        if currency in SUPPORTED_CURRENCIES and currency != row.currency:
            errors["currency"] = gettext(
                "This plan has subscribers; its currency cannot change. Create a new plan."
            )
        if frequency in FREQUENCIES and frequency != row.frequency:
            errors["frequency"] = gettext(
                "This plan has subscribers; its period cannot change. Create a new plan."
            )
    change_to: list[int] = []
    if form.allow_plan_change:
        wanted = {str(v).strip() for v in (form.change_to or [])}
        candidates = {str(p.id): p for p in _change_candidates(session, actor, currency, frequency)}
        if row is not None:
            candidates.pop(str(row.id), None)
        if wanted - set(candidates):
            errors["change_to"] = gettext(
                "Plans can change only to the company's plans with the same currency and period."
            )
        change_to = sorted(int(v) for v in wanted if v in candidates)
    if errors:
        raise FormErrors(errors)
    return _Parsed(
        name=name,
        description=description,
        price_minor=price_minor,
        currency=currency,
        frequency=frequency,
        trial_days=values["trial_days"],
        trial_without_card=bool(form.trial_without_card),
        allow_cancellation=bool(form.allow_cancellation),
        allow_plan_change=bool(form.allow_plan_change),
        change_to=change_to,
        downgrade_mode=downgrade,
        refund_period_days=values["refund_period_days"],
        allow_pause=bool(form.allow_pause),
        max_pause_periods=max_pause,
    )


def _change_candidates(session: Session, actor, currency: str, frequency: str):
    return session.exec(
        select(SubscriptionPlan)
        .where(
            SubscriptionPlan.company_id == actor.company_id,
            SubscriptionPlan.currency == currency,
            SubscriptionPlan.frequency == frequency,
        )
        .order_by(col(SubscriptionPlan.name), col(SubscriptionPlan.id))
        .limit(MAX_PLANS)
    ).all()


def _apply(session: Session, row: SubscriptionPlan, parsed: _Parsed) -> None:
    row.name = parsed.name
    row.description = parsed.description
    row.price_minor = parsed.price_minor
    row.currency = parsed.currency
    row.frequency = parsed.frequency
    row.trial_days = parsed.trial_days
    row.trial_without_card = parsed.trial_without_card
    row.allow_cancellation = parsed.allow_cancellation
    row.allow_plan_change = parsed.allow_plan_change
    row.downgrade_mode = parsed.downgrade_mode
    row.refund_period_days = parsed.refund_period_days
    row.allow_pause = parsed.allow_pause
    row.max_pause_periods = parsed.max_pause_periods
    session.add(row)
    session.flush()
    session.exec(delete(PlanChangeOption).where(col(PlanChangeOption.plan_id) == row.id))
    session.add_all(
        PlanChangeOption(plan_id=row.id, target_plan_id=target) for target in parsed.change_to
    )
    session.flush()


def _details(row: SubscriptionPlan, parsed: _Parsed) -> dict:
    return {
        "name": row.name,
        "price": row.price_minor,
        "currency": row.currency,
        "frequency": row.frequency,
        "trial_days": row.trial_days,
        "trial_without_card": row.trial_without_card,
        "refund_period_days": row.refund_period_days,
        "allow_cancellation": row.allow_cancellation,
        "allow_plan_change": row.allow_plan_change,
        "change_to": parsed.change_to,
        "downgrade_mode": str(row.downgrade_mode),
        "allow_pause": row.allow_pause,
        "max_pause_periods": row.max_pause_periods,
    }


def create_plan(session: Session, *, actor, form: PlanForm) -> SubscriptionPlan:
    """A new active plan of the staff user's company; FormErrors names every wrong field."""
    require_role(actor, StaffAction.MANAGE_PLANS)
    parsed = _parse(session, actor=actor, form=form, row=None)
    row = SubscriptionPlan(
        company_id=actor.company_id, name=parsed.name, currency=parsed.currency, is_active=True
    )
    _apply(session, row, parsed)
    record(
        session,
        actor,
        action="subscription_plan.created",
        entity_type="subscription_plan",
        entity_id=row.id,
        client_id=None,
        details=_details(row, parsed),
    )
    return row


def update_plan(session: Session, *, actor, plan_id: object, form: PlanForm) -> SubscriptionPlan:
    """Replace a plan's fields; subscribers get a new price from their next period on."""
    require_role(actor, StaffAction.MANAGE_PLANS)
    row = get_plan(session, actor=actor, plan_id=plan_id, lock=True)
    parsed = _parse(session, actor=actor, form=form, row=row)
    _apply(session, row, parsed)
    record(
        session,
        actor,
        action="subscription_plan.updated",
        entity_type="subscription_plan",
        entity_id=row.id,
        client_id=None,
        details=_details(row, parsed),
    )
    return row


def set_plan_active(session: Session, *, actor, plan_id: object, active: bool) -> SubscriptionPlan:
    """Offer the plan again or stop offering it (its links then refuse sign-ups; subscribers
    keep their subscriptions)."""
    require_role(actor, StaffAction.MANAGE_PLANS)
    row = get_plan(session, actor=actor, plan_id=plan_id, lock=True)
    row.is_active = bool(active)
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        action="subscription_plan.enabled" if active else "subscription_plan.disabled",
        entity_type="subscription_plan",
        entity_id=row.id,
        client_id=None,
        details={"name": row.name},
    )
    return row


def edit_form(session: Session, *, actor, plan_id: object) -> PlanForm:
    """The form that edits a plan, filled with what is stored (price in major units)."""
    row = get_plan(session, actor=actor, plan_id=plan_id)
    targets = session.exec(
        select(PlanChangeOption.target_plan_id).where(PlanChangeOption.plan_id == row.id)
    ).all()
    return PlanForm(
        name=row.name,
        description=row.description,
        price=major_text(row.price_minor, row.currency),
        currency=row.currency,
        frequency=row.frequency,
        trial_days=str(row.trial_days),
        trial_without_card=row.trial_without_card,
        allow_cancellation=row.allow_cancellation,
        allow_plan_change=row.allow_plan_change,
        change_to=[str(t) for t in targets],
        downgrade_mode=str(row.downgrade_mode),
        refund_period_days=str(row.refund_period_days),
        allow_pause=row.allow_pause,
        max_pause_periods=str(row.max_pause_periods),
    )


def new_form(session: Session, *, actor) -> PlanForm:
    """An empty plan form in the company's currency."""
    require_staff(actor)
    company = session.get(Company, actor.company_id)
    currency = getattr(company, "currency", "") or "USD"
    return PlanForm(currency=currency if currency in SUPPORTED_CURRENCIES else "USD")


def list_plans(session: Session, *, actor) -> list[PlanRow]:
    """The company's plans, offered ones first, by name."""
    require_staff(actor)
    counts = (
        select(Subscription.plan_id, func.count().label("n"))
        .where(Subscription.company_id == actor.company_id)
        .group_by(col(Subscription.plan_id))
        .subquery()
    )
    rows = session.exec(
        select(SubscriptionPlan, counts.c.n)
        .outerjoin(counts, counts.c.plan_id == SubscriptionPlan.id)
        .where(SubscriptionPlan.company_id == actor.company_id)
        .order_by(
            col(SubscriptionPlan.is_active).desc(),
            col(SubscriptionPlan.name),
            col(SubscriptionPlan.id),
        )
        .limit(MAX_PLANS)
    ).all()
    locale = company_locale(session, actor.company_id)
    return [
        PlanRow(
            id=plan.id,
            name=plan.name,
            price=format_money(plan.price_minor, plan.currency, locale),
            period=FREQUENCY_LABELS.get(plan.frequency, plan.frequency),
            trial=f"{plan.trial_days} days" if plan.trial_days else "",
            active=plan.is_active,
            subscribers=int(n or 0),
        )
        for plan, n in rows
    ]


def plan_options(session: Session, *, actor) -> list[tuple[str, str]]:
    """(id, "name · price · period") of every plan, for change targets and links."""
    require_staff(actor)
    locale = company_locale(session, actor.company_id)
    plans = session.exec(
        select(SubscriptionPlan)
        .where(SubscriptionPlan.company_id == actor.company_id)
        .order_by(col(SubscriptionPlan.name), col(SubscriptionPlan.id))
        .limit(MAX_PLANS)
    ).all()
    return [
        (
            str(p.id),
            f"{p.name} · {format_money(p.price_minor, p.currency, locale)} · "
            f"{FREQUENCY_LABELS.get(p.frequency, p.frequency)}",
        )
        for p in plans
    ]


# -- payment links ------------------------------------------------------------------------------


def create_link(session: Session, *, actor, plan_id: object) -> PaymentLink:
    """A new public sign-up link (/subscribe/<random key>) for an offered plan."""
    require_role(actor, StaffAction.MANAGE_PLANS)
    plan = get_plan(session, actor=actor, plan_id=plan_id)
    if not plan.is_active:
        raise FormErrors({"plan_id": gettext("This plan is not offered; enable it first.")})
    link = PaymentLink(company_id=actor.company_id, plan_id=plan.id, key=new_token())
    session.add(link)
    session.flush()
    record(
        session,
        actor,
        action="payment_link.created",
        entity_type="payment_link",
        entity_id=link.id,
        client_id=None,
        details={"plan_id": plan.id, "plan": plan.name},
    )
    return link


def set_link_active(session: Session, *, actor, link_id: object, active: bool) -> PaymentLink:
    """Disable a link (new sign-ups through it are refused) or enable it again."""
    require_role(actor, StaffAction.MANAGE_PLANS)
    link = own_row(session, PaymentLink, link_id, actor, what="payment link", lock=True)
    link.is_active = bool(active)
    session.add(link)
    session.flush()
    record(
        session,
        actor,
        action="payment_link.enabled" if active else "payment_link.disabled",
        entity_type="payment_link",
        entity_id=link.id,
        client_id=None,
        details={"plan_id": link.plan_id},
    )
    return link


def list_links(session: Session, *, actor) -> list[LinkRow]:
    """The company's payment links, newest first."""
    require_staff(actor)
    rows = session.exec(
        select(PaymentLink, SubscriptionPlan.name)
        .join(SubscriptionPlan, col(SubscriptionPlan.id) == PaymentLink.plan_id)
        .where(PaymentLink.company_id == actor.company_id)
        .order_by(col(PaymentLink.is_active).desc(), col(PaymentLink.id).desc())
        .limit(MAX_LINKS)
    ).all()
    return [
        LinkRow(
            id=link.id,
            plan_id=link.plan_id,
            plan_name=name,
            path=subscribe_url(link.key),
            active=link.is_active,
        )
        for link, name in rows
    ]
