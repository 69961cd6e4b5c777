"""Query budgets of the client pages (issue 25 item 3): each page view runs a fixed number of
SQL statements, whatever the number of rows the client has.

Each page below calls exactly the services its State's on_load calls (pages/client/*.py),
in one database session like the page's event, after the session check (`_begin`: the
token's actor and, on a fresh load, the shell's identity). The statements are counted on
the engine (`before_cursor_execute`), savepoints of the test's rolled-back transaction left
out. Two things are asserted per page:

- the count is within the page's budget (today's count; raise it only on purpose), and
- the count for a client with 30 of everything equals the count for one with 5: a query per
  row (an N+1) fails here before it slows a page.

Counts, never times: the timings live in bench/ (see bench/README.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import event, update
from sqlmodel import Session, col

from portal_app.models import Document, Invoice, PaymentAllocation, PaymentMethod, Quote
from portal_app.models.quote import QuoteLine
from portal_app.models.subscription import PlanChangeOption, Subscription, SubscriptionPlan
from portal_app.services.billing import credits, invoices, quotes, statements
from portal_app.services.billing.invoice_math import LineInput, build_lines
from portal_app.services.company import client_activity
from portal_app.services.company.locale import client_locale
from portal_app.services.documents import documents, threads
from portal_app.services.identity import audit, auth
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import checkout, ledger_stamp, payment_methods, payments
from portal_app.services.subscriptions import subscriptions

SMALL, LARGE = 5, 30
_SAVEPOINT_WORDS = ("SAVEPOINT", "RELEASE", "ROLLBACK TO")


@dataclass
class Counter:
    """Statements seen on the engine while `counting()` is open."""

    statements: list[str] = field(default_factory=list)
    active: bool = False

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.statements = []
        self.active = True
        try:
            yield self.statements
        finally:
            self.active = False


@pytest.fixture
def sql_counter(engine) -> Iterator[Counter]:
    """Counts the SQL statements the engine sends, without the test's own savepoints (the
    page's transaction commits for real, the test's nests in a savepoint instead)."""
    counter = Counter()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if counter.active and not statement.lstrip().upper().startswith(_SAVEPOINT_WORDS):
            counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    yield counter
    event.remove(engine, "before_cursor_execute", before_cursor_execute)


@dataclass
class Seeded:
    """One client with `size` of everything, and what the page views need to know of it."""

    token: str
    invoice_ids: list[int]
    big_invoice_id: int  # `size` lines, `size` documents
    big_payment_id: int  # allocated to every invoice and paid with every credit, `size` documents
    big_credit_id: int  # used on every invoice
    big_quote_id: int  # `size` lines, `size` documents
    big_subscription_id: int  # billed by every invoice, `size` plans to change to


def _seed(make, session: Session, size: int) -> Seeded:
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    opened = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1)
    )
    today = date.today()
    lines = [LineInput(f"Line {i}", 1000, 10_00 + i, "VAT", 2000) for i in range(size)]
    big = make.invoice(client, lines=lines, issue_date=today - timedelta(days=5))
    invoice_rows = [big]
    for i in range(size - 1):
        # Half overdue (the dashboard's attention list), half not yet due.
        issue = today - timedelta(days=60 if i % 2 else 5)
        invoice_rows.append(
            make.invoice(
                client,
                lines=[LineInput("A", 1000, 50_00, "VAT", 2000), LineInput("B", 1000, 7_00)],
                issue_date=issue,
            )
        )
    credit_rows = [make.credit(client, amount_minor=5_00) for _ in range(size)]
    big_credit = make.credit(client, amount_minor=size * 1_00)
    big_payment = make.payment(client, amount_minor=size * 10_00, paid_at=None)
    for inv, credit in zip(invoice_rows, credit_rows, strict=True):
        session.add(
            PaymentAllocation(
                company_id=company.id,
                payment_id=big_payment.id,
                invoice_id=inv.id,
                amount_minor=1_00,
            )
        )
        session.add(
            PaymentAllocation(
                company_id=company.id,
                payment_id=big_payment.id,
                credit_id=credit.id,
                invoice_id=inv.id,
                amount_minor=50,
            )
        )
        # One payment of its own per invoice too (the payments list).
        own = make.payment(client, amount_minor=2_00)
        session.add(
            PaymentAllocation(
                company_id=company.id, payment_id=own.id, invoice_id=inv.id, amount_minor=2_00
            )
        )
        session.add(
            PaymentAllocation(
                company_id=company.id,
                payment_id=own.id,
                credit_id=big_credit.id,
                invoice_id=inv.id,
                amount_minor=1_00,
            )
        )
    quote_ids: list[int] = []
    plan_ids: list[int] = []
    subscription_ids: list[int] = []
    for i in range(size):
        quote = Quote(
            company_id=company.id,
            client_id=client.id,
            number=f"Q-{uuid.uuid4().hex[:10]}",
            status="sent",
            currency="USD",
            issue_date=today - timedelta(days=3),
            valid_until=today + timedelta(days=30),
            amount_minor=100_00,
            subtotal_minor=100_00,
        )
        session.add(quote)
        session.flush()
        quote_ids.append(quote.id)
        # The first quote has `size` lines, the others one.
        quote_lines = lines if i == 0 else [LineInput("Q", 1000, 100_00)]
        for line in build_lines(quote_lines):
            session.add(QuoteLine(quote_id=quote.id, **_line_fields(line)))
        plan = SubscriptionPlan(
            company_id=company.id, name=f"Plan {i}", price_minor=9_00 + i, currency="USD"
        )
        session.add(plan)
        session.flush()
        plan_ids.append(plan.id)
        sub = Subscription(
            company_id=company.id,
            client_id=client.id,
            plan_id=plan.id,
            status="active",
            current_period_start=today - timedelta(days=3),
            current_period_end=today + timedelta(days=27),
        )
        session.add(sub)
        session.flush()
        subscription_ids.append(sub.id)
        attach_to = (
            {"invoice_id": big.id},
            {"payment_id": big_payment.id},
            {"credit_id": big_credit.id},
            {"quote_id": quote_ids[0]},
            {},
        )
        for attached in attach_to:
            session.add(
                Document(
                    company_id=company.id,
                    client_id=client.id,
                    name=f"file-{i}.pdf",
                    sha256=uuid.uuid4().hex * 2,
                    size_bytes=100,
                    media_type="application/pdf",
                    **attached,
                )
            )
        session.add(
            PaymentMethod(
                company_id=company.id,
                client_id=client.id,
                customer_ref="cus_budget",
                method_ref=f"pm_{uuid.uuid4().hex}",
                brand="visa",
                last4=f"{i:04d}",
                exp_month=12,
                exp_year=today.year + 2,
            )
        )
    # What the activity page lists: each contact action on each kind of record, `size` times.
    events = [
        ("invoice_viewed", "invoice", [inv.id for inv in invoice_rows]),
        ("quote_viewed", "quote", quote_ids),
        ("subscription_created", "subscription", subscription_ids),
        ("document_downloaded", "document", [None] * size),
        ("statement_downloaded", "", [None] * size),
    ]
    # Round the kinds, so the newest page holds every kind (each kind is one query for its names).
    for i in range(size):
        for action, entity_type, ids in events:
            audit.record(
                session,
                company_id=company.id,
                client_id=client.id,
                action=action,
                actor_type="contact",
                actor_id=contact.id,
                entity_type=entity_type,
                entity_id=ids[i],
            )
    # The first plan may change to every other one; the first subscription billed every invoice.
    for target in plan_ids[1:]:
        session.add(PlanChangeOption(plan_id=plan_ids[0], target_plan_id=target))
    session.execute(
        update(Invoice)
        .where(col(Invoice.id).in_([inv.id for inv in invoice_rows]))
        .values(subscription_id=subscription_ids[0])
    )
    session.flush()
    # Nothing the page needs may come from this session's identity map: a page's session
    # starts empty.
    session.expunge_all()
    return Seeded(
        token=opened.token,
        invoice_ids=[inv.id for inv in invoice_rows],
        big_invoice_id=big.id,
        big_payment_id=big_payment.id,
        big_credit_id=big_credit.id,
        big_quote_id=quote_ids[0],
        big_subscription_id=subscription_ids[0],
    )


def _line_fields(line) -> dict:
    """A built invoice line's columns, for a quote line (both are LineItems)."""
    skip = {"id", "invoice_id"}
    return {k: v for k, v in line.model_dump().items() if k not in skip}


def _begin(db: Session, c: Seeded) -> Actor:
    """What PortalState._begin does on a page's fresh load: the session check and the shell."""
    actor = auth.resolve_actor(db, token=c.token)
    assert actor is not None
    auth.portal_identity(db, actor=actor)
    return actor


def dashboard(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    view = invoices.dashboard(db, actor=actor)
    pending = quotes.pending_count(db, actor=actor)
    auth.is_first_sign_in(db, actor=actor)
    return [len(view.attention), pending]


def invoice_list(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    ledger_stamp.ledger_stamp(db, actor=actor)
    client_locale(db, actor)
    page = invoices.list_invoices(db, actor=actor, query=invoices.ListQuery())
    groups = checkout.payable_groups(db, actor=actor)
    return [len(page.rows), groups[0].count]


def invoice_detail(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    # The ledger stamp, the files' hint and the (here empty) thread come with the invoice.
    opened = invoices.open_invoice_with_stamp(db, actor=actor, invoice_id=c.big_invoice_id)
    assert opened.may_have_files
    files = documents.invoice_documents(db, actor=actor, invoice_id=c.big_invoice_id)
    threads.client_thread_of(
        db, actor=actor, document_type="invoice", document=opened.invoice, thread=opened.thread
    )
    return [len(opened.view.lines), len(files)]


def quote_list(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    page = quotes.list_quotes(db, actor=actor, query=quotes.ListQuery())
    quotes.approval_rules(db, actor=actor)
    return [len(page.rows)]


def credit_list(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    return [len(credits.list_credits(db, actor=actor, page=1, page_size=25).rows)]


def payment_list(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    return [len(payments.list_payments(db, actor=actor, page=1, page_size=25).rows)]


def payment_detail(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    view = payments.payment_view(db, actor=actor, payment_id=c.big_payment_id)
    files = documents.record_documents(
        db, actor=actor, attached_to="payment", record_id=c.big_payment_id
    )
    return [len(view.invoices), len(view.credits), len(files)]


def credit_detail(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    view = credits.credit_view(db, actor=actor, credit_id=c.big_credit_id)
    files = documents.record_documents(
        db, actor=actor, attached_to="credit", record_id=c.big_credit_id
    )
    return [len(view.uses), len(files)]


def quote_detail(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    view = quotes.quote_view(db, actor=actor, quote_id=c.big_quote_id)
    quote = quotes.get_client_quote(db, actor=actor, quote_id=c.big_quote_id)
    quotes.record_view(db, actor=actor, quote=quote)
    files = documents.record_documents(
        db, actor=actor, attached_to="quote", record_id=c.big_quote_id
    )
    quotes.approval_rules(db, actor=actor)
    return [len(view.lines), len(files)]


def statement(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    today = date.today()
    views = statements.statement(
        db,
        actor=actor,
        start=today - timedelta(days=365),
        end=today,
        status="all",
        show_payments=True,
        show_credits=True,
        show_aging=True,
        row_offset=0,
        row_limit=100,
    )
    return [views[0].row_count]


def pay_page(db: Session, c: Seeded) -> list[int]:
    """The pay page for every invoice due: its load, then the summary it asks for."""
    actor = _begin(db, c)
    ids = checkout.payable_ids(db, actor=actor, currency="USD")
    view = checkout.preview(db, actor=actor, invoice_ids=ids)
    cards = checkout.saved_cards(db, actor=actor)
    checkout.payment_summary(
        db, actor=actor, invoice_ids=ids, amounts={}, apply_credit=True, apply_unapplied=True
    )
    checkout.held_attempt(db, actor=actor, invoice_ids=ids)
    return [len(view.lines), len(cards)]


def subscription_list(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    return [len(subscriptions.list_subscriptions(db, actor=actor))]


def subscription_detail(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    view = subscriptions.subscription_view(db, actor=actor, subscription_id=c.big_subscription_id)
    return [len(view.invoices), len(view.change_options)]


def payment_method_list(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    return [len(payment_methods.list_methods(db, actor=actor))]


def activity(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    return [len(client_activity.list_activity(db, actor=actor, page=1, page_size=100).rows)]


def document_list(db: Session, c: Seeded) -> list[int]:
    actor = _begin(db, c)
    page = documents.list_client_documents(
        db, actor=actor, attached_to="all", page=1, page_size=100
    )
    documents.uploads_allowed(db, actor=actor)
    return [len(page.rows)]


# page view -> the most statements it may run (today's count on SQLite and PostgreSQL).
BUDGETS: dict[Callable[[Session, Seeded], list[int]], int] = {
    dashboard: 9,
    invoice_list: 7,
    # 13; 12, then 11: parties, then the invoice too, in one statement; 10 with its question
    # thread (3 before): the stamp, files' hint and thread in the invoice's statement
    invoice_detail: 10,
    quote_list: 6,
    credit_list: 5,
    payment_list: 7,
    payment_detail: 10,
    credit_detail: 10,
    quote_detail: 13,
    statement: 6,
    pay_page: 16,  # 14, and the unapplied payment money offered (issue 18 item 6)
    subscription_list: 5,
    subscription_detail: 10,
    document_list: 7,
    payment_method_list: 5,
    activity: 10,
}


def _count(session: Session, sql_counter: Counter, page, c: Seeded) -> tuple[list[str], list[int]]:
    """The statements one view of `page` runs, and how many rows of each kind it showed."""
    with sql_counter.counting() as seen:
        shown = page(session, c)
        session.flush()
    session.expunge_all()
    return list(seen), shown


@pytest.mark.parametrize("page", list(BUDGETS), ids=lambda page: page.__name__)
def test_page_view_runs_a_fixed_number_of_statements(make, session, sql_counter, page):
    small = _seed(make, session, SMALL)
    large = _seed(make, session, LARGE)
    # A first view of each first: the first view of an invoice creates its pay link (an
    # invitation row) that later views reuse; both counts below are of a repeated view.
    _count(session, sql_counter, page, small)
    _count(session, sql_counter, page, large)

    small_statements, small_shown = _count(session, sql_counter, page, small)
    large_statements, large_shown = _count(session, sql_counter, page, large)

    # The large client's page shows more of every kind of row (else equal counts prove nothing).
    assert all(big > few > 0 for big, few in zip(large_shown, small_shown, strict=True)), (
        large_shown,
        small_shown,
    )
    listing = "\n".join(large_statements)
    assert len(large_statements) == len(small_statements), (
        f"{page.__name__}: {len(small_statements)} statements for {SMALL} rows, "
        f"{len(large_statements)} for {LARGE} (a query per row?):\n{listing}"
    )
    assert len(large_statements) <= BUDGETS[page], (
        f"{page.__name__}: {len(large_statements)} statements, budget {BUDGETS[page]}:\n{listing}"
    )
