"""One scoping rule for every client query (services/identity/scope.py): another client's
record, in the same company or another, is "not found"; an e-mailed-link session sees only
its document; and no client service compares `X.client_id == actor.client_id` itself."""

import ast
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.models import Company, Invoice, PaymentMethod, Quote, Subscription
from portal_app.services.billing import credits, invoices, quotes, recurring
from portal_app.services.documents import documents
from portal_app.services.identity.scope import client_scope, get_client_record
from portal_app.services.payments import ledger, payment_methods, payments
from portal_app.services.subscriptions import subscriptions
from tests.helpers.quotes import add_quote
from tests.helpers.recurring import add_recurring
from tests.helpers.subscriptions import plan

SERVICES = Path(__file__).resolve().parents[3] / "portal_app" / "services"
HELPER = SERVICES / "identity" / "scope.py"

# (path under portal_app/services, model) -> why that query may compare client ids itself.
ALLOWED: dict[tuple[str, str], str] = {}


def _column_owner(node: ast.expr) -> str | None:
    """`Model` for `Model.client_id` or `col(Model.client_id)` (a class: a SQL column)."""
    if isinstance(node, ast.Call) and node.args:
        node = node.args[0]
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "client_id"
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    ):
        return node.value.id
    return None


def _is_actor_client(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "client_id"
        and isinstance(node.value, ast.Name)
        and node.value.id == "actor"
    )


def scoped_by_hand(source: str) -> list[tuple[str, int]]:
    """(model, line) of every SQL comparison of a client_id column with actor.client_id."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for left, right in zip(sides, sides[1:], strict=False):
            for column, other in ((left, right), (right, left)):
                owner = _column_owner(column)
                if owner and _is_actor_client(other):
                    found.append((owner, node.lineno))
    return found


def test_the_scan_sees_a_hand_written_client_condition():
    source = (
        "select(Invoice).where(Invoice.client_id == actor.client_id)\n"
        "select(Quote).where(actor.client_id == col(Quote.client_id))\n"
        "ok = checkout.client_id == actor.client_id\n"  # a loaded row, not a query
    )
    assert scoped_by_hand(source) == [("Invoice", 1), ("Quote", 2)]


def test_client_queries_go_through_the_scope_helper():
    offenders = []
    for path in sorted(SERVICES.rglob("*.py")):
        if path == HELPER:
            continue
        relative = path.relative_to(SERVICES).as_posix()
        for model, line in scoped_by_hand(path.read_text()):
            if (relative, model) not in ALLOWED:
                offenders.append(f"{relative}:{line} {model}.client_id == actor.client_id")
    assert offenders == [], (
        "use services/identity/scope.client_scope (or get_client_record) instead: " + str(offenders)
    )


def test_every_allow_list_entry_has_a_reason_and_is_still_needed():
    for (relative, model), reason in ALLOWED.items():
        assert reason.strip(), relative
        assert model in {m for m, _ in scoped_by_hand((SERVICES / relative).read_text())}


# -- behaviour --------------------------------------------------------------------------------


@pytest.fixture
def docs_root(tmp_path, monkeypatch):
    from portal_app.core.settings import get_settings

    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _records(session, make, client) -> dict[str, int]:
    """One record of each client-owned type the portal shows, for `client`; the payment and
    the document hang off the invoice."""
    invoice = make.invoice(client)
    payment = make.payment(client, amount_minor=10_00, method="manual")
    ledger.allocate_payment(session, payment=payment, invoice_id=invoice.id, amount_minor=10_00)
    document = documents.store_document(
        session,
        company_id=client.company_id,
        client_id=client.id,
        data=b"%PDF-1.4\n" + str(invoice.id).encode() + b"\n%%EOF\n",
        name=f"{invoice.number}.pdf",
        invoice_id=invoice.id,
    )
    card = PaymentMethod(
        company_id=client.company_id,
        client_id=client.id,
        customer_ref=f"cus_{client.id}",
        method_ref=f"pm_{client.id}_{invoice.id}",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2031,
    )
    subscription = Subscription(
        company_id=client.company_id,
        client_id=client.id,
        plan_id=plan(session, session.get(Company, client.company_id)).id,
        current_period_start=date(2026, 1, 1),
        current_period_end=date(2026, 2, 1),
    )
    session.add_all([card, subscription])
    session.flush()
    return {
        "invoice": invoice.id,
        "quote": add_quote(session, client, number=f"Q-{invoice.id}").id,
        "credit": make.credit(client, amount_minor=5_00).id,
        "payment": payment.id,
        "recurring": add_recurring(
            session, client, number=f"R-{invoice.id}", start_date=date(2026, 1, 1)
        ).id,
        "subscription": subscription.id,
        "document": document.id,
        "payment method": card.id,
    }


GETTERS = {
    "invoice": lambda s, a, i: invoices.get_client_invoice(s, actor=a, invoice_id=i),
    "quote": lambda s, a, i: quotes.get_client_quote(s, actor=a, quote_id=i),
    "credit": lambda s, a, i: credits.get_client_credit(s, actor=a, credit_id=i),
    "payment": lambda s, a, i: payments.get_client_payment(s, actor=a, payment_id=i),
    "recurring": lambda s, a, i: recurring.get_client_recurring(s, actor=a, recurring_id=i),
    "subscription": lambda s, a, i: subscriptions.get_own(s, actor=a, subscription_id=i),
    "document": lambda s, a, i: documents.get_client_document(s, actor=a, document_id=i),
    "payment method": lambda s, a, i: payment_methods.owned_method(s, actor=a, method_id=i),
}


@pytest.mark.parametrize("kind", list(GETTERS))
def test_another_clients_record_is_not_found(session, make, docs_root, kind):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    mine = _records(session, make, client)
    neighbour = _records(session, make, make.client(company))
    stranger = _records(session, make, make.client(make.company()))

    assert GETTERS[kind](session, actor, mine[kind]).id == mine[kind]
    for theirs in (neighbour, stranger):
        with pytest.raises(NotFoundError):
            GETTERS[kind](session, actor, theirs[kind])


def test_get_client_record_refuses_malformed_ids_and_adds_the_modules_rule(session, make):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)
    draft = make.invoice(client, status="draft")

    found = get_client_record(session, Invoice, invoice.id, actor=actor, noun="invoice")
    assert found.id == invoice.id
    for bad in (0, -1, True, "1", 2**31, None):
        with pytest.raises(NotFoundError):
            get_client_record(session, Invoice, bad, actor=actor, noun="invoice")
    with pytest.raises(NotFoundError):
        get_client_record(
            session, Invoice, draft.id, actor=actor, noun="invoice", where=Invoice.status != "draft"
        )


def test_a_link_session_sees_only_its_document(session, make, docs_root):
    client = make.client(make.company())
    contact = make.contact(client)
    linked, other = _records(session, make, client), _records(session, make, client)

    by_invoice = make.actor(contact, "link", link_to=session.get(Invoice, linked["invoice"]))
    for kind in ("invoice", "payment", "document"):
        assert GETTERS[kind](session, by_invoice, linked[kind]).id == linked[kind]
        with pytest.raises(NotFoundError):
            GETTERS[kind](session, by_invoice, other[kind])
    for kind in ("quote", "payment method"):  # not what the link named; no saved cards
        with pytest.raises(NotFoundError):
            GETTERS[kind](session, by_invoice, linked[kind])

    by_quote = make.actor(contact, "link", link_to=session.get(Quote, linked["quote"]))
    assert GETTERS["quote"](session, by_quote, linked["quote"]).id == linked["quote"]
    for kind in ("quote", "invoice"):
        with pytest.raises(NotFoundError):
            GETTERS[kind](session, by_quote, other[kind])

    # The helper itself, on a list query: only the linked row.
    rows = session.exec(select(Invoice.id).where(client_scope(Invoice, by_invoice))).all()
    assert list(rows) == [linked["invoice"]]
    everyone = session.exec(
        select(Invoice.id).where(client_scope(Invoice, by_invoice, whole_client=True))
    ).all()
    assert sorted(everyone) == sorted([linked["invoice"], other["invoice"]])
