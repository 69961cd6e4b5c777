"""Statements: opening + invoices - payments - credits = closing, per currency, aging, isolation."""

from datetime import UTC, date, datetime

import pytest

from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.models import Payment, PaymentAllocation
from portal_app.services.billing import statements
from portal_app.services.billing.invoice_math import LineInput


def _invoice(make, client, amount, issued, due=None, currency="USD", **kw):
    return make.invoice(
        client,
        lines=[LineInput("Work", 1000, amount)],
        issue_date=issued,
        due_date=due or issued,
        currency=currency,
        **kw,
    )


def _pay(session, invoice, amount, on, number, status="completed", credit=None):
    """Apply `amount` to `invoice` on day `on` (card money, or credit when `credit` is given)."""
    payment = None
    if credit is None:
        payment = Payment(
            company_id=invoice.company_id,
            client_id=invoice.client_id,
            number=number,
            status=status,
            currency=invoice.currency,
            amount_minor=amount,
            applied_minor=amount,
        )
        session.add(payment)
        session.flush()
    session.add(
        PaymentAllocation(
            company_id=invoice.company_id,
            payment_id=payment.id if payment else None,
            credit_id=credit.id if credit else None,
            invoice_id=invoice.id,
            amount_minor=amount,
            created_at=datetime(on.year, on.month, on.day, 12, 0, tzinfo=UTC),
        )
    )
    if status == "completed":
        invoice.paid_to_date_minor += amount
        invoice.balance_minor -= amount
        invoice.status = "paid" if invoice.balance_minor == 0 else "partial"
        session.add(invoice)
    session.flush()


def _check(view):
    assert (
        view.opening_minor + view.invoices_minor - view.payments_minor - view.credits_minor
        == view.closing_minor
    )
    if view.rows:
        assert view.rows[-1].balance_minor == view.closing_minor


@pytest.fixture
def ledger(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    a = _invoice(make, client, 1000_00, date(2024, 1, 10), date(2024, 2, 9))
    _pay(session, a, 300_00, date(2024, 1, 20), "P-1")
    _pay(session, a, 200_00, date(2024, 3, 5), "P-2")
    b = _invoice(make, client, 500_00, date(2024, 2, 15), date(2024, 3, 15))
    credit = make.credit(client, amount_minor=100_00, issue_date=date(2024, 2, 1))
    _pay(session, b, 100_00, date(2024, 2, 20), "", credit=credit)
    c = _invoice(make, client, 250_00, date(2024, 4, 1), date(2024, 5, 1))
    _invoice(make, client, 999_00, date(2024, 2, 1), status="draft")
    _invoice(make, client, 777_00, date(2024, 2, 1), status="cancelled")
    failed = _invoice(make, client, 50_00, date(2024, 2, 2))
    _pay(session, failed, 50_00, date(2024, 2, 3), "P-F", status="failed")
    return actor, client, (a, b, c, failed)


def test_range_starting_and_ending_inside_partial_payments(ledger, session):
    actor, _, _ = ledger
    # Starts after A's first part payment, ends before its second.
    [view] = statements.statement(
        session, actor=actor, start=date(2024, 1, 25), end=date(2024, 2, 28)
    )
    _check(view)
    assert view.opening_minor == 1000_00 - 300_00
    assert view.invoices_minor == 500_00 + 50_00  # B and the invoice whose payment failed
    assert view.payments_minor == 0
    assert view.credits_minor == 100_00
    assert view.closing_minor == 700_00 + 550_00 - 100_00
    assert [r.kind for r in view.rows] == ["invoice", "invoice", "credit"]
    assert view.closing == "$1,150.00"


def test_whole_year_and_adjacent_ranges_chain(ledger, session):
    actor, _, _ = ledger
    [year] = statements.statement(
        session, actor=actor, start=date(2024, 1, 1), end=date(2024, 12, 31)
    )
    _check(year)
    assert year.opening_minor == 0
    assert year.closing_minor == 1000_00 + 500_00 + 250_00 + 50_00 - 500_00 - 100_00
    [first] = statements.statement(
        session, actor=actor, start=date(2024, 1, 1), end=date(2024, 3, 4)
    )
    [second] = statements.statement(
        session, actor=actor, start=date(2024, 3, 5), end=date(2024, 12, 31)
    )
    _check(first), _check(second)
    assert first.closing_minor == second.opening_minor
    assert second.closing_minor == year.closing_minor
    assert second.payments_minor == 200_00


def test_toggles_hide_rows_but_not_money(ledger, session):
    actor, _, _ = ledger
    [view] = statements.statement(
        session,
        actor=actor,
        start=date(2024, 1, 1),
        end=date(2024, 12, 31),
        show_payments=False,
        show_credits=False,
        show_aging=False,
    )
    _check_totals = view.opening_minor + view.invoices_minor - view.payments_minor
    assert _check_totals - view.credits_minor == view.closing_minor
    assert {r.kind for r in view.rows} == {"invoice"}
    assert view.aging == []
    assert view.closing_minor == 1200_00


def test_status_filter(ledger, session):
    actor, _, (a, b, c, failed) = ledger
    [unpaid] = statements.statement(
        session, actor=actor, start=date(2024, 1, 1), end=date(2024, 12, 31), status="unpaid"
    )
    _check(unpaid)
    refs = {r.reference for r in unpaid.rows if r.kind == "invoice"}
    assert refs == {a.number, b.number, c.number, failed.number}
    with pytest.raises(ValidationError) as err:
        statements.statement(
            session, actor=actor, start=date(2024, 1, 1), end=date(2024, 1, 2), status="x"
        )
    assert err.value.field == "status"


def test_aging_buckets_on_fixed_dates(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    end = date(2024, 12, 31)
    _invoice(make, client, 1_00, date(2024, 12, 1), date(2025, 1, 15))  # not yet due
    _invoice(make, client, 2_00, date(2024, 11, 1), date(2024, 12, 31))  # due today: current
    _invoice(make, client, 4_00, date(2024, 11, 1), date(2024, 12, 1))  # 30 days
    _invoice(make, client, 8_00, date(2024, 10, 1), date(2024, 11, 30))  # 31 days
    _invoice(make, client, 16_00, date(2024, 9, 1), date(2024, 10, 2))  # 90 days
    _invoice(make, client, 32_00, date(2024, 8, 1), date(2024, 9, 1))  # 121 days
    part = _invoice(make, client, 64_00, date(2024, 8, 1), date(2024, 9, 2))  # 120 days
    _pay(session, part, 60_00, date(2024, 12, 1), "P-A1")
    _pay(session, part, 4_00, date(2025, 1, 2), "P-A2")  # after `end`: still open on end
    [view] = statements.statement(session, actor=actor, start=date(2024, 1, 1), end=end)
    _check(view)
    amounts = {b.label: b.amount_minor for b in view.aging}
    assert amounts == {
        "Current": 3_00,
        "1-30": 4_00,
        "31-60": 8_00,
        "61-90": 16_00,
        "91-120": 4_00,
        "Over 120": 32_00,
    }
    assert sum(amounts.values()) == view.closing_minor


def test_two_currencies_one_view_each(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    usd = _invoice(make, client, 100_00, date(2024, 5, 1))
    eur = _invoice(make, client, 70_00, date(2024, 5, 2), currency="EUR")
    _pay(session, usd, 40_00, date(2024, 5, 10), "P-U")
    _pay(session, eur, 70_00, date(2024, 5, 11), "P-E")
    views = statements.statement(session, actor=actor, start=date(2024, 5, 5), end=date(2024, 6, 1))
    assert [v.currency for v in views] == ["EUR", "USD"]
    eur_view, usd_view = views
    for view in views:
        _check(view)
    assert (eur_view.opening_minor, eur_view.payments_minor, eur_view.closing_minor) == (
        70_00,
        70_00,
        0,
    )
    assert (usd_view.opening_minor, usd_view.payments_minor, usd_view.closing_minor) == (
        100_00,
        40_00,
        60_00,
    )
    assert "€" in eur_view.closing or "EUR" in eur_view.closing


def test_empty_range_says_so_without_inventing_rows(make, session):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    [nothing] = statements.statement(
        session, actor=actor, start=date(2024, 1, 1), end=date(2024, 1, 31)
    )
    assert nothing.is_empty and nothing.rows == [] and nothing.closing_minor == 0
    _invoice(make, client, 10_00, date(2023, 6, 1))
    [quiet] = statements.statement(
        session, actor=actor, start=date(2024, 1, 1), end=date(2024, 1, 31)
    )
    assert quiet.is_empty and quiet.rows == []
    assert quiet.opening_minor == quiet.closing_minor == 10_00


def test_bad_ranges_name_the_field(make, session):
    company = make.company()
    actor = make.actor(make.contact(make.client(company)))
    with pytest.raises(ValidationError) as err:
        statements.statement(session, actor=actor, start=date(2024, 2, 1), end=date(2024, 1, 31))
    assert err.value.field == "end"
    with pytest.raises(ValidationError) as err:
        statements.statement(session, actor=actor, start=date(2010, 1, 1), end=date(2020, 1, 2))
    assert err.value.field == "end" and "10 years" in err.value.message
    [ok] = statements.statement(session, actor=actor, start=date(2010, 1, 1), end=date(2020, 1, 1))
    assert ok.is_empty
    with pytest.raises(ValidationError) as err:
        statements.parse_day("2024-13-01", "start")
    assert err.value.field == "start"
    with pytest.raises(ValidationError) as err:
        statements.parse_day("", "end")
    assert err.value.field == "end"
    assert statements.parse_day("2024-02-29", "start") == date(2024, 2, 29)


def test_isolation_between_clients_and_companies(ledger, make, session):
    actor, client, _ = ledger
    other = make.client(make.company())
    # Same company, another client.
    from portal_app.models import Company

    sibling = make.client(session.get(Company, client.company_id))
    _invoice(make, other, 5000_00, date(2024, 2, 1))
    _invoice(make, sibling, 5000_00, date(2024, 2, 1))
    [view] = statements.statement(
        session, actor=actor, start=date(2024, 1, 1), end=date(2024, 12, 31)
    )
    assert view.closing_minor == 1200_00
    other_actor = make.actor(make.contact(other))
    [theirs] = statements.statement(
        session, actor=other_actor, start=date(2024, 1, 1), end=date(2024, 12, 31)
    )
    assert theirs.closing_minor == 5000_00
    assert all(r.reference not in {"P-1", "P-2"} for r in theirs.rows)


def test_module_switched_off_is_not_found(make, session):
    company = make.company(enabled_modules="invoices")
    actor = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        statements.statement(session, actor=actor, start=date(2024, 1, 1), end=date(2024, 1, 2))


def test_presets_on_fixed_days():
    today = date(2024, 3, 15)
    assert statements.preset_range("this_month", today) == (date(2024, 3, 1), today)
    assert statements.preset_range("last_month", today) == (date(2024, 2, 1), date(2024, 2, 29))
    assert statements.preset_range("this_quarter", today) == (date(2024, 1, 1), today)
    assert statements.preset_range("this_quarter", date(2024, 8, 2))[0] == date(2024, 7, 1)
    assert statements.preset_range("this_year", today) == (date(2024, 1, 1), today)
    assert statements.preset_range("last_year", today) == (date(2023, 1, 1), date(2023, 12, 31))
    assert statements.preset_range("last_month", date(2024, 1, 5)) == (
        date(2023, 12, 1),
        date(2023, 12, 31),
    )
    assert statements.preset_range("custom", today) is None


def test_a_window_of_rows_keeps_every_total_and_balance(ledger, session):
    actor, _, _ = ledger
    span = {"start": date(2024, 1, 1), "end": date(2024, 12, 31)}
    [whole] = statements.statement(session, actor=actor, **span)
    [window] = statements.statement(session, actor=actor, row_offset=2, row_limit=3, **span)
    assert whole.row_count == window.row_count == len(whole.rows) == 7
    assert window.row_offset == 2 and window.rows == whole.rows[2:5]
    assert (window.closing, window.opening, window.invoices_total) == (
        whole.closing,
        whole.opening,
        whole.invoices_total,
    )
    [past_end] = statements.statement(session, actor=actor, row_offset=50, row_limit=3, **span)
    assert past_end.rows == [] and past_end.row_count == 7 and not past_end.is_empty
    # Hidden payments are not counted as lines; a negative offset is the start.
    [no_pay] = statements.statement(
        session, actor=actor, show_payments=False, row_offset=-5, row_limit=2, **span
    )
    [all_no_pay] = statements.statement(session, actor=actor, show_payments=False, **span)
    assert no_pay.row_count == 5 and no_pay.rows == all_no_pay.rows[:2]
    assert "payment" not in {r.kind for r in all_no_pay.rows}
