"""Many hands on one client's money at the same moment, on PostgreSQL against localstripe.

Threads line up on a Barrier and then, all at once, settle credit-funded checkouts of
different invoices, pay by card, apply unapplied money, refund, mark paid and deliver the
same webhook several times. Each thread uses sessions of its own (the pages' `tx`), every join
is bounded. Afterwards the ledger rules hold (read back from localstripe too) and localstripe
has exactly as many succeeded PaymentIntents for the client's customer as we have card
payments: nothing charged twice, nothing charged and not recorded.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.models import (
    Checkout,
    Client,
    Credit,
    Invoice,
    InvoiceLock,
    Payment,
    PaymentAllocation,
)
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import prepayments as pre
from portal_app.services.payments.ledger import RECEIVED_STATUSES
from portal_app.services.payments.staff_payments import (
    Application,
    apply_unapplied,
    cancel_invoice,
    mark_paid,
    refund_card_payment,
)
from tests.conftest import CARD_3DS, CARD_OK, Factory
from tests.helpers.ledger import assert_ledger_holds
from tests.helpers.staff_docs import staff_actor
from tests.services.payments import test_money_state_machine as machine
from tests.services.payments.test_money_state_machine import (
    StripeLike,
    deliver,
    stripe_event,
    stripe_get,
    tx_factory,
)

pg_engine = machine.pg_engine  # the fixture: a PostgreSQL schema of this module's own

JOIN_SECONDS = 90


def race(jobs: dict[str, Callable[[], object]]) -> dict[str, tuple[str, object]]:
    """Run every job in its own thread, all released at the same moment; bounded in time.

    Returns name -> ("ok", result) or ("refused", message) for a ValidationError; any other
    exception fails the test with its traceback.
    """
    barrier = threading.Barrier(len(jobs))
    results: dict[str, tuple[str, object]] = {}

    def run(name: str, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=JOIN_SECONDS)
            results[name] = ("ok", job())
        except ValidationError as exc:
            results[name] = ("refused", exc.message)
        except BaseException:  # noqa: BLE001 - reported below with its traceback
            results[name] = ("error", traceback.format_exc())

    threads = [
        threading.Thread(target=run, args=(name, job), daemon=True, name=name)
        for name, job in jobs.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"still running after {JOIN_SECONDS}s: {stuck}"
    errors = {name: r[1] for name, r in results.items() if r[0] == "error"}
    assert not errors, "\n".join(f"{name}:\n{tb}" for name, tb in errors.items())
    return results


def succeeded_intents(browser_card, customer: str) -> list:
    """The customer's succeeded PaymentIntents at localstripe (it cannot filter by customer:
    page through every intent and keep this customer's)."""
    intents = browser_card.client.v1.payment_intents.list(params={"limit": 100})
    return [
        pi
        for pi in intents.auto_paging_iter()
        if pi.customer == customer and pi.status == "succeeded"
    ]


def card_payments(engine, client_id: int) -> list[Payment]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(Payment).where(
                    Payment.client_id == client_id,
                    Payment.method == "card",
                    col(Payment.status).in_(RECEIVED_STATUSES),
                )
            ).all()
        )


def credit_used(engine, credit_id: int) -> int:
    with Session(engine) as s:
        return int(
            s.exec(
                select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0)).where(
                    PaymentAllocation.credit_id == credit_id
                )
            ).one()
        )


def check_books(engine, gateway, browser_card, *, company_id, client_id, customer) -> None:
    """The ledger rules, and one succeeded PaymentIntent per card payment we recorded."""
    with Session(engine) as s:
        assert_ledger_holds(s, company_id=company_id, client_id=client_id, gateway=gateway)
    at_stripe = sorted(pi.id for pi in succeeded_intents(browser_card, customer))
    ours = sorted(p.gateway_reference for p in card_payments(engine, client_id))
    assert at_stripe == ours, f"succeeded at Stripe {at_stripe}, card payments {ours}"


class Shop:
    """One company, one paying client with a saved card, and a staff owner; committed."""

    def __init__(self, engine, gateway, browser_card):
        self.engine = engine
        self.gateway = gateway
        self.tx = tx_factory(engine)
        with self.tx() as s:
            make = Factory(s)
            company = make.company()
            client = make.client(company)
            self.company_id, self.client_id = company.id, client.id
            self.actor = make.actor(make.contact(client, password=None))
            self.staff = staff_actor(s, company, role="owner")
        with self.tx() as s:
            self.customer = co.customer_ref_for(s, actor=self.actor, gateway=gateway)
        self.card = browser_card(self.customer, CARD_OK)
        self.browser_card = browser_card

    def invoice(self, amount: int) -> int:
        with self.tx() as s:
            client = s.get(Client, self.client_id)
            return Factory(s).invoice(client, lines=[LineInput("Work", 1000, amount)]).id

    def credit(self, amount: int) -> int:
        with self.tx() as s:
            client = s.get(Client, self.client_id)
            return Factory(s).credit(client, amount_minor=amount).id

    def start(self, invoice_ids, **kw) -> co.StartedCheckout:
        with self.tx() as s:
            return co.start_checkout(
                s, actor=self.actor, request=co.CheckoutRequest(list(invoice_ids), **kw)
            )

    def pay(self, checkout_id: int, card: str | None = None) -> co.ChargeOutcome:
        return flow.pay_with_card(
            self.tx,
            actor=self.actor,
            gateway=self.gateway,
            checkout_id=checkout_id,
            method_ref=card or self.card,
        )

    def paid_by_card(self, invoice_id: int) -> Payment:
        outcome = self.pay(self.start([invoice_id]).checkout_id)
        assert outcome.status == "succeeded", outcome
        with Session(self.engine) as s:
            return s.get(Payment, outcome.payment_id)

    def prepaid(self, amount: int) -> Payment:
        with self.tx() as s:
            request = pre.check_request(s, actor=self.actor, amount=f"{amount // 100}.00")
            checkout_id = pre.start_prepayment(s, actor=self.actor, request=request)
        outcome = self.pay(checkout_id)
        assert outcome.status == "succeeded", outcome
        with Session(self.engine) as s:
            return s.get(Payment, outcome.payment_id)

    def books(self) -> None:
        check_books(
            self.engine,
            self.gateway,
            self.browser_card,
            company_id=self.company_id,
            client_id=self.client_id,
            customer=self.customer,
        )


def test_everything_at_once_on_one_client(pg_engine, gateway, browser_card, localstripe_url):
    stripe = StripeLike(gateway)
    shop = Shop(pg_engine, stripe, browser_card)
    credit_id = shop.credit(60_00)
    credit_invoices = [shop.invoice(100_00) for _ in range(3)]
    card_invoice = shop.invoice(50_00)
    contested = shop.invoice(70_00)
    apply_target = shop.invoice(80_00)
    refund_full = shop.paid_by_card(shop.invoice(45_00))
    refund_part = shop.paid_by_card(shop.invoice(90_00))
    prepayment = shop.prepaid(200_00)
    shop.books()
    # A checkout charged at Stripe whose browser was closed: Stripe's webhook (delivered
    # three times at once, twice under one event id) is what records it.
    closed = shop.start([shop.invoice(30_00)])
    with shop.tx() as s:
        claimed = co.claim_for_charge(
            s, actor=shop.actor, checkout_id=closed.checkout_id, method_ref=shop.card
        )
        s.expunge(claimed)
    intent, _ = co.charge(gateway=stripe, checkout=claimed, customer_ref=shop.customer)
    assert intent.succeeded
    obj = stripe_get(localstripe_url, f"payment_intents/{intent.intent_ref}")
    _, event = stripe_event("payment_intent.succeeded", obj)
    _, other_event = stripe_event("payment_intent.succeeded", obj)

    def credit_checkout(invoice_id: int) -> Callable[[], str]:
        def job() -> str:
            try:
                started = shop.start([invoice_id], apply_credit=True, expected_credit_minor=60_00)
            except ValidationError as exc:
                assert exc.field == "credit", exc.message
                # The page shows the new credit figure; the client presses Pay again.
                started = shop.start([invoice_id], apply_credit=True)
            assert started.card_minor > 0
            return shop.pay(started.checkout_id).status

        return job

    def staff_apply(invoice_id: int, amount: str) -> Callable[[], int]:
        def job() -> int:
            with shop.tx() as s:
                return apply_unapplied(
                    s,
                    actor=shop.staff,
                    payment_id=prepayment.id,
                    applications=[Application(invoice_id, amount)],
                ).applied_minor

        return job

    def staff_refund(payment: Payment, amount: str) -> Callable[[], int]:
        def job() -> int:
            return refund_card_payment(
                shop.tx, actor=shop.staff, gateway=stripe, payment_id=payment.id, amount=amount
            ).refunded_minor

        return job

    def webhook(payload: bytes) -> Callable[[], str]:
        def job() -> str:
            status, error = deliver(shop.tx, stripe, payload)
            assert status == "processed", error
            return status

        return job

    def mark(invoice_id: int) -> Callable[[], int]:
        def job() -> int:
            with shop.tx() as s:
                return mark_paid(s, actor=shop.staff, invoice_id=invoice_id).id

        return job

    results = race(
        {
            **{f"credit-{i}": credit_checkout(inv) for i, inv in enumerate(credit_invoices)},
            "card": lambda: shop.pay(shop.start([card_invoice]).checkout_id).status,
            "card-contested": lambda: shop.pay(shop.start([contested]).checkout_id).status,
            "mark-contested": mark(contested),
            "apply-contested": staff_apply(contested, ""),
            "apply": staff_apply(apply_target, "80.00"),
            "refund-prepayment": staff_refund(prepayment, "100.00"),
            "refund-full": staff_refund(refund_full, ""),
            "refund-part-1": staff_refund(refund_part, "30.00"),
            "refund-part-2": staff_refund(refund_part, "30.00"),
            "webhook": webhook(event),
            "webhook-again": webhook(event),
            "webhook-other-id": webhook(other_event),
        }
    )

    for i in range(3):
        assert results[f"credit-{i}"] == ("ok", "succeeded"), results
    assert results["card"] == ("ok", "succeeded"), results
    assert results["refund-full"] == ("ok", 45_00), results
    # The same refund asked twice: one refund at Stripe when both asked before either was
    # recorded (same idempotency key), two when the second click came after the first.
    assert results["refund-part-1"][0] == results["refund-part-2"][0] == "ok", results
    # Somebody paid the contested invoice; a card checkout that started is never refused
    # its card step (if staff got there first, its money stays unapplied on the payment).
    hands = ("card-contested", "mark-contested", "apply-contested")
    assert any(results[k][0] == "ok" for k in hands), results
    assert results["card-contested"] in (("ok", "succeeded"),) or (
        results["card-contested"][0] == "refused"
    ), results
    # Credit smaller than each checkout: used once, by one of them, never more.
    assert credit_used(pg_engine, credit_id) == 60_00
    with Session(pg_engine) as s:
        assert s.get(Credit, credit_id).balance_minor == 0
        closed_payments = s.exec(
            select(Payment).where(Payment.gateway_reference == intent.intent_ref)
        ).all()
        assert len(closed_payments) == 1 and closed_payments[0].status == "completed"
        part = s.get(Payment, refund_part.id)
        assert part.refunded_minor in (30_00, 60_00)
        prepaid = s.get(Payment, prepayment.id)
        assert prepaid.applied_minor + prepaid.refunded_minor <= prepaid.amount_minor
    assert gateway.retrieve_payment(refund_part.gateway_reference).refunded_minor == (
        part.refunded_minor
    )
    shop.books()


def test_three_credit_checkouts_settling_at_once_spend_the_credit_once(
    pg_engine, gateway, browser_card
):
    """The issue: three tabs show the same credit (smaller than each invoice), all press Pay
    at once, and all settle at the same moment. Credit is spent once, never more than it had;
    the tabs told that the credit moved pay the rest by card."""
    stripe = StripeLike(gateway)
    shop = Shop(pg_engine, stripe, browser_card)
    credit_id = shop.credit(40_00)
    invoices = [shop.invoice(amount) for amount in (100_00, 75_00, 120_00)]
    started: dict[int, co.StartedCheckout] = {}
    pressed = threading.Barrier(len(invoices))

    def tab(invoice_id: int) -> Callable[[], co.ChargeOutcome]:
        def job() -> co.ChargeOutcome:
            try:
                begun = shop.start([invoice_id], apply_credit=True, expected_credit_minor=40_00)
            except ValidationError as exc:
                assert exc.field == "credit", exc.message
                begun = shop.start([invoice_id], apply_credit=True)
            started[invoice_id] = begun
            pressed.wait(timeout=JOIN_SECONDS)  # every card step and settle at the same moment
            return shop.pay(begun.checkout_id)

        return job

    results = race({f"tab-{inv}": tab(inv) for inv in invoices})
    assert all(r[0] == "ok" and r[1].status == "succeeded" for r in results.values()), results
    assert sum(s.credit_minor for s in started.values()) == 40_00
    assert credit_used(pg_engine, credit_id) == 40_00
    with Session(pg_engine) as s:
        assert s.get(Credit, credit_id).balance_minor == 0
        for invoice_id, begun in started.items():
            invoice = s.get(Invoice, invoice_id)
            assert invoice.status == "paid" and invoice.paid_to_date_minor == begun.total_minor
    shop.books()


def test_three_given_up_credit_holds_settling_at_once_spend_the_credit_once(
    pg_engine, gateway, browser_card, localstripe_url
):
    """Worse: three 3-D Secure checkouts each planned the same credit, and each had its hold
    given back while the client was away. All three pass 3-D Secure and come back at the same
    moment, so every settle takes credit afresh: only what is left may be used, once."""
    stripe = StripeLike(gateway)
    shop = Shop(pg_engine, stripe, browser_card)
    credit_id = shop.credit(40_00)
    card_3ds = browser_card(shop.customer, CARD_3DS)
    invoices = [shop.invoice(amount) for amount in (100_00, 75_00, 120_00)]
    waiting: list[tuple[int, str]] = []
    for invoice_id in invoices:
        begun = shop.start([invoice_id], apply_credit=True)
        assert begun.credit_minor == 40_00  # the previous one's hold went back (see below)
        outcome = shop.pay(begun.checkout_id, card_3ds)
        assert outcome.status == "requires_action"
        waiting.append((begun.checkout_id, outcome.client_secret))
        _left_alone(shop, begun.checkout_id)
        # The next checkout that asks for credit gives this abandoned hold back.
    spare = shop.start([shop.invoice(10_00)], apply_credit=True)
    assert spare.credit_minor == 10_00
    with shop.tx() as s:  # ...and that tab is closed too: all credit is back on the note
        assert (
            co.reusable_checkout(
                s, actor=shop.actor, checkout_id=spare.checkout_id, request=co.CheckoutRequest([])
            )
            is None
        )
    with Session(pg_engine) as s:
        assert s.get(Credit, credit_id).balance_minor == 40_00
    for _checkout_id, secret in waiting:
        response = httpx.post(
            f"{localstripe_url}/v1/payment_intents/{secret.split('_secret_')[0]}/_authenticate",
            params={"success": "true"},
            json={"key": "pk_test_portal", "client_secret": secret},
        )
        assert response.status_code == 200, response.text

    def back(checkout_id: int) -> Callable[[], str]:
        return lambda: (
            flow.confirm_after_action(
                shop.tx, actor=shop.actor, gateway=stripe, checkout_id=checkout_id
            ).status
        )

    results = race({f"back-{cid}": back(cid) for cid, _ in waiting})
    assert all(r == ("ok", "succeeded") for r in results.values()), results
    assert credit_used(pg_engine, credit_id) == 40_00
    with Session(pg_engine) as s:
        assert s.get(Credit, credit_id).balance_minor == 0
    shop.books()


def _left_alone(shop: Shop, checkout_id: int) -> None:
    """The client walked away for longer than a lock lasts."""
    past = utcnow() - timedelta(minutes=co.LOCK_MINUTES + 5)
    with shop.tx() as s:
        s.exec(
            update(InvoiceLock)
            .where(InvoiceLock.checkout_id == checkout_id)
            .values(expires_at=past)
        )
        s.exec(update(Checkout).where(Checkout.id == checkout_id).values(updated_at=past))


@pytest.mark.parametrize("staff_action", ["mark_paid", "apply_unapplied", "cancel_invoice"])
def test_staff_settling_an_invoice_while_its_checkout_starts_takes_the_money_once(
    pg_engine, gateway, browser_card, staff_action
):
    """Staff record a transfer, apply a pre-payment or cancel an invoice (their transaction
    under way) while the client presses Pay on it: the client's checkout must then see the
    invoice settled, not charge the card for it again."""
    stripe = StripeLike(gateway)
    shop = Shop(pg_engine, stripe, browser_card)
    invoice_id = shop.invoice(70_00)
    prepayment = shop.prepaid(100_00) if staff_action == "apply_unapplied" else None
    client: dict[str, object] = {}

    def press_pay() -> None:
        try:
            client["started"] = shop.start([invoice_id])
        except ValidationError as exc:
            client["refused"] = exc.message

    staff_tx = Session(pg_engine, expire_on_commit=False)
    pressing = threading.Thread(target=press_pay, daemon=True)
    try:
        if staff_action == "mark_paid":
            mark_paid(staff_tx, actor=shop.staff, invoice_id=invoice_id)
        elif staff_action == "apply_unapplied":
            apply_unapplied(
                staff_tx,
                actor=shop.staff,
                payment_id=prepayment.id,
                applications=[Application(invoice_id, "")],
            )
        else:
            cancel_invoice(staff_tx, actor=shop.staff, invoice_id=invoice_id)
        # The client presses Pay now; staff commit a moment later.
        pressing.start()
        pressing.join(timeout=3)
        staff_tx.commit()
    finally:
        staff_tx.close()
    pressing.join(timeout=JOIN_SECONDS)
    assert not pressing.is_alive() and client
    started = client.get("started")
    charged = started is not None and shop.pay(started.checkout_id).status == "succeeded"
    shop.books()
    assert not charged, (
        f"staff {staff_action} went through, and the card was charged for the invoice too"
    )
