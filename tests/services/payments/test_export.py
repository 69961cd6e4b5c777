"""Exports of invoices, payments and credits (services/payments/export.py and
services/billing/export.py), read back with csv and openpyxl."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.models import PaymentAllocation
from portal_app.services.billing import export as files
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.company import modules
from portal_app.services.payments import export


def _year_to(day: date) -> tuple[str, str]:
    """The export form's default range: the year up to `day`, as ISO dates."""
    return (day - timedelta(days=365)).isoformat(), day.isoformat()


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx(data: bytes) -> tuple[list[str], list[list]]:
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    return [c.value for c in rows[0]], rows[1:]


def _export(session, actor, kind, fmt="csv", start=None, end=None, **kw):
    # The default range ends today (UTC, as the rows' stamps), read when the export runs.
    year_start, year_end = _year_to(utcnow().date())
    start = year_start if start is None else start
    end = year_end if end is None else end
    return export.export_file(session, actor=actor, kind=kind, start=start, end=end, fmt=fmt, **kw)


def _client(make):
    company = make.company()
    client = make.client(company)
    return company, client, make.actor(make.contact(client))


def test_invoices_csv_has_exact_amounts_iso_dates_and_only_the_clients_rows(make, session, today):
    company, client, actor = _client(make)
    issued = today - timedelta(days=20)
    mine = make.invoice(client, issue_date=issued, paid_minor=50_00, status="partial")
    make.invoice(client, status="draft", issue_date=issued)
    make.invoice(make.client(company), issue_date=issued)  # another client, same company
    make.invoice(make.client(make.company()), issue_date=issued)
    name, media_type, data = _export(session, actor, "invoices")
    start, end = _year_to(today)
    assert name == f"invoices-{start}-{end}.csv" and media_type.startswith("text/csv")
    rows = _csv(data)
    assert [r["Number"] for r in rows] == [mine.number]
    row = rows[0]
    assert row["Issue date"] == issued.isoformat()
    assert row["Due date"] == mine.due_date.isoformat()
    assert row["Currency"] == "USD"
    # 2 x 100.00 + 20 % VAT = 240.00, 50.00 paid.
    assert (row["Amount"], row["Paid"], row["Balance"]) == ("240.00", "50.00", "190.00")
    assert row["Status"] == "Partly paid"


def test_invoices_follow_the_lists_filter_search_and_sort(make, session, today):
    _company, client, actor = _client(make)
    day = today - timedelta(days=5)
    paid = make.invoice(client, number="EXP-PAID-1", issue_date=day, status="paid")
    paid.balance_minor, paid.paid_to_date_minor = 0, paid.amount_minor
    session.add(paid)
    overdue = make.invoice(
        client, number="EXP-LATE-1", issue_date=day - timedelta(days=60), due_date=day
    )
    open_ = make.invoice(client, number="EXP-OPEN-2", issue_date=day, due_date=today + timedelta(3))
    session.flush()

    def numbers(**kw):
        return [r["Number"] for r in _csv(_export(session, actor, "invoices", **kw)[2])]

    assert numbers(status="paid") == [paid.number]
    assert numbers(status="overdue") == [overdue.number]
    assert set(numbers(status="unpaid")) == {overdue.number, open_.number}
    assert numbers(search="open") == [open_.number]
    assert numbers(sort="number", descending=False) == sorted(
        [paid.number, overdue.number, open_.number]
    )
    # Unknown filter values fall back as the list's do (all, by date).
    assert len(numbers(status="bogus", sort="bogus")) == 3


def test_date_range_is_inclusive_and_checked(make, session, today):
    _company, client, actor = _client(make)
    first = make.invoice(client, issue_date=date(2025, 3, 1))
    last = make.invoice(client, issue_date=date(2025, 3, 31))
    make.invoice(client, issue_date=date(2025, 2, 28))
    make.invoice(client, issue_date=date(2025, 4, 1))
    data = _export(session, actor, "invoices", start="2025-03-01", end="2025-03-31")[2]
    assert {r["Number"] for r in _csv(data)} == {first.number, last.number}
    year_start, year_end = _year_to(today)
    for start, end, field in [
        ("", year_end, "start"),
        ("2025-13-01", year_end, "start"),
        ("01/03/2025", year_end, "start"),
        (year_start, "", "end"),
        ("2025-03-31", "2025-03-01", "end"),
        ("2000-01-01", "2025-01-01", "end"),  # more than ten years
    ]:
        with pytest.raises(ValidationError) as err:
            _export(session, actor, "invoices", start=start, end=end)
        assert err.value.field == field
    with pytest.raises(ValidationError) as err:
        _export(session, actor, "invoices", fmt="pdf")
    assert err.value.field == "format"
    with pytest.raises(NotFoundError):
        _export(session, actor, "quotes")


def test_jpy_and_kwd_keep_their_decimals_in_csv_and_xlsx(make, session, today):
    _company, client, actor = _client(make)
    day = today - timedelta(days=3)
    yen = make.invoice(
        client, currency="JPY", issue_date=day, lines=[LineInput("Work", 1000, 1500, "", 0)]
    )
    dinar = make.invoice(
        client, currency="KWD", issue_date=day, lines=[LineInput("Work", 1000, 1250, "", 0)]
    )
    rows = {r["Number"]: r for r in _csv(_export(session, actor, "invoices")[2])}
    assert rows[yen.number]["Amount"] == "1500" and rows[yen.number]["Currency"] == "JPY"
    assert rows[dinar.number]["Amount"] == "1.250" and rows[dinar.number]["Currency"] == "KWD"

    name, media_type, data = _export(session, actor, "invoices", fmt="xlsx")
    assert name.endswith(".xlsx") and "spreadsheetml" in media_type
    headers, cells = _xlsx(data)
    assert headers[:6] == ["Number", "Issue date", "Due date", "Status", "Currency", "Amount"]
    by_number = {row[0].value: row for row in cells}
    yen_amount = by_number[yen.number][5]
    assert yen_amount.value == 1500 and yen_amount.number_format == "0"
    dinar_amount = by_number[dinar.number][5]
    assert Decimal(str(dinar_amount.value)) == Decimal("1.250")
    assert dinar_amount.number_format == "0.000"
    issue = by_number[yen.number][1]
    assert issue.value.date() == day and issue.number_format == "yyyy-mm-dd"


def test_xlsx_amounts_are_exact_numbers_never_rounded_floats(make, session, today):
    _company, client, actor = _client(make)
    made = make.invoice(
        client, issue_date=today, lines=[LineInput("Work", 1000, 1_234_567_89, "", 0)]
    )
    _headers, cells = _xlsx(_export(session, actor, "invoices", fmt="xlsx")[2])
    amount = next(row for row in cells if row[0].value == made.number)[5]
    assert Decimal(str(amount.value)) == Decimal("1234567.89")
    assert amount.number_format == "0.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_is_escaped(make, session, fmt, today):
    _company, client, actor = _client(make)
    numbers = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "OK-1"]
    for number in numbers:
        make.invoice(client, number=number, issue_date=today)
    po = make.invoice(client, number="PO-1", issue_date=today, po_number='=HYPERLINK("x")')
    data = _export(session, actor, "invoices", fmt=fmt)[2]
    if fmt == "csv":
        got = {r["Number"] for r in _csv(data)}
        po_cell = next(r["PO number"] for r in _csv(data) if r["Number"] == po.number)
    else:
        _headers, cells = _xlsx(data)
        assert all(row[0].data_type == "s" and row[8].data_type != "f" for row in cells)
        got = {row[0].value for row in cells}
        po_cell = next(row[8].value for row in cells if row[0].value == po.number)
    assert got == {"'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTAB", "OK-1", "PO-1"}
    assert po_cell == '\'=HYPERLINK("x")'


def test_payments_export_dates_amounts_credit_and_unapplied(make, session, today):
    _company, client, actor = _client(make)
    when = datetime.combine(today - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    invoice = make.invoice(client)
    paid = make.payment(
        client,
        amount_minor=100_00,
        applied_minor=60_00,
        refunded_minor=10_00,
        paid_at=when,
        method_label="Visa •••• 4242",
    )
    credit = make.credit(client, amount_minor=30_00, balance_minor=0, status="applied")
    session.add(
        PaymentAllocation(
            company_id=client.company_id,
            payment_id=paid.id,
            invoice_id=invoice.id,
            amount_minor=60_00,
        )
    )
    session.add(
        PaymentAllocation(
            company_id=client.company_id,
            payment_id=paid.id,
            credit_id=credit.id,
            invoice_id=invoice.id,
            amount_minor=30_00,
        )
    )
    old = make.payment(client, paid_at=when - timedelta(days=400))
    make.payment(make.client(make.company()), paid_at=when)
    session.flush()
    rows = _csv(_export(session, actor, "payments")[2])
    assert [r["Reference"] for r in rows] == [paid.number]
    row = rows[0]
    assert row["Date"] == when.date().isoformat() and row["Method"] == "Visa •••• 4242"
    assert (row["Amount"], row["Credit used"], row["Refunded"], row["Unapplied"]) == (
        "100.00",
        "30.00",
        "10.00",
        "30.00",
    )
    assert row["Status"] == "Completed"
    older = _export(
        session, actor, "payments", start=today - timedelta(days=3000), end=today - timedelta(300)
    )[2]
    assert [r["Reference"] for r in _csv(older)] == [old.number]


def test_credits_export_hides_drafts_and_others(make, session, today):
    _company, client, actor = _client(make)
    mine = make.credit(client, amount_minor=1500, currency="JPY", issue_date=today)
    make.credit(client, amount_minor=10_00, status="draft", issue_date=today)
    make.credit(make.client(make.company()), amount_minor=10_00, issue_date=today)
    _headers, cells = _xlsx(_export(session, actor, "credits", fmt="xlsx")[2])
    assert [[c.value for c in row][:4] for row in cells] == [
        [mine.number, datetime.combine(today, datetime.min.time()), "Available", "JPY"]
    ]
    assert cells[0][4].value == 1500 and cells[0][5].value == 1500


def test_link_session_exports_only_its_invoice(make, session, today):
    _company, client, _actor = _client(make)
    linked = make.invoice(client, issue_date=today)
    make.invoice(client, issue_date=today)
    link = make.actor(make.contact(client), kind="link", link_to=linked)
    assert [r["Number"] for r in _csv(_export(session, link, "invoices")[2])] == [linked.number]


def test_module_switched_off_is_not_found(make, session, monkeypatch):
    _company, _client_row, actor = _client(make)

    def off(session, *, actor, module):
        raise NotFoundError(module)

    monkeypatch.setattr(modules, "require", off)
    for kind in export.KINDS:
        with pytest.raises(NotFoundError):
            _export(session, actor, kind)


def test_too_many_rows_asks_for_a_shorter_range(make, session, monkeypatch, today):
    _company, client, actor = _client(make)
    for _ in range(3):
        make.invoice(client, issue_date=today)
    monkeypatch.setattr(files, "MAX_ROWS", 2)
    with pytest.raises(ValidationError) as err:
        _export(session, actor, "invoices")
    assert err.value.field == "end"
