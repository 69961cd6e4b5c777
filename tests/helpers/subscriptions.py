"""Plans, payment links and saved cards for the subscription and pre-payment tests."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from sqlmodel import Session

from portal_app.models import Company, PaymentLink, PlanChangeOption, SubscriptionPlan
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow


def plan(session: Session, company: Company, *, name: str = "Basic", **kw) -> SubscriptionPlan:
    row = SubscriptionPlan(
        company_id=company.id,
        name=name,
        price_minor=kw.pop("price_minor", 10_00),
        currency=kw.pop("currency", "USD"),
        frequency=kw.pop("frequency", "monthly"),
        **kw,
    )
    session.add(row)
    session.flush()
    return row


def allow_change(session: Session, *pairs: tuple[SubscriptionPlan, SubscriptionPlan]) -> None:
    for source, target in pairs:
        session.add(PlanChangeOption(plan_id=source.id, target_plan_id=target.id))
    session.flush()


def link(session: Session, plan_row: SubscriptionPlan) -> str:
    key = uuid.uuid4().hex
    session.add(PaymentLink(company_id=plan_row.company_id, plan_id=plan_row.id, key=key))
    session.flush()
    return key


def tx_for(session: Session):
    """A `tx` factory on the test's own session (flushes instead of committing)."""

    @contextmanager
    def scope():
        yield session
        session.flush()

    return scope


def saved_card(session: Session, actor: Actor, gateway, browser_card, number: str) -> str:
    """Attach a card at localstripe and keep it as the client's (default when first)."""
    tx = tx_for(session)
    with tx() as s:
        customer = co.customer_ref_for(s, actor=actor, gateway=gateway)
    method_ref = browser_card(customer, number)
    with tx() as s:
        flow.store_card(
            s, actor=actor, card=gateway.card_details(method_ref), gateway_name="stripe"
        )
    return method_ref
