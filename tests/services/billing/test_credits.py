"""The client's credits: list, paging, labels, drafts hidden, detail with lines and uses."""

from datetime import date, timedelta

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.models import CreditLine
from portal_app.services.billing import credits
from portal_app.services.billing.invoice_math import LineInput, build_lines
from portal_app.services.payments import checkout as co
from portal_app.services.payments import checkout_flow as flow
from tests.helpers.ledger import assert_credit_consistent, assert_invoices_balance


def _lines(session, credit, inputs: list[LineInput]) -> None:
    """CreditLine rows for `credit`, and its totals from them."""
    built = build_lines(inputs)
    for line in built:
        session.add(
            CreditLine(
                credit_id=credit.id,
                position=line.position,
                description=line.description,
                quantity_milli=line.quantity_milli,
                unit_price_minor=line.unit_price_minor,
                tax_name=line.tax_name,
                tax_rate_bp=line.tax_rate_bp,
                net_minor=line.net_minor,
                tax_minor=line.tax_minor,
            )
        )
    credit.subtotal_minor = sum(line.net_minor for line in built)
    credit.tax_minor = sum(line.tax_minor for line in built)
    credit.amount_minor = credit.balance_minor = credit.subtotal_minor + credit.tax_minor
    session.add(credit)
    session.flush()


def test_list_hides_drafts_and_other_clients_newest_first(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    today = date.today()
    old = make.credit(mine, amount_minor=10_00, issue_date=today - timedelta(days=60))
    new = make.credit(mine, amount_minor=20_00, issue_date=today - timedelta(days=1))
    make.credit(mine, amount_minor=30_00, status="draft")
    make.credit(theirs, amount_minor=40_00)
    make.credit(make.client(make.company()), amount_minor=50_00)
    page = credits.list_credits(session, actor=actor)
    assert [row.id for row in page.rows] == [new.id, old.id]
    assert page.total == 2 and not page.has_next
    assert page.rows[0].amount == "$20.00" and page.rows[0].balance == "$20.00"


def test_status_labels_and_remaining_balance(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    made = {
        "sent": make.credit(client, amount_minor=100_00),
        "partial": make.credit(client, amount_minor=100_00, status="partial", balance_minor=25_00),
        "applied": make.credit(client, amount_minor=100_00, status="applied", balance_minor=0),
        "cancelled": make.credit(client, amount_minor=100_00, status="cancelled", balance_minor=0),
    }
    rows = {row.id: row for row in credits.list_credits(session, actor=actor).rows}
    labels = {status: rows[c.id].status_label for status, c in made.items()}
    assert labels == {
        "sent": "Available",
        "partial": "Partly used",
        "applied": "Used",
        "cancelled": "Cancelled",
    }
    assert rows[made["partial"].id].balance == "$25.00"
    assert rows[made["applied"].id].balance == "$0.00"


def test_paging_and_capped_count(make, session, monkeypatch):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    start = date(2025, 1, 1)
    made = [
        make.credit(client, amount_minor=100, issue_date=start + timedelta(days=i))
        for i in range(12)
    ]
    newest_first = [c.id for c in reversed(made)]
    first = credits.list_credits(session, actor=actor, page=1, page_size=10)
    second = credits.list_credits(session, actor=actor, page=2, page_size=10)
    assert [r.id for r in first.rows] + [r.id for r in second.rows] == newest_first
    assert first.has_next and not second.has_next and first.total == 12
    monkeypatch.setattr(credits, "COUNT_CAP", 5)
    capped = credits.list_credits(session, actor=actor, page_size=10)
    assert capped.total == 5 and capped.total_is_capped


def test_detail_with_lines_taxes_and_totals(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    credit = make.credit(client, amount_minor=0, public_notes="Sorry for the outage.")
    _lines(
        session,
        credit,
        [
            LineInput("Hosting refund", 2000, 29_00, "VAT", 2000),
            LineInput("Goodwill", 1000, 10_00),
        ],
    )
    view = credits.credit_view(session, actor=actor, credit_id=credit.id)
    assert [(ln.description, ln.quantity, ln.unit_price, ln.tax, ln.net) for ln in view.lines] == [
        ("Hosting refund", "2", "$29.00", "VAT 20%", "$58.00"),
        ("Goodwill", "1", "$10.00", "", "$10.00"),
    ]
    assert view.taxes == [("VAT 20%", "$11.60")]
    assert view.subtotal == "$68.00" and view.total == "$79.60"
    assert view.used == "$0.00" and view.balance == "$79.60"
    assert view.status_label == "Available" and view.uses == []
    assert view.public_notes == "Sorry for the outage."


def test_credit_used_in_a_real_payment_shows_where_it_went(
    make, session, tx, gateway, browser_card
):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    invoice = make.invoice(client)  # 240.00
    credit = make.credit(client, amount_minor=100_00)
    flow.setup_new_card(tx, actor=actor, gateway=gateway, purpose="test")
    with tx() as s:
        customer = co.customer_ref_for(s, actor=actor, gateway=gateway)
    started = co.start_checkout(
        session,
        actor=actor,
        request=co.CheckoutRequest(invoice_ids=[invoice.id], apply_credit=True),
    )
    outcome = flow.pay_with_card(
        tx,
        actor=actor,
        gateway=gateway,
        checkout_id=started.checkout_id,
        method_ref=browser_card(customer),
    )
    assert outcome.status == "succeeded"
    assert_invoices_balance(session, [invoice.id])
    assert_credit_consistent(session, credit.id)

    view = credits.credit_view(session, actor=actor, credit_id=credit.id)
    assert view.status_label == "Used"
    assert view.used == "$100.00" and view.balance == "$0.00"
    assert len(view.uses) == 1
    use = view.uses[0]
    assert (use.invoice_id, use.invoice_number, use.amount) == (
        invoice.id,
        invoice.number,
        "$100.00",
    )
    assert use.payment_id == outcome.payment_id and use.payment_number.startswith("PAY-")
    row = credits.list_credits(session, actor=actor).rows[0]
    assert row.status_label == "Used" and row.balance == "$0.00"


def test_foreign_draft_and_unknown_credits_are_not_found(make, session):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    actor = make.actor(make.contact(mine))
    foreign = make.credit(theirs, amount_minor=10_00)
    draft = make.credit(mine, amount_minor=10_00, status="draft")
    elsewhere = make.credit(make.client(make.company()), amount_minor=10_00)
    for bad in (foreign.id, draft.id, elsewhere.id, 999_999_999, 0, -3, False):
        with pytest.raises(NotFoundError):
            credits.credit_view(session, actor=actor, credit_id=bad)
    for raw in ("", "x", "-1", "²", "1.0"):
        with pytest.raises(NotFoundError):
            credits.parse_credit_id(raw)
    assert credits.parse_credit_id("17") == 17


def test_switched_off_module_is_closed(make, session):
    company = make.company(enabled_modules="invoices,payments")
    client = make.client(company)
    actor = make.actor(make.contact(client))
    credit = make.credit(client, amount_minor=10_00)
    with pytest.raises(NotFoundError):
        credits.list_credits(session, actor=actor)
    with pytest.raises(NotFoundError):
        credits.credit_view(session, actor=actor, credit_id=credit.id)
