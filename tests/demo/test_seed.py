"""The demo seed: repeatable, and its money adds up (invoices, payments, credits)."""

from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from portal_app.demo import seed as demo
from portal_app.models import (
    Client,
    ClientContact,
    Company,
    Credit,
    CreditLine,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
)
from portal_app.services.billing import credits
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import payments
from tests.helpers.ledger import (
    assert_client_ledger,
    assert_credit_consistent,
    assert_payment_consistent,
)

TODAY = date(2026, 6, 15)


def _counts(session, company_id: int) -> dict[str, int]:
    invoice_ids = select(Invoice.id).where(Invoice.company_id == company_id)
    credit_ids = select(Credit.id).where(Credit.company_id == company_id)

    def count(model, *where) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    return {
        "companies": count(Company, Company.name == demo.DEMO_COMPANY),
        "clients": count(Client, Client.company_id == company_id),
        "contacts": count(ClientContact, ClientContact.company_id == company_id),
        "invoices": count(Invoice, Invoice.company_id == company_id),
        "invoice_lines": count(InvoiceLine, col(InvoiceLine.invoice_id).in_(invoice_ids)),
        "payments": count(Payment, Payment.company_id == company_id),
        "allocations": count(PaymentAllocation, PaymentAllocation.company_id == company_id),
        "credits": count(Credit, Credit.company_id == company_id),
        "credit_lines": count(CreditLine, col(CreditLine.credit_id).in_(credit_ids)),
    }


def _actor(session, email: str) -> Actor:
    contact = session.exec(select(ClientContact).where(ClientContact.email == email)).one()
    return Actor(contact.company_id, contact.client_id, contact.id, 0, "password")


def test_seeding_twice_gives_the_same_data(session):
    first = demo.seed_demo(session, today=TODAY)
    before = _counts(session, first.company_id)
    second = demo.seed_demo(session, today=TODAY)
    after = _counts(session, second.company_id)
    assert before == after
    # 40 one-off invoices, 9 issued by the recurring schedules, 1 for Acme's subscription.
    assert after["companies"] == 1 and after["invoices"] == 50
    assert after["payments"] >= 20 and after["credits"] == 4


def test_every_demo_invoice_adds_up(session):
    result = demo.seed_demo(session, today=TODAY)
    invoices = session.exec(select(Invoice).where(Invoice.company_id == result.company_id)).all()
    for invoice in invoices:
        net = session.exec(
            select(
                func.coalesce(
                    func.sum(PaymentAllocation.amount_minor - PaymentAllocation.refunded_minor), 0
                )
            ).where(PaymentAllocation.invoice_id == invoice.id)
        ).one()
        assert invoice.paid_to_date_minor == int(net), invoice.number
        if invoice.status == "cancelled":
            assert invoice.balance_minor == 0 and int(net) == 0, invoice.number
        else:
            assert invoice.amount_minor == invoice.balance_minor + int(net), invoice.number
        assert invoice.balance_minor >= 0
        assert invoice.status != "paid" or invoice.balance_minor == 0
    paid = [inv for inv in invoices if inv.status in ("paid", "partial")]
    assert paid and all(inv.paid_to_date_minor > 0 for inv in paid)
    for payment in session.exec(select(Payment).where(Payment.company_id == result.company_id)):
        assert_payment_consistent(session, payment.id)
        assert payment.number == f"PAY-{payment.id:06d}"
        assert payment.gateway_reference is None  # no gateway was called
    for credit in session.exec(select(Credit).where(Credit.company_id == result.company_id)):
        assert_credit_consistent(session, credit.id)
        lines = session.exec(select(CreditLine).where(CreditLine.credit_id == credit.id)).all()
        assert credit.amount_minor == sum(ln.net_minor + ln.tax_minor for ln in lines)
    # The seed writes its history directly (see tests/services/payments/test_ledger_guard.py): the
    # ledger's rules must hold on it as on anything the portal did itself.
    for client in session.exec(select(Client).where(Client.company_id == result.company_id)):
        assert_client_ledger(session, client)


def test_demo_shows_every_payment_case_in_the_portal(session):
    demo.seed_demo(session, today=TODAY)
    acme = _actor(session, demo.CLIENT_EMAIL)
    rows = payments.list_payments(session, actor=acme, page_size=100).rows
    labels = {row.status_label for row in rows}
    assert {"Completed", "Refunded", "Failed"} <= labels
    assert [row.method_label for row in rows if row.unapplied] == ["Bank transfer"]
    created = [session.get(Payment, row.id).created_at for row in rows]
    assert created == sorted(created, reverse=True)  # newest first
    with_credit = [
        payments.payment_view(session, actor=acme, payment_id=row.id)
        for row in rows
        if row.status == "completed"
    ]
    assert [c.number for view in with_credit for c in view.credits] == ["CR-0001"]
    refunded = next(row for row in rows if row.status_label == "Refunded")
    view = payments.payment_view(session, actor=acme, payment_id=refunded.id)
    assert view.invoices[0].refunded == view.invoices[0].applied
    acme_credits = credits.list_credits(session, actor=acme).rows
    assert sorted((c.number, c.status_label) for c in acme_credits) == [
        ("CR-0001", "Partly used"),
        ("CR-0002", "Available"),
    ]
    globex = _actor(session, demo.OTHER_EMAIL)
    assert [c.number for c in credits.list_credits(session, actor=globex).rows] == ["CR-0003"]
    globex_rows = payments.list_payments(session, actor=globex).rows
    assert globex_rows and {r.id for r in globex_rows}.isdisjoint({r.id for r in rows})
