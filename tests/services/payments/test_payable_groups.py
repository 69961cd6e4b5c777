"""'Pay all due' totals: summed in the database, equal to the per-invoice amount due."""

from datetime import date, timedelta

from portal_app.core.money import format_money
from portal_app.services.payments import checkout as co


def test_groups_sum_what_each_invoice_asks_per_currency(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    cases = [
        # (currency, status, partial deposit, paid so far)
        ("USD", "sent", 0, 0),  # the balance
        ("USD", "partial", 0, 50_00),  # what is left
        ("USD", "sent", 30_00, 0),  # the deposit first
        ("USD", "partial", 30_00, 10_00),  # the rest of the deposit
        ("USD", "partial", 30_00, 30_00),  # deposit paid: the balance
        ("USD", "sent", 500_00, 0),  # deposit above the balance: only the balance
        ("EUR", "sent", 0, 0),
        ("USD", "paid", 0, 0),  # nothing due
        ("USD", "cancelled", 0, 0),
        ("USD", "draft", 0, 0),
    ]
    invoices = [
        make.invoice(client, currency=cur, status=status, partial_minor=part, paid_minor=paid)
        for cur, status, part, paid in cases
    ]
    expected: dict[str, list[int]] = {}
    for inv in invoices:
        if (due := co.amount_due_minor(inv)) > 0:
            expected.setdefault(inv.currency, []).append(due)

    groups = co.payable_groups(session, actor=actor)

    assert [g.currency for g in groups] == ["EUR", "USD"]
    by_currency = {g.currency: g for g in groups}
    assert by_currency["USD"].count == len(expected["USD"]) == 6
    assert by_currency["EUR"].count == 1
    for cur, amounts in expected.items():
        assert by_currency[cur].total == format_money(sum(amounts), cur, "en_US")


def test_groups_leave_out_other_clients_and_are_empty_with_nothing_due(make, session):
    company = make.company()
    mine = make.client(company)
    actor = make.actor(make.contact(mine))
    assert co.payable_groups(session, actor=actor) == []
    make.invoice(make.client(company), currency="USD")  # another client of the same company
    make.invoice(make.client(make.company()), currency="USD")  # another company's client
    make.invoice(mine, status="paid", paid_minor=120_00)
    assert co.payable_groups(session, actor=actor) == []


def test_the_button_and_the_checkout_it_opens_count_the_same_invoices(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    make.invoice(client, currency="USD", status="sent", partial_minor=30_00)
    make.invoice(client, currency="USD", status="partial", paid_minor=50_00)
    make.invoice(client, currency="EUR", status="sent")
    make.invoice(client, currency="USD", status="paid", paid_minor=120_00)
    for group in co.payable_groups(session, actor=actor):
        ids = co.payable_ids(session, actor=actor, currency=group.currency)
        preview = co.preview(session, actor=actor, invoice_ids=ids)
        assert group.count == len(ids) == len(preview.lines)
        assert group.total == preview.total


def test_more_than_one_checkout_holds_the_oldest_due_in_both(make, session, monkeypatch):
    """The button used to add up every due invoice while its checkout took only the first
    MAX_INVOICES_PER_CHECKOUT: it promised a total the page did not charge."""
    monkeypatch.setattr(co, "MAX_INVOICES_PER_CHECKOUT", 3)
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    today = date.today()
    invoices = [
        make.invoice(client, currency="USD", due_date=today + timedelta(days=days))
        for days in (40, 10, 30, 20, 50)
    ]
    oldest = sorted(invoices, key=lambda inv: inv.due_date)[:3]
    ids = co.payable_ids(session, actor=actor, currency="USD")
    assert ids == [inv.id for inv in oldest]
    [group] = co.payable_groups(session, actor=actor)
    assert group.count == 3
    assert group.total == format_money(sum(inv.balance_minor for inv in oldest), "USD", "en_US")
