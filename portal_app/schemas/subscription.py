"""Subscription and pre-payment views sent to the UI: formatted strings, never Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class PlanView:
    """A plan as the public sign-up page shows it."""

    name: str
    description: str
    price: str  # "$10.00"
    frequency_label: str  # "Monthly"
    trial_days: int
    company_name: str
    allow_registration: bool
    # Signing up asks for a card: to pay now, or to charge when the trial ends.
    card_at_signup: bool = True


@positional_pickle
@dataclass(frozen=True, slots=True)
class SubscriptionRowView:
    """One row of the Subscriptions tab."""

    id: int
    plan_name: str
    price: str
    frequency_label: str
    status: str
    status_label: str
    current_period: str
    next_charge: str
    # What the badge is coloured by ("ending" or the status): the label is translated.
    status_key: str = ""


@positional_pickle
@dataclass(frozen=True, slots=True)
class SubscriptionInvoiceView:
    """An invoice that billed the subscription."""

    invoice_id: int
    number: str
    date: str
    amount: str
    balance: str
    status_label: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class PauseOptionView:
    """A pause the client may choose: how many periods, and what it does in words."""

    periods: int
    label: str  # "2 periods"
    summary: str  # "No charge on Mar 3, 2026 and Apr 3, 2026; your subscription resumes on ..."


@positional_pickle
@dataclass(frozen=True, slots=True)
class ChangeOptionView:
    """A plan the subscription may change to."""

    plan_id: int
    name: str
    price: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """One subscription with what its plan allows."""

    id: int
    plan_name: str
    plan_description: str
    price: str
    frequency_label: str
    status: str
    status_label: str
    current_period: str
    next_charge: str
    next_charge_amount: str
    trial_ends: str
    cancel_at: str
    cancel_reason: str
    pending_plan_name: str
    can_change: bool
    can_cancel: bool
    cancel_is_request: bool
    refund_note: str
    invoices: list[SubscriptionInvoiceView] = field(default_factory=list)
    change_options: list[ChangeOptionView] = field(default_factory=list)
    # Pausing (services/subscriptions/pausing.py): the pauses the client may choose ([] when
    # the plan or the subscription does not allow one), the day a client's pause ends, and
    # whether the client may resume now and what that does.
    pause_options: list[PauseOptionView] = field(default_factory=list)
    paused_until: str = ""
    can_resume: bool = False
    resume_summary: str = ""
    # What the badge is coloured by ("ending" or the status): the label is translated.
    status_key: str = ""


@positional_pickle
@dataclass(frozen=True, slots=True)
class ChangePreview:
    """What changing to another plan does now, before the client confirms."""

    target_plan_id: int
    target_name: str
    kind: str  # upgrade | downgrade | switch
    effective: str  # now | period_end
    remaining_days: int
    period_days: int
    credit: str  # unused part of the current plan
    charge: str  # the new plan for the same days
    net: str  # what is charged (upgrade) or credited (downgrade) now, formatted, never negative
    net_minor: int  # signed: > 0 charged now, < 0 credited
    summary: str


@positional_pickle
@dataclass(frozen=True, slots=True)
class PrepaymentLimits:
    """The company's pre-payment rules, for the form."""

    currency: str
    minimum: str
    maximum: str
    decimals: int
