"""Every way money moves, interleaved by hypothesis, with the ledger checked after each step.

A `RuleBasedStateMachine` on PostgreSQL against a real localstripe. Each example is a fresh
company with one paying client (several invoices and credit notes) and a second client whose
books must stay exactly as they were. The rules are what clients, staff and Stripe do, in any
order: checkouts opened in several tabs with and without credit, cards that pay, are declined
or ask for 3-D Secure (finished, failed or abandoned), a gateway that times out (before or after
it charged) and the retry through `reusable_checkout`, webhooks delivered late, twice and out
of order, credit-only checkouts replaced by a newer tab and then settled, staff marking paid,
pre-payments applied by staff, staff refunds, and subscriptions signed up, changed and
cancelled. After every step `assert_ledger_holds` (with the gateway) holds for both clients;
at the end of each example every PaymentIntent that took money has exactly one payment.

CI runs a few short examples; PORTAL_MONEY_EXAMPLES and PORTAL_MONEY_STEPS run it long:
    PORTAL_MONEY_EXAMPLES=200 PORTAL_MONEY_STEPS=30 PORTAL_ENV=test \
        python -m pytest tests/services/payments/test_money_state_machine.py -q -s \
        -p no:cacheprovider
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text, update
from sqlmodel import Session, SQLModel, col, select

from portal_app.core.db import make_engine, utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.gateways.base import CardDeclinedError, GatewayError
from portal_app.gateways.stripe_gateway import UNREACHABLE, StripeGateway
from portal_app.models import (
    Checkout,
    Client,
    Credit,
    Invoice,
    InvoiceLock,
    Payment,
    PaymentAllocation,
    Subscription,
)
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments import prepayments as pre
from portal_app.services.payments import webhooks as wh
from portal_app.services.payments.ledger import RECEIVED_STATUSES
from portal_app.services.payments.staff_payments import (
    Application,
    apply_unapplied,
    mark_paid,
    refund_card_payment,
    refundable_minor,
)
from portal_app.services.subscriptions import cancel as sub_cancel
from portal_app.services.subscriptions import changes as sub_changes
from portal_app.services.subscriptions import signup
from tests.conftest import (
    CARD_3DS,
    CARD_DECLINED_ON_CHARGE,
    CARD_OK,
    PG_URL,
    WEBHOOK_SECRET,
    Factory,
    _free_port,
    make_engine_with_search_path,
)
from tests.helpers.ledger import assert_ledger_holds
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import allow_change, link, plan

EXAMPLES = int(os.environ.get("PORTAL_MONEY_EXAMPLES", "6"))
STEPS = int(os.environ.get("PORTAL_MONEY_STEPS", "20"))
CARDS = {"ok": CARD_OK, "declined": CARD_DECLINED_ON_CHARGE, "3ds": CARD_3DS}
# What the first charge of a card answers.
FIRST_ANSWER = {"ok": "succeeded", "declined": "failed", "3ds": "requires_action"}
INVOICE_AMOUNTS = (40_00, 75_00, 120_00, 18_50, 240_00)
CREDIT_AMOUNTS = (25_00, 60_00)
INDEX = st.integers(min_value=0, max_value=1_000)


# -- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_engine():
    """A PostgreSQL schema of its own for this module (the money rules need real concurrency
    and row locks; SQLite is covered by the other tests)."""
    schema = f"money_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine_with_search_path(schema)
    SQLModel.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def tx_factory(engine):
    """The pages' transaction scope: a session of its own that commits when the block ends."""

    @contextmanager
    def tx():
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    return tx


# -- Stripe as Stripe behaves -------------------------------------------------------------------


class StripeLike:
    """Our StripeGateway against localstripe, plus two things real Stripe does that localstripe
    does not: an idempotency key replays the first answer (the PaymentIntent, or the card
    error) instead of charging again, and a refund above what is left on the charge is refused.
    Every PaymentIntent created is remembered (ref -> metadata), so tests can read them back.
    """

    name = "stripe"

    def __init__(self, inner: StripeGateway):
        self._inner = inner
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._answers: dict[str, tuple[dict, object]] = {}
        self._refund_lock = threading.Lock()
        self.intents: dict[str, dict[str, str]] = {}
        self.by_checkout: dict[str, list[str]] = {}

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _replay(self, key: str, params: dict):
        sent, answer = self._answers[key]
        # Stripe refuses a key reused with other parameters; our retries must send the same.
        assert sent == params, f"idempotency key {key} reused with {params}, first {sent}"
        if isinstance(answer, Exception):
            raise answer
        return answer

    def create_payment(self, **params):
        key = params["idempotency_key"]
        with self._key_lock(key):
            if key in self._answers:
                return self._replay(key, params)
            try:
                intent = self._inner.create_payment(**params)
            except CardDeclinedError as exc:
                self._answers[key] = (params, exc)
                raise
            self._answers[key] = (params, intent)
            with self._lock:
                self.intents[intent.intent_ref] = dict(params["metadata"])
                checkout_id = params["metadata"].get("checkout_id", "")
                self.by_checkout.setdefault(checkout_id, []).append(intent.intent_ref)
            return intent

    def refund(self, *, intent_ref: str, amount_minor: int, idempotency_key: str) -> str:
        params = {"intent_ref": intent_ref, "amount_minor": amount_minor}
        with self._key_lock(idempotency_key):
            if idempotency_key in self._answers:
                return self._replay(idempotency_key, params)
            with self._refund_lock:
                now = self._inner.retrieve_payment(intent_ref)
                if now.refunded_minor + amount_minor > now.amount_minor:
                    answer: object = GatewayError(
                        f"Refund amount ({amount_minor}) is greater than unrefunded amount on "
                        f"charge ({now.amount_minor - now.refunded_minor})",
                        code="amount_too_large",
                    )
                else:
                    answer = self._inner.refund(
                        intent_ref=intent_ref,
                        amount_minor=amount_minor,
                        idempotency_key=idempotency_key,
                    )
            self._answers[idempotency_key] = (params, answer)
            if isinstance(answer, Exception):
                raise answer
            return answer

    def intents_of(self, client_id: int) -> list[str]:
        with self._lock:
            return [r for r, m in self.intents.items() if m.get("client_id") == str(client_id)]


class AnswerLost:
    """The gateway took the request (and perhaps the money) but the answer never came back."""

    name = "stripe"

    def __init__(self, inner: StripeLike):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def create_payment(self, **params):
        with suppress(CardDeclinedError):
            self._inner.create_payment(**params)
        raise GatewayError(UNREACHABLE, code="unreachable")


def unreachable_gateway() -> StripeGateway:
    """Our StripeGateway pointed at a closed port: nothing reaches Stripe."""
    return StripeGateway(
        secret_key="sk_test_portal",
        publishable_key="pk_test_portal",
        webhook_secret=WEBHOOK_SECRET,
        api_base=f"http://127.0.0.1:{_free_port()}",
        js_url="",
    )


def stripe_get(localstripe_url: str, path: str) -> dict:
    """An object exactly as the Stripe API returns it (raw JSON from localstripe)."""
    response = httpx.get(
        f"{localstripe_url}/v1/{path}", headers={"Authorization": "Bearer sk_test_portal"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def stripe_event(event_type: str, obj: dict) -> tuple[str, bytes]:
    """A Stripe event around `obj`: (event id, payload). Signed when delivered."""
    event_id = f"evt_{uuid.uuid4().hex[:24]}"
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2017-08-15",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }
    return event_id, json.dumps(event, sort_keys=True).encode()


def stripe_signature(payload: bytes) -> str:
    """Stripe's scheme: t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<payload>")>."""
    ts = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.".encode() + payload, hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


def deliver(tx, gateway, payload: bytes):
    """One webhook delivery, in its own transaction as the API route does."""
    with tx() as session:
        row = wh.handle_stripe_webhook(
            session, gateway=gateway, payload=payload, signature=stripe_signature(payload)
        )
        return row.status, row.error


def major(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


# -- the machine --------------------------------------------------------------------------------


@dataclass
class Env:
    engine: object
    gateway: StripeLike
    browser_card: object
    localstripe_url: str
    down: StripeGateway
    steps: Counter = field(default_factory=Counter)
    examples: int = 0


@dataclass
class Tab:
    """A checkout page open in one browser tab."""

    checkout_id: int
    request: co.CheckoutRequest
    credit_minor: int
    card_minor: int
    card: str | None = None  # the card of its first charge attempt
    client_secret: str = ""  # 3-D Secure waiting in the browser
    authenticated: bool = False
    timed_out: bool = False
    aged: bool = False  # left alone longer than a lock lasts


class MoneyMachine(RuleBasedStateMachine):
    ENV: Env

    def __init__(self):
        super().__init__()
        env = self.ENV
        env.examples += 1
        self.env = env
        self.gw = env.gateway
        self.tx = tx_factory(env.engine)
        self.tabs: list[Tab] = []
        self.events: list[tuple[str, str, bytes]] = []  # (kind, intent ref, payload)
        self.seen_credit = 0
        self.subscription_id: int | None = None  # the live one, if any
        self.subscription_ending = False
        self.plans: dict[str, int] = {}
        self.today = date.today()
        with self.tx() as s:
            make = Factory(s)
            company = make.company(
                allow_under_payment=True,
                minimum_under_payment_minor=1_00,
                allow_over_payment=True,
                prepayment_max_minor=500_00,
            )
            self.company_id = company.id
            client = make.client(company)
            self.client_id = client.id
            self.actor = make.actor(make.contact(client, password=None))
            for amount in INVOICE_AMOUNTS:
                make.invoice(client, lines=[LineInput("Work", 1000, amount)])
            for amount in CREDIT_AMOUNTS:
                make.credit(client, amount_minor=amount)
            other = make.client(company)
            self.other_id = other.id
            other_actor = make.actor(make.contact(other, password=None))
            other_open = make.invoice(other).id
            self.other_invoice = other_open
            other_paid = make.invoice(other, lines=[LineInput("Small", 1000, 60_00)]).id
            make.credit(other, amount_minor=50_00)
            self.staff = staff_actor(s, company, role="owner")
            basic = plan(s, company, name="Basic", price_minor=30_00, refund_period_days=14)
            pro = plan(s, company, name="Pro", price_minor=90_00, downgrade_mode="credit_now")
            allow_change(s, (basic, pro), (pro, basic))
            self.plans = {"basic": basic.id, "pro": pro.id}
            self.link = link(s, basic)
        with self.tx() as s:
            self.customer = co.customer_ref_for(s, actor=self.actor, gateway=self.gw)
            other_customer = co.customer_ref_for(s, actor=other_actor, gateway=self.gw)
        self.cards = {k: env.browser_card(self.customer, n) for k, n in CARDS.items()}
        with self.tx() as s:
            flow.store_card(
                s,
                actor=self.actor,
                card=self.gw.card_details(self.cards["ok"]),
                gateway_name="stripe",
            )
        # The other client pays one invoice with its credit and a card; then nothing of its
        # changes again, whatever happens to the first client.
        with self.tx() as s:
            self.other_checkout = co.start_checkout(
                s, actor=other_actor, request=co.CheckoutRequest([other_open])
            ).checkout_id
            started = co.start_checkout(
                s,
                actor=other_actor,
                request=co.CheckoutRequest([other_paid], apply_credit=True),
            )
        outcome = flow.pay_with_card(
            self.tx,
            actor=other_actor,
            gateway=self.gw,
            checkout_id=started.checkout_id,
            method_ref=env.browser_card(other_customer, CARD_OK),
        )
        assert outcome.status == "succeeded", outcome
        self.other_books = self._books(self.other_id)
        self.clean = True

    # -- reading ---------------------------------------------------------------------------------

    def _step(self, name: str) -> None:
        self.env.steps[name] += 1
        self.clean = False  # until the books are checked after this step

    def _books(self, client_id: int) -> tuple:
        """Everything money-related of one client, to compare before and after."""
        with Session(self.env.engine) as s:
            invoices = s.exec(
                select(
                    Invoice.id, Invoice.status, Invoice.balance_minor, Invoice.paid_to_date_minor
                )
                .where(Invoice.client_id == client_id)
                .order_by(Invoice.id)
            ).all()
            credits = s.exec(
                select(Credit.id, Credit.status, Credit.balance_minor)
                .where(Credit.client_id == client_id)
                .order_by(Credit.id)
            ).all()
            payments = s.exec(
                select(
                    Payment.id,
                    Payment.status,
                    Payment.amount_minor,
                    Payment.applied_minor,
                    Payment.refunded_minor,
                )
                .where(Payment.client_id == client_id)
                .order_by(Payment.id)
            ).all()
            allocations = s.exec(
                select(PaymentAllocation.id, PaymentAllocation.refunded_minor)
                .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
                .where(Invoice.client_id == client_id)
                .order_by(PaymentAllocation.id)
            ).all()
        return (
            [tuple(r) for r in invoices],
            [tuple(r) for r in credits],
            [tuple(r) for r in payments],
            [tuple(r) for r in allocations],
        )

    def _invoices(self) -> list[Invoice]:
        with Session(self.env.engine) as s:
            return list(
                s.exec(
                    select(Invoice).where(Invoice.client_id == self.client_id).order_by(Invoice.id)
                ).all()
            )

    def _checkout(self, checkout_id: int) -> Checkout:
        with Session(self.env.engine) as s:
            return s.get(Checkout, checkout_id)

    def _live_lock(self, invoice_id: int) -> bool:
        with Session(self.env.engine) as s:
            lock = s.get(InvoiceLock, invoice_id)
            return lock is not None and lock.expires_at > utcnow()

    def _usable_credit(self) -> int:
        with Session(self.env.engine) as s:
            return sum(c.balance_minor for c in co.usable_credits(s, self.actor, "USD"))

    def _received_payments(self, *, card_only: bool = False) -> list[Payment]:
        with Session(self.env.engine) as s:
            query = select(Payment).where(
                Payment.client_id == self.client_id,
                col(Payment.status).in_(RECEIVED_STATUSES),
            )
            if card_only:
                query = query.where(Payment.method == "card")
            return list(s.exec(query.order_by(Payment.id)).all())

    def _balances(self, invoice_ids) -> dict[int, int]:
        with Session(self.env.engine) as s:
            return {i: s.get(Invoice, i).balance_minor for i in invoice_ids}

    def _expect_paid(self, tab: Tab, before: dict[int, int]) -> None:
        """A tab nobody could touch while it was open pays each invoice what it said."""
        if tab.aged:
            return  # its lock lapsed: others may have paid its invoices, its credit went back
        after = self._balances(before)
        for line in json.loads(self._checkout(tab.checkout_id).lines_json):
            invoice_id, amount = int(line["invoice_id"]), int(line["amount_minor"])
            assert after[invoice_id] == before[invoice_id] - min(amount, before[invoice_id]), (
                f"invoice {invoice_id}: balance {before[invoice_id]} -> {after[invoice_id]} "
                f"after paying {amount}"
            )

    # -- webhooks Stripe will send ----------------------------------------------------------------

    def _stripe_says(self, intent_ref: str) -> None:
        """Queue the events Stripe sends about this intent as it is now (late delivery)."""
        obj = stripe_get(self.env.localstripe_url, f"payment_intents/{intent_ref}")
        if obj["status"] == "succeeded":
            processing = json.loads(json.dumps(obj))
            processing["status"] = "processing"  # as if reported while the bank decided
            self.events.append(
                (
                    "payment_intent.processing",
                    intent_ref,
                    stripe_event("payment_intent.processing", processing)[1],
                )
            )
            self.events.append(
                (
                    "payment_intent.succeeded",
                    intent_ref,
                    stripe_event("payment_intent.succeeded", obj)[1],
                )
            )
        elif obj["status"] == "requires_payment_method":
            self.events.append(
                (
                    "payment_intent.payment_failed",
                    intent_ref,
                    stripe_event("payment_intent.payment_failed", obj)[1],
                )
            )

    def _stripe_refunded(self, intent_ref: str) -> None:
        obj = stripe_get(self.env.localstripe_url, f"payment_intents/{intent_ref}")
        charge = stripe_get(self.env.localstripe_url, f"charges/{obj['latest_charge']['id']}")
        self.events.append(
            ("charge.refunded", intent_ref, stripe_event("charge.refunded", charge)[1])
        )

    def _intents_of(self, checkout_id: int) -> list[str]:
        return list(self.gw.by_checkout.get(str(checkout_id), []))

    # -- client: checkouts -----------------------------------------------------------------------

    @rule(
        picks=st.lists(INDEX, min_size=1, max_size=3),
        apply_credit=st.booleans(),
        amount=st.sampled_from(["due", "due", "under", "over"]),
        stale_page=st.booleans(),
        any_invoice=st.booleans(),
    )
    def open_tab(
        self, picks, apply_credit, amount, stale_page, any_invoice, pay_now=None, free=False
    ):
        """A checkout page: start_checkout for some invoices (the payable ones the list shows,
        or any), perhaps with credit (the page may show a credit figure from before another
        tab used it), perhaps paying by card at once."""
        self._step("open_tab")
        invoices = self._invoices()
        shown = [i for i in invoices if co.amount_due_minor(i) > 0]
        if free:  # not held by another tab right now
            shown = [i for i in shown if not self._live_lock(i.id)]
        pool = invoices if any_invoice or not shown else shown
        chosen = sorted({pool[p % len(pool)].id for p in picks})
        credit_now = self._usable_credit()
        expected = (self.seen_credit if stale_page else credit_now) if apply_credit else None
        self.seen_credit = credit_now
        amounts = {}
        first = next(i for i in invoices if i.id == chosen[0])
        due = co.amount_due_minor(first)
        if amount == "under" and due > 2_00:
            amounts[first.id] = major(max(1_00, due // 2))
        elif amount == "over" and due > 0:
            amounts[first.id] = major(due + 5_00)
        request = co.CheckoutRequest(
            invoice_ids=chosen,
            amounts=amounts,
            apply_credit=apply_credit,
            expected_credit_minor=expected,
            confirm_over_payment=amount == "over",
        )
        try:
            with self.tx() as s:
                started = co.start_checkout(s, actor=self.actor, request=request)
        except ValidationError:
            self._step("open_tab_refused")
            return
        # (More credit than the page showed is fine: a tab replaced here gave its hold back.)
        assert 0 <= started.credit_minor <= started.total_minor
        assert started.credit_minor + started.card_minor == started.total_minor
        tab = Tab(started.checkout_id, request, started.credit_minor, started.card_minor)
        self.tabs.append(tab)
        if pay_now and tab.card_minor > 0:
            self._pay(tab, pay_now)

    @rule(
        picks=st.lists(INDEX, min_size=1, max_size=3),
        apply_credit=st.booleans(),
        amount=st.sampled_from(["due", "due", "under", "over"]),
        card=st.sampled_from(["ok", "ok", "declined", "3ds"]),
    )
    def open_tab_and_pay(self, picks, apply_credit, amount, card):
        """The common path: the checkout page, then Pay with a card straight away."""
        self.open_tab(picks, apply_credit, amount, False, False, pay_now=card, free=True)

    def _choose(self, tabs: list[Tab], i: int, *, late: bool = False) -> Tab:
        """Mostly a tab still open (where the client is); with `late`, any of them (a click
        in a tab whose checkout finished, failed or was replaced long ago)."""
        live = [t for t in tabs if self._checkout(t.checkout_id).status == "open"]
        pool = tabs if late or not live else live
        return pool[i % len(pool)]

    def _card_tabs(self) -> list[Tab]:
        return [t for t in self.tabs if t.card_minor > 0]

    def _credit_tabs(self) -> list[Tab]:
        return [t for t in self.tabs if t.card_minor == 0]

    def _pay(self, tab: Tab, card: str) -> None:
        self._step(f"pay_{card}")
        before = self._checkout(tab.checkout_id)
        if before.status == "open" and tab.card is None:
            tab.card = card
        balances = self._balances(tab.request.invoice_ids)
        outcome = flow.pay_with_card(
            self.tx,
            actor=self.actor,
            gateway=self.gw,
            checkout_id=tab.checkout_id,
            method_ref=self.cards[card],
        )
        if before.status == "open":
            # A retry sends the first attempt's card under the same key: the same answer.
            assert outcome.status == FIRST_ANSWER[tab.card], (tab, outcome)
            if outcome.status == "succeeded":
                self._expect_paid(tab, balances)
        for ref in self._intents_of(tab.checkout_id):
            self._stripe_says(ref)
        if outcome.status == "requires_action" and outcome.client_secret:
            tab.client_secret = outcome.client_secret

    @precondition(lambda self: self._card_tabs())
    @rule(i=INDEX, card=st.sampled_from(sorted(CARDS)), late=st.booleans())
    def pay_tab(self, i, card, late):
        """Pay in a tab opened earlier: the card step (double and late clicks included)."""
        self._pay(self._choose(self._card_tabs(), i, late=late), card)

    @precondition(lambda self: self._credit_tabs())
    @rule(i=INDEX)
    def settle_credit_tab(self, i):
        """Pay with credit only. A tab replaced by a newer one (its credit went back) must be
        refused; one already paid answers with its payment."""
        self._step("settle_credit_tab")
        tabs = self._credit_tabs()
        tab = tabs[i % len(tabs)]
        before = self._checkout(tab.checkout_id)
        balances = self._balances(tab.request.invoice_ids)
        try:
            with self.tx() as s:
                payment = co.settle_with_credit_only(
                    s, actor=self.actor, checkout_id=tab.checkout_id
                )
                payment_id = payment.id
        except ValidationError:
            assert before.status not in ("open", "succeeded"), before.status
            return
        assert before.status in ("open", "succeeded"), (
            f"a {before.status} credit-only checkout settled"
        )
        if before.status == "succeeded":
            assert payment_id == before.payment_id
        else:
            self._expect_paid(tab, balances)

    @rule(i=INDEX)
    def replaced_credit_tab_then_settled(self, i):
        """The issue sequence: a credit-only tab, a newer tab for the same invoice, then the
        first tab's Pay button. The first must be refused and its credit used at most once."""
        self._step("replaced_credit_tab_then_settled")
        free = [
            inv
            for inv in self._invoices()
            if co.amount_due_minor(inv) > 0 and not self._live_lock(inv.id)
        ]
        if not free:
            return
        invoice = free[i % len(free)]
        due = co.amount_due_minor(invoice)
        if self._usable_credit() < due:
            with self.tx() as s:
                Factory(s).credit(s.get(Client, self.client_id), amount_minor=due)
        request = co.CheckoutRequest([invoice.id], apply_credit=True)
        with self.tx() as s:
            first = co.start_checkout(s, actor=self.actor, request=request)
        assert first.card_minor == 0, first
        with self.tx() as s:
            newer = co.start_checkout(s, actor=self.actor, request=request)
        self.tabs.append(Tab(newer.checkout_id, request, newer.credit_minor, newer.card_minor))
        assert self._checkout(first.checkout_id).status == "expired"
        with pytest.raises(ValidationError, match="replaced by a newer one"), self.tx() as s:
            co.settle_with_credit_only(s, actor=self.actor, checkout_id=first.checkout_id)
        self.tabs.append(Tab(first.checkout_id, request, first.credit_minor, first.card_minor))

    @precondition(lambda self: any(t.client_secret and not t.authenticated for t in self.tabs))
    @rule(i=INDEX, success=st.booleans(), back_in_page=st.booleans())
    def finish_3ds(self, i, success, back_in_page):
        """The bank's 3-D Secure window: passed or failed; the page hears of it, or the
        browser was closed (the webhook or a later visit finishes it)."""
        self._step(f"finish_3ds_{'ok' if success else 'failed'}")
        tabs = [t for t in self.tabs if t.client_secret and not t.authenticated]
        tab = tabs[i % len(tabs)]
        intent_ref = tab.client_secret.split("_secret_")[0]
        response = httpx.post(
            f"{self.env.localstripe_url}/v1/payment_intents/{intent_ref}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"key": "pk_test_portal", "client_secret": tab.client_secret},
        )
        assert response.status_code == 200, response.text
        tab.authenticated = True
        self._stripe_says(intent_ref)
        if back_in_page:
            balances = self._balances(tab.request.invoice_ids)
            outcome = flow.confirm_after_action(
                self.tx, actor=self.actor, gateway=self.gw, checkout_id=tab.checkout_id
            )
            assert outcome.status == ("succeeded" if success else "failed"), outcome
            if success and not tab.aged:
                checkout = self._checkout(tab.checkout_id)
                assert checkout.payment_id == outcome.payment_id
                self._expect_paid(tab, balances)

    @precondition(lambda self: any(t.client_secret for t in self.tabs))
    @rule(i=INDEX)
    def come_back_later(self, i):
        """The client opens the 3-D Secure page again (or never finished it): the intent is
        read back and recorded as it is now."""
        self._step("come_back_later")
        tabs = [t for t in self.tabs if t.client_secret]
        tab = tabs[i % len(tabs)]
        outcome = flow.confirm_after_action(
            self.tx, actor=self.actor, gateway=self.gw, checkout_id=tab.checkout_id
        )
        intent = self.gw.retrieve_payment(tab.client_secret.split("_secret_")[0])
        if intent.status == "succeeded":
            assert outcome.status == "succeeded", outcome
        elif intent.status == "requires_payment_method":
            assert outcome.status == "failed", outcome

    @precondition(lambda self: any(not t.aged for t in self.tabs))
    @rule(i=INDEX)
    def tab_left_alone(self, i):
        """Time passes for one tab (longer than a lock lasts): its invoices are free again and
        its credit may be given back when another checkout asks for credit."""
        self._step("tab_left_alone")
        tabs = [t for t in self.tabs if not t.aged]
        tab = tabs[i % len(tabs)]
        past = utcnow() - timedelta(minutes=co.LOCK_MINUTES + 5)
        with self.tx() as s:
            s.exec(
                update(InvoiceLock)
                .where(InvoiceLock.checkout_id == tab.checkout_id)
                .values(expires_at=past)
            )
            s.exec(update(Checkout).where(Checkout.id == tab.checkout_id).values(updated_at=past))
        tab.aged = True

    @precondition(lambda self: self._card_tabs())
    @rule(i=INDEX, card=st.sampled_from(sorted(CARDS)), reached=st.booleans())
    def gateway_times_out(self, i, card, reached):
        """Stripe unreachable (nothing charged) or the answer lost after Stripe acted: the
        checkout stays open for a retry under the same idempotency key."""
        self._step(f"gateway_times_out_{'reached' if reached else 'unreachable'}")
        tab = self._choose(self._card_tabs(), i)
        before = self._checkout(tab.checkout_id)
        if before.status == "open" and tab.card is None:
            tab.card = card
        outcome = flow.pay_with_card(
            self.tx,
            actor=self.actor,
            gateway=AnswerLost(self.gw) if reached else self.env.down,
            checkout_id=tab.checkout_id,
            method_ref=self.cards[card],
        )
        if before.status == "open":
            assert outcome.status == "failed" and "could not be reached" in outcome.message
            after = self._checkout(tab.checkout_id)
            assert after.status == "open" and after.charge_attempts == before.charge_attempts + 1
            tab.timed_out = True
        for ref in self._intents_of(tab.checkout_id):
            self._stripe_says(ref)

    @precondition(lambda self: any(t.timed_out for t in self.tabs))
    @rule(i=INDEX)
    def retry_after_timeout(self, i):
        """The page's retry: reusable_checkout gives back the same checkout (same key), and
        paying it again never charges twice."""
        self._step("retry_after_timeout")
        tab = self._choose([t for t in self.tabs if t.timed_out], i)
        before = self._checkout(tab.checkout_id)
        with self.tx() as s:
            reused = co.reusable_checkout(
                s, actor=self.actor, checkout_id=tab.checkout_id, request=tab.request
            )
        if before.status != "open":
            assert reused is None
            return
        assert reused is not None and reused.checkout_id == tab.checkout_id
        balances = self._balances(tab.request.invoice_ids)
        outcome = flow.pay_with_card(
            self.tx,
            actor=self.actor,
            gateway=self.gw,
            checkout_id=tab.checkout_id,
            method_ref=self.cards[tab.card],
        )
        assert outcome.status == FIRST_ANSWER[tab.card], (tab, outcome)
        if outcome.status == "succeeded":
            self._expect_paid(tab, balances)
        if outcome.status == "requires_action":
            tab.client_secret = outcome.client_secret
        for ref in self._intents_of(tab.checkout_id):
            self._stripe_says(ref)

    @precondition(lambda self: self.tabs)
    @rule(i=INDEX)
    def page_reloaded(self, i):
        """The page reloads with a checkout id: one that never reached Stripe is given up (its
        invoices and credit go back), one that did is kept for the retry."""
        self._step("page_reloaded")
        tab = self.tabs[i % len(self.tabs)]
        before = self._checkout(tab.checkout_id)
        with self.tx() as s:
            reused = co.reusable_checkout(
                s, actor=self.actor, checkout_id=tab.checkout_id, request=tab.request
            )
        after = self._checkout(tab.checkout_id)
        if before.status == "open" and before.charge_attempts == 0:
            assert reused is None and after.status == "expired"
        elif before.status == "open":
            assert reused is not None and after.status == "open"
        else:
            assert reused is None and after.status == before.status

    # -- Stripe: webhooks ------------------------------------------------------------------------

    @precondition(lambda self: self.events)
    @rule(i=INDEX, times=st.integers(min_value=1, max_value=2), again_later=st.booleans())
    def webhook_arrives(self, i, times, again_later):
        """Stripe delivers a queued event: late, perhaps twice, in any order."""
        kind, _ref, payload = self.events[i % len(self.events)]
        self._step(f"webhook_{kind}")
        for _ in range(times):
            status, error = deliver(self.tx, self.gw, payload)
            assert status in ("processed", "ignored"), (kind, status, error)
        if not again_later:
            self.events.remove((kind, _ref, payload))

    # -- staff -----------------------------------------------------------------------------------

    @rule(i=INDEX)
    def staff_marks_paid(self, i):
        """Staff record a bank transfer for an invoice: refused exactly when nothing is owed or
        a checkout holds it."""
        self._step("staff_marks_paid")
        invoices = self._invoices()
        invoice = invoices[i % len(invoices)]
        refused = (
            invoice.status not in PAYABLE_STATUSES
            or invoice.balance_minor <= 0
            or self._live_lock(invoice.id)
        )
        try:
            with self.tx() as s:
                mark_paid(s, actor=self.staff, invoice_id=invoice.id, reference="Transfer")
        except ValidationError:
            assert refused, f"mark_paid refused for {invoice.status} {invoice.balance_minor}"
            return
        assert not refused, "mark_paid accepted an invoice it should refuse"
        assert self._balances([invoice.id])[invoice.id] == 0

    @rule(
        amount=st.integers(min_value=1_00, max_value=300_00),
        card=st.sampled_from(["ok", "declined"]),
    )
    def client_prepays(self, amount, card):
        """A pre-payment: card money on no invoice (unapplied until staff apply it)."""
        self._step(f"client_prepays_{card}")
        with self.tx() as s:
            request = pre.check_request(s, actor=self.actor, amount=major(amount))
            checkout_id = pre.start_prepayment(s, actor=self.actor, request=request)
        outcome = pre.pay(
            self.tx,
            actor=self.actor,
            gateway=self.gw,
            checkout_id=checkout_id,
            method_ref=self.cards[card],
            request=request,
            today=self.today,
        )
        assert outcome.status == FIRST_ANSWER[card], outcome
        for ref in self._intents_of(checkout_id):
            self._stripe_says(ref)
        if outcome.status == "succeeded":
            with Session(self.env.engine) as s:
                payment = s.get(Payment, outcome.payment_id)
                assert (payment.amount_minor, payment.applied_minor) == (amount, 0)

    @rule(p=INDEX, i=INDEX, how=st.sampled_from(["all", "part", "too_much"]))
    def staff_applies_unapplied(self, p, i, how):
        """Staff put a payment's unapplied money on an invoice: accepted exactly when the
        payment has it, the invoice owes it and no checkout holds the invoice."""
        self._step("staff_applies_unapplied")
        payments = self._received_payments()
        if not payments:
            return
        with_money = [x for x in payments if x.amount_minor - x.applied_minor - x.refunded_minor]
        payment = (with_money or payments)[p % len(with_money or payments)]
        unapplied = payment.amount_minor - payment.applied_minor - payment.refunded_minor
        invoices = self._invoices()
        invoice = invoices[i % len(invoices)]
        if how == "all":
            amount = min(unapplied, invoice.balance_minor)
        elif how == "part":
            amount = max(1, min(unapplied, invoice.balance_minor) // 2)
        else:
            amount = unapplied + 1
        refused = (
            unapplied <= 0
            or amount <= 0
            or invoice.status not in PAYABLE_STATUSES
            or invoice.balance_minor <= 0
            or self._live_lock(invoice.id)
            or amount > invoice.balance_minor
            or amount > unapplied
        )
        try:
            with self.tx() as s:
                apply_unapplied(
                    s,
                    actor=self.staff,
                    payment_id=payment.id,
                    applications=[Application(invoice.id, major(max(amount, 0)))],
                )
        except ValidationError:
            assert refused, f"apply {amount} of {unapplied} to {invoice.balance_minor} refused"
            return
        assert not refused, f"apply {amount} of {unapplied} to {invoice.balance_minor} accepted"
        assert self._balances([invoice.id])[invoice.id] == invoice.balance_minor - amount

    @rule(p=INDEX, how=st.sampled_from(["all", "part"]))
    def staff_refunds(self, p, how):
        """An owner refunds part or all of a card payment through Stripe."""
        self._step(f"staff_refunds_{how}")
        payments = self._received_payments(card_only=True)
        if not payments:
            return
        payment = payments[p % len(payments)]
        with Session(self.env.engine) as s:
            left = refundable_minor(s, s.get(Payment, payment.id))
        amount = "" if how == "all" or left < 2 else major(left // 2)
        try:
            refunded = refund_card_payment(
                self.tx, actor=self.staff, gateway=self.gw, payment_id=payment.id, amount=amount
            )
        except ValidationError:
            assert left <= 0, f"refund of {payment.number} refused with {left} refundable"
            return
        expected = left if amount == "" else left // 2
        assert refunded.refunded_minor == payment.refunded_minor + expected
        self._stripe_refunded(payment.gateway_reference)

    @rule(what=st.sampled_from(["checkout", "settle", "pay", "apply", "mark"]), p=INDEX)
    def reach_for_the_other_client(self, what, p):
        """Ids from the browser or a staff form that belong to the other client: not found,
        and nothing of theirs moves (the invariant compares their books)."""
        self._step(f"other_client_{what}")
        payments = [
            x
            for x in self._received_payments()
            if x.amount_minor - x.applied_minor - x.refunded_minor > 0
        ]
        with pytest.raises(NotFoundError):
            if what == "checkout":
                with self.tx() as s:
                    co.start_checkout(
                        s, actor=self.actor, request=co.CheckoutRequest([self.other_invoice])
                    )
            elif what == "settle":
                with self.tx() as s:
                    co.settle_with_credit_only(s, actor=self.actor, checkout_id=self.other_checkout)
            elif what == "pay":
                flow.pay_with_card(
                    self.tx,
                    actor=self.actor,
                    gateway=self.gw,
                    checkout_id=self.other_checkout,
                    method_ref=self.cards["ok"],
                )
            elif what == "apply" and payments:
                with self.tx() as s:
                    apply_unapplied(
                        s,
                        actor=self.staff,
                        payment_id=payments[p % len(payments)].id,
                        applications=[Application(self.other_invoice, "1.00")],
                    )
            else:
                # Staff of the company may mark the other client's invoice paid; a staff user
                # of another company may not.
                with self.tx() as s:
                    stranger = staff_actor(s, Factory(s).company(), role="owner")
                with self.tx() as s:
                    mark_paid(s, actor=stranger, invoice_id=self.other_invoice)

    @rule(amount=st.sampled_from([12_34, 50_00, 99_99]), credit=st.booleans())
    def staff_issues(self, amount, credit):
        """Staff send another invoice or credit note (so money keeps having somewhere to go)."""
        self._step("staff_issues_credit" if credit else "staff_issues_invoice")
        with self.tx() as s:
            client = s.get(Client, self.client_id)
            if credit:
                Factory(s).credit(client, amount_minor=amount)
            else:
                Factory(s).invoice(client, lines=[LineInput("More work", 1000, amount)])

    # -- subscriptions ---------------------------------------------------------------------------

    @precondition(lambda self: self.subscription_id is None)
    @rule()
    def subscribe(self):
        """Sign up to Basic through its payment link and pay the first period by card."""
        self._step("subscribe")
        with self.tx() as s:
            start = signup.subscribe(s, actor=self.actor, key=self.link, today=self.today)
        try:
            outcome, checkout_id = signup.pay_first_period(
                self.tx,
                actor=self.actor,
                gateway=self.gw,
                subscription_id=start.subscription_id,
                method_ref=self.cards["ok"],
            )
        except ValidationError:
            # Its invoice is being paid in a tab already; the subscription waits.
            return
        self.subscription_id = start.subscription_id
        for ref in self._intents_of(checkout_id):
            self._stripe_says(ref)
        if outcome.status == "succeeded":
            with Session(self.env.engine) as s:
                assert s.get(Subscription, self.subscription_id).status == "active"

    @precondition(lambda self: self.subscription_id and not self.subscription_ending)
    @rule(days=st.integers(min_value=0, max_value=20))
    def change_plan(self, days):
        """Upgrade (the difference charged now) or downgrade (a credit note now)."""
        with Session(self.env.engine) as s:
            sub = s.get(Subscription, self.subscription_id)
            target = (
                self.plans["pro"] if sub.plan_id == self.plans["basic"] else self.plans["basic"]
            )
        self._step("upgrade" if target == self.plans["pro"] else "downgrade")
        today = self.today + timedelta(days=days)
        try:
            with Session(self.env.engine) as s:
                preview = sub_changes.preview_change(
                    s,
                    actor=self.actor,
                    subscription_id=self.subscription_id,
                    target_plan_id=target,
                    today=today,
                )
            outcome = sub_changes.change_plan(
                self.tx,
                actor=self.actor,
                gateway=self.gw,
                subscription_id=self.subscription_id,
                target_plan_id=target,
                expected_net_minor=preview.net_minor,
                today=today,
            )
        except (ValidationError, NotFoundError):
            return  # not active (yet, or any more), or an upgrade is being paid
        if outcome.checkout_id:
            for ref in self._intents_of(outcome.checkout_id):
                self._stripe_says(ref)

    @precondition(lambda self: self.subscription_id and not self.subscription_ending)
    @rule(days=st.integers(min_value=0, max_value=20))
    def cancel_subscription(self, days):
        """Cancel: inside the refund period the last payment is refunded through Stripe."""
        self._step("cancel_subscription")
        try:
            outcome = sub_cancel.cancel_subscription(
                self.tx,
                actor=self.actor,
                gateway=self.gw,
                subscription_id=self.subscription_id,
                reason="Test",
                today=self.today + timedelta(days=days),
            )
        except (ValidationError, NotFoundError):
            return
        if outcome.kind == "at_period_end":
            self.subscription_ending = True
        elif outcome.kind in ("cancelled", "refunded"):
            self.subscription_id = None  # ended now: the client may subscribe again
        if outcome.kind == "refunded":
            for payment in self._received_payments(card_only=True):
                if payment.refunded_minor:
                    self._stripe_refunded(payment.gateway_reference)

    # -- the books -------------------------------------------------------------------------------

    @invariant()
    def books_hold(self):
        with Session(self.env.engine) as s:
            assert_ledger_holds(
                s, company_id=self.company_id, client_id=self.client_id, gateway=self.gw
            )
            assert_ledger_holds(
                s, company_id=self.company_id, client_id=self.other_id, gateway=self.gw
            )
        assert self._books(self.other_id) == self.other_books, "the other client's books moved"
        # Never two charges for one checkout.
        for checkout_id, refs in list(self.gw.by_checkout.items()):
            if len(refs) > 1:
                took = [r for r in refs if self.gw.retrieve_payment(r).succeeded]
                assert len(took) <= 1, f"checkout {checkout_id} charged {len(took)} times"
        self.clean = True

    def teardown(self):
        """Stripe delivers every success it still owes us: then each PaymentIntent that took
        money has exactly one payment, of its amount, and the books still hold. (Skipped
        after a failed step: that failure is the one to report.)"""
        if not self.clean:
            return
        for ref in self.gw.intents_of(self.client_id):
            obj = stripe_get(self.env.localstripe_url, f"payment_intents/{ref}")
            if obj["status"] != "succeeded":
                continue
            status, error = deliver(
                self.tx, self.gw, stripe_event("payment_intent.succeeded", obj)[1]
            )
            assert status == "processed", (ref, status, error)
            with Session(self.env.engine) as s:
                payments = s.exec(select(Payment).where(Payment.gateway_reference == ref)).all()
                assert len(payments) == 1, f"{ref}: {len(payments)} payments"
                assert payments[0].status in RECEIVED_STATUSES, payments[0].status
                assert payments[0].amount_minor == obj["amount"]
        with Session(self.env.engine) as s:
            assert_ledger_holds(
                s, company_id=self.company_id, client_id=self.client_id, gateway=self.gw
            )


def test_money_state_machine(pg_engine, gateway, browser_card, localstripe_url):
    env = Env(
        engine=pg_engine,
        gateway=StripeLike(gateway),
        browser_card=browser_card,
        localstripe_url=localstripe_url,
        down=unreachable_gateway(),
    )

    class Machine(MoneyMachine):
        ENV = env

    started = time.monotonic()
    try:
        run_state_machine_as_test(
            Machine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        print(
            f"\nmoney state machine: {env.examples} examples, {sum(env.steps.values())} steps "
            f"in {time.monotonic() - started:.0f}s: {dict(sorted(env.steps.items()))}"
        )
