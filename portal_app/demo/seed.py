"""Demo data: one company, two clients, staff, ~40 invoices over the last 18 months."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, delete, select

from portal_app.core.db import utcnow
from portal_app.demo.documents import seed_documents
from portal_app.demo.quotes import remove_demo_quotes, seed_quotes
from portal_app.demo.recurring import remove_recurring, seed_recurring
from portal_app.demo.subscriptions import (
    remove_prepayment_schedules,
    remove_subscriptions,
    seed_subscriptions,
)
from portal_app.models import (
    AuditEvent,
    AuthSession,
    Checkout,
    Client,
    ClientContact,
    Company,
    Credit,
    CreditLine,
    Document,
    GatewayCustomer,
    Invitation,
    Invoice,
    InvoiceLine,
    InvoiceLock,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    StaffUser,
)
from portal_app.services.billing.invoice_math import (
    LineInput,
    apply_totals,
    build_lines,
    copy_lines,
)
from portal_app.services.identity.invitations import create_invoice_invitation
from portal_app.services.identity.passwords import hash_password

DEMO_COMPANY = "Northwind Studio"
DEMO_PASSWORD = "demo-portal-1"
CLIENT_EMAIL = "client@demo.example"
SECOND_CONTACT_EMAIL = "billing@demo.example"
OTHER_EMAIL = "other@demo.example"
STAFF_EMAIL = "staff@demo.example"

_SERVICES = [
    ("Website design", 150_00),
    ("Hosting (monthly)", 29_00),
    ("Support hours", 85_00),
    ("Logo refresh", 420_00),
    ("SEO audit", 600_00),
    ("Content writing", 65_00),
]
_TAXES = {"USD": ("Sales tax", 825), "EUR": ("VAT", 1900), "JPY": ("Consumption tax", 1000)}


@dataclass(frozen=True)
class DemoResult:
    company_id: int
    invoice_count: int
    draft_count: int
    link_path: str
    quote_link_path: str = ""
    subscribe_link_path: str = ""


def seed_demo(session: Session, *, today: date | None = None) -> DemoResult:
    """Replace the demo company's data with a fresh, deterministic set (repeatable)."""
    today = today or utcnow().date()
    _remove_demo(session)
    hashed = hash_password(DEMO_PASSWORD)
    company = Company(
        name=DEMO_COMPANY,
        email="billing@northwind.example",
        phone="+1 415 555 0100",
        address1="100 Market Street",
        city="San Francisco",
        postal_code="94105",
        country="United States",
        vat_number="US-123456789",
        locale="en_US",
        currency="USD",
        invoice_terms="Payment due within 30 days. Late payments may incur a 1.5% monthly fee.",
        invoice_footer="Thank you for your business.",
        allow_client_uploads=True,
    )
    session.add(company)
    session.flush()
    acme = Client(
        company_id=company.id,
        name="Acme Corp",
        number="C-0001",
        email="accounts@acme.example",
        address1="1 Acme Way",
        city="Springfield",
        postal_code="12345",
        country="United States",
        currency="USD",
        locale="en_US",
    )
    globex = Client(
        company_id=company.id,
        name="Globex",
        number="C-0002",
        email="finance@globex.example",
        address1="2-1 Marunouchi",
        city="Tokyo",
        postal_code="100-0005",
        country="Japan",
        currency="JPY",
        locale="ja_JP",
    )
    session.add_all([acme, globex])
    session.flush()
    contacts = [
        ClientContact(
            company_id=company.id,
            client_id=acme.id,
            first_name="Alice",
            last_name="Anders",
            email=CLIENT_EMAIL,
            password_hash=hashed,
            is_primary=True,
        ),
        ClientContact(
            company_id=company.id,
            client_id=acme.id,
            first_name="Bob",
            last_name="Brown",
            email=SECOND_CONTACT_EMAIL,
            password_hash=hashed,
        ),
        ClientContact(
            company_id=company.id,
            client_id=globex.id,
            first_name="Grace",
            last_name="Goto",
            email=OTHER_EMAIL,
            password_hash=hashed,
            is_primary=True,
        ),
    ]
    session.add_all(contacts)
    session.add(
        StaffUser(
            company_id=company.id,
            email=STAFF_EMAIL,
            name="Sam Staff",
            role="owner",
            password_hash=hashed,
        )
    )
    session.flush()

    rng = random.Random(20261125)  # noqa: S311 - demo data, not security
    plan = [(acme, "USD", 20), (acme, "EUR", 10), (globex, "JPY", 10)]
    number = 0
    invoices: list[Invoice] = []
    drafts = 0
    for client, currency, count in plan:
        for i in range(count):
            number += 1
            # Spread over the last 18 months, newest last.
            issue = today - timedelta(days=int(540 * (count - i) / count) - rng.randint(0, 10))
            kind = _pick_kind(i, count)
            drafts += kind == "draft"
            invoices.append(
                _make_invoice(session, rng, company, client, currency, number, issue, kind, today)
            )
    session.flush()
    _seed_payments_and_credits(session, company, acme, globex, invoices, today)
    first_open = next(inv for inv in invoices if inv.client_id == acme.id and inv.status == "sent")
    key = create_invoice_invitation(session, contact=contacts[0], invoice=first_open)
    seed_documents(session, company=company, client=acme, invoice=first_open, today=today)
    quote_key = seed_quotes(
        session, company=company, acme=acme, globex=globex, contact=contacts[0], today=today
    )
    recurring_invoices = seed_recurring(session, company=company, client=acme, today=today)
    subscribe_path = seed_subscriptions(
        session, company=company, client=acme, contact=contacts[0], today=today
    )
    return DemoResult(
        company_id=company.id,
        invoice_count=len(invoices) + recurring_invoices,
        draft_count=drafts,
        link_path=f"/client/invoice/{key}",
        quote_link_path=f"/client/quote/{quote_key}",
        subscribe_link_path=subscribe_path,
    )


def _pick_kind(i: int, count: int) -> str:
    # The newest few are open (some due soon, one with a deposit), one draft per batch,
    # older ones mostly paid with a cancelled and a partly paid one among them.
    from_end = count - i
    if from_end == 1:
        return "draft"
    if from_end in (2, 3):
        return "sent_future"
    if from_end == 4:
        return "deposit"
    if from_end in (5, 6):
        return "overdue"
    if from_end == 7:
        return "partial"
    if i == 2:
        return "cancelled"
    if i == 4 and count >= 20:
        return "draft"
    return "paid"


def _make_invoice(session, rng, company, client, currency, number, issue, kind, today) -> Invoice:
    tax_name, tax_rate = _TAXES[currency]
    scale = {"USD": 1, "EUR": 1, "JPY": 1}[currency]
    inputs = []
    for _ in range(rng.randint(1, 4)):
        description, price = rng.choice(_SERVICES)
        unit = price * scale if currency != "JPY" else price * 150 // 100
        inputs.append(
            LineInput(
                description=description,
                quantity_milli=rng.choice([1000, 2000, 3000, 1500, 10000]),
                unit_price_minor=unit,
                tax_name=tax_name,
                tax_rate_bp=tax_rate,
            )
        )
    lines = build_lines(inputs)
    if kind == "sent_future":
        issue = today - timedelta(days=rng.randint(1, 20))
        due = today + timedelta(days=rng.randint(2, 25))
    elif kind == "overdue":
        due = today - timedelta(days=rng.randint(5, 60))
        issue = due - timedelta(days=30)
    elif kind == "deposit":
        issue = today - timedelta(days=3)
        due = today + timedelta(days=27)
    else:
        due = issue + timedelta(days=30)
    status = {
        "draft": "draft",
        "sent_future": "sent",
        "overdue": "sent",
        "deposit": "sent",
        "partial": "partial",
        "paid": "paid",
        "cancelled": "cancelled",
    }[kind]
    invoice = Invoice(
        company_id=company.id,
        client_id=client.id,
        number=f"INV-{number:04d}",
        status=status,
        currency=currency,
        issue_date=issue,
        due_date=due,
        po_number=f"PO-{rng.randint(1000, 9999)}" if rng.random() < 0.4 else "",
        public_notes="Thank you for choosing Northwind.",
        sent_at=None if kind == "draft" else utcnow(),
    )
    apply_totals(invoice, lines)
    if kind == "paid":
        apply_totals(invoice, lines, paid_minor=invoice.amount_minor)
    elif kind == "partial":
        apply_totals(invoice, lines, paid_minor=invoice.amount_minor // 3)
    elif kind == "deposit":
        invoice.partial_minor = invoice.amount_minor // 4
        invoice.partial_due_date = today + timedelta(days=5)
    elif kind == "cancelled":
        invoice.balance_minor = 0
    session.add(invoice)
    session.flush()
    for line in lines:
        line.invoice_id = invoice.id
        session.add(line)
    return invoice


def _remove_demo(session: Session) -> None:
    companies = session.exec(select(Company.id).where(Company.name == DEMO_COMPANY)).all()
    if not companies:
        return
    ids = list(companies)
    invoice_ids = select(Invoice.id).where(col(Invoice.company_id).in_(ids))
    credit_ids = select(Credit.id).where(col(Credit.company_id).in_(ids))
    # Documents point at invoices, credits and payments: they go first. Their files stay
    # (content-addressed, so seeding again reuses them).
    session.exec(delete(Document).where(col(Document.company_id).in_(ids)))
    remove_demo_quotes(session, ids)  # quotes point at invoices: before them
    # Payments and credits first, in foreign-key order (checkouts made in the demo included).
    session.exec(delete(PaymentAllocation).where(col(PaymentAllocation.company_id).in_(ids)))
    remove_prepayment_schedules(session, ids)  # they point at saved cards: before them
    session.exec(delete(InvoiceLock).where(col(InvoiceLock.invoice_id).in_(invoice_ids)))
    for table in (Checkout, Payment, PaymentMethod, GatewayCustomer):
        session.exec(delete(table).where(col(table.company_id).in_(ids)))
    session.exec(delete(CreditLine).where(col(CreditLine.credit_id).in_(credit_ids)))
    session.exec(delete(Credit).where(col(Credit.company_id).in_(ids)))
    session.exec(delete(InvoiceLine).where(col(InvoiceLine.invoice_id).in_(invoice_ids)))
    for table in (AuditEvent, AuthSession, Invitation, Invoice):
        session.exec(delete(table).where(col(table.company_id).in_(ids)))
    # Subscriptions after their invoices; schedules after the invoices and subscriptions that
    # point at them, before their clients.
    remove_subscriptions(session, ids)
    remove_recurring(session, ids)
    for table in (StaffUser, ClientContact, Client):
        session.exec(delete(table).where(col(table.company_id).in_(ids)))
    session.exec(delete(Company).where(col(Company.id).in_(ids)))
    session.flush()


# -- payments and credits ---------------------------------------------------------------------

_CARDS = {
    "USD": ("Visa •••• 4242", "Mastercard •••• 4444"),
    "EUR": ("Visa •••• 1881",),
    "JPY": ("JCB •••• 0505",),
}


@dataclass
class _PaymentPlan:
    """One demo payment: what arrived, and which invoices (and credit) it paid."""

    client_id: int
    currency: str
    when: datetime
    amount: int
    label: str
    method: str = "card"
    status: str = "completed"
    refunded: int = 0
    failure: str = ""
    # (invoice, amount, refunded, credit or None)
    allocations: list[tuple[Invoice, int, int, Credit | None]] = field(default_factory=list)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 15), tzinfo=UTC)


def _make_credit(session, company, client, number, currency, issue, inputs, *, status="sent"):
    lines = build_lines(inputs)
    credit = Credit(
        company_id=company.id,
        client_id=client.id,
        number=number,
        status=status,
        currency=currency,
        issue_date=issue,
        subtotal_minor=sum(line.net_minor for line in lines),
        tax_minor=sum(line.tax_minor for line in lines),
        public_notes="Available credit can pay your invoices at checkout.",
    )
    credit.amount_minor = credit.balance_minor = credit.subtotal_minor + credit.tax_minor
    session.add(credit)
    session.flush()
    session.add_all(copy_lines(lines, CreditLine, credit_id=credit.id))
    return credit


def _seed_payments_and_credits(session, company, acme, globex, invoices, today) -> None:
    """Payment rows behind every paid amount, plus a refund, a pre-payment, a failure, credits.

    Nothing here calls a gateway. Every invoice keeps amount = balance + net allocations and
    paid_to_date = net allocations.
    """
    rng = random.Random(20261126)  # noqa: S311 - demo data, not security
    plans: list[_PaymentPlan] = []
    paid = [inv for inv in invoices if inv.paid_to_date_minor > 0]
    for inv in paid:
        when = _at(
            min(today, inv.issue_date + timedelta(days=rng.randint(2, 25))), 9 + len(plans) % 8
        )
        label = rng.choice(_CARDS[inv.currency])
        plan = _PaymentPlan(inv.client_id, inv.currency, when, inv.paid_to_date_minor, label)
        plan.allocations.append((inv, inv.paid_to_date_minor, 0, None))
        plans.append(plan)

    acme_usd_paid = sorted(
        (
            p
            for p in plans
            if p.client_id == acme.id
            and p.currency == "USD"
            and p.allocations[0][0].status == "paid"
        ),
        key=lambda p: p.when,
    )
    # The newest paid Acme invoice was paid partly with credit CR-0001 (issued two weeks before).
    with_credit = acme_usd_paid[-1]
    used_credit = _make_credit(
        session,
        company,
        acme,
        "CR-0001",
        "USD",
        with_credit.when.date() - timedelta(days=14),
        [LineInput("Service credit for a hosting outage", 1000, 150_00)],
    )
    invoice = with_credit.allocations[0][0]
    credit_use = min(60_00, invoice.paid_to_date_minor // 2)
    with_credit.amount -= credit_use
    with_credit.allocations = [
        (invoice, invoice.paid_to_date_minor - credit_use, 0, None),
        (invoice, credit_use, 0, used_credit),
    ]
    used_credit.balance_minor -= credit_use
    used_credit.status = "partial"
    session.add(used_credit)

    # The one before it was paid twice by mistake; the second payment was refunded in full.
    twice = acme_usd_paid[-2]
    invoice = twice.allocations[0][0]
    duplicate = _PaymentPlan(
        acme.id, "USD", twice.when + timedelta(days=1), invoice.amount_minor, "Mastercard •••• 4444"
    )
    duplicate.status = "refunded"
    duplicate.refunded = invoice.amount_minor
    duplicate.allocations.append((invoice, invoice.amount_minor, invoice.amount_minor, None))
    plans.append(duplicate)

    # A pre-payment by bank transfer that no invoice has used yet.
    plans.append(
        _PaymentPlan(
            acme.id, "USD", _at(today - timedelta(days=6), 11), 500_00, "Bank transfer", "manual"
        )
    )
    # A declined card on an overdue invoice: recorded, nothing paid.
    overdue = next(
        inv
        for inv in invoices
        if inv.client_id == acme.id
        and inv.status == "sent"
        and inv.currency == "USD"
        and inv.due_date < today
    )
    plans.append(
        _PaymentPlan(
            acme.id,
            "USD",
            _at(today - timedelta(days=4), 16),
            overdue.balance_minor,
            "Visa •••• 0341",
            status="failed",
            failure="Your card was declined.",
        )
    )

    _make_credit(
        session,
        company,
        acme,
        "CR-0002",
        "USD",
        today - timedelta(days=20),
        [LineInput("Refund of unused hosting months", 3000, 29_00, *_TAXES["USD"])],
    )
    _make_credit(
        session,
        company,
        globex,
        "CR-0003",
        "JPY",
        today - timedelta(days=45),
        [LineInput("Volume discount", 1000, 5000, *_TAXES["JPY"])],
    )
    _make_credit(  # never shown in the portal
        session,
        company,
        acme,
        "CR-0004",
        "USD",
        today - timedelta(days=2),
        [LineInput("Draft credit under review", 1000, 50_00)],
        status="draft",
    )

    for plan in sorted(plans, key=lambda p: p.when):
        received = plan.status != "failed"
        payment = Payment(
            company_id=company.id,
            client_id=plan.client_id,
            number=f"tmp-demo-{uuid.uuid4().hex}",  # the real number needs the row id
            status=plan.status,
            currency=plan.currency,
            amount_minor=plan.amount,
            # What is on invoices now: card allocations net of their refunds.
            applied_minor=sum(a - r for _inv, a, r, credit in plan.allocations if credit is None),
            refunded_minor=plan.refunded,
            method=plan.method,
            method_label=plan.label,
            gateway="stripe" if plan.method == "card" else "",
            failure_message=plan.failure,
            paid_at=plan.when if received else None,
            created_at=plan.when,
            updated_at=plan.when,
        )
        session.add(payment)
        session.flush()
        payment.number = f"PAY-{payment.id:06d}"
        session.add(payment)
        for invoice, amount, refunded, credit in plan.allocations:
            session.add(
                PaymentAllocation(
                    company_id=company.id,
                    payment_id=payment.id,
                    credit_id=credit.id if credit else None,
                    invoice_id=invoice.id,
                    amount_minor=amount,
                    refunded_minor=refunded,
                    created_at=plan.when,
                )
            )
    session.flush()
