"""Parsing staff document forms: money, quantities, rates, dates, lines; field-level errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal_app.services.billing.document_forms import (
    FormErrors,
    LineForm,
    parse_document,
    parse_price,
    parse_quantity,
    parse_rate,
)
from tests.helpers.staff_docs import invoice_form


@pytest.mark.parametrize(
    ("text", "milli"), [("1", 1000), ("2.5", 2500), ("0.001", 1), ("1,000", 1_000_000)]
)
def test_quantities(text, milli):
    assert parse_quantity(text) == milli


@pytest.mark.parametrize("text", ["0", "-1", "1.0001", "abc", "", "1e3", "99999999", "NaN"])
def test_bad_quantities(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_prices_follow_the_currency():
    assert parse_price("12.50", "USD") == 1250
    assert parse_price("1200", "JPY") == 1200
    assert parse_price("1.125", "KWD") == 1125
    assert parse_price("0", "USD") == 0
    for bad, currency in [("12.505", "USD"), ("12.5", "JPY"), ("-1", "USD"), ("", "USD")]:
        with pytest.raises(ValueError):
            parse_price(bad, currency)
    with pytest.raises(ValueError, match="too large"):
        parse_price("999999999999999", "USD")


def test_rates():
    assert parse_rate("") == 0
    assert parse_rate("20") == 2000
    assert parse_rate("7.25%") == 725
    for bad in ["-5", "100.01", "7.255", "x"]:
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_a_good_form_is_totalled_on_the_server(session, make):
    company = make.company()
    client = make.client(company)
    form = invoice_form(
        client.id,
        lines=[
            LineForm("Consulting", "2", "100.00", "VAT", "20"),
            LineForm("Travel", "1.5", "10.01", "", ""),
        ],
    )
    parsed = parse_document(session, company_id=company.id, form=form, kind="invoice")
    assert parsed.subtotal_minor == 200_00 + 1502  # 1.5 x 10.01 = 15.015 -> 15.02
    assert parsed.tax_minor == 40_00
    assert parsed.amount_minor == 255_02
    assert parsed.currency == "USD"


def test_every_wrong_field_is_reported_at_once(session, make):
    company = make.company()
    client = make.client(company)
    today = date.today()
    form = invoice_form(
        client.id,
        due_date=(today - timedelta(days=1)).isoformat(),
        partial="500.00",
        lines=[
            LineForm("", "1", "10.00"),
            LineForm("Bad", "-2", "1.001", "VAT", "200"),
        ],
    )
    with pytest.raises(FormErrors) as err:
        parse_document(session, company_id=company.id, form=form, kind="invoice")
    errors = err.value.errors
    assert "due_date" in errors
    assert "lines.0.description" in errors
    assert {"lines.1.quantity", "lines.1.unit_price", "lines.1.tax_rate"} <= set(errors)


def test_lines_dates_and_deposit_rules(session, make):
    company = make.company()
    client = make.client(company)

    def errors_of(**kw):
        with pytest.raises(FormErrors) as err:
            parse_document(
                session, company_id=company.id, form=invoice_form(client.id, **kw), kind="invoice"
            )
        return err.value.errors

    assert "lines" in errors_of(lines=[])
    assert "issue_date" in errors_of(issue_date="")
    assert "issue_date" in errors_of(issue_date="2026-02-30")
    assert "issue_date" in errors_of(issue_date="31/12/2026")
    assert "partial" in errors_of(partial="240.00")  # the deposit must be below the total
    assert "partial_due_date" in errors_of(partial="50")  # a deposit needs its due date
    late = (date.today() + timedelta(days=60)).isoformat()
    assert "partial_due_date" in errors_of(partial="50", partial_due_date=late)
    assert "lines" in errors_of(lines=[LineForm("Free", "1", "0")])
    assert "lines" in errors_of(lines=[LineForm("x", "1", "1")] * 101)
    huge = [LineForm("Big", "1000000", "1000000000.00")]
    assert "lines.0.unit_price" in errors_of(lines=huge)
    assert "currency" in errors_of(currency="XYZ")
    assert "terms" in errors_of(terms="x" * 4001)


def test_another_companys_client_is_refused(session, make):
    mine, theirs = make.company(), make.company()
    other_client = make.client(theirs)
    with pytest.raises(FormErrors) as err:
        parse_document(
            session, company_id=mine.id, form=invoice_form(other_client.id), kind="invoice"
        )
    assert "client_id" in err.value.errors
    with pytest.raises(FormErrors):
        parse_document(session, company_id=mine.id, form=invoice_form("1 OR 1=1"), kind="invoice")
