"""DocumentIn and LineIn: document forms checked field by field, money as integer minor units."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from portal_app.core import i18n
from portal_app.schemas.document_forms import DocumentIn, LineIn
from portal_app.schemas.forms import field_errors

LINE = {"description": "Work", "quantity": "2", "unit_price": "12.50", "tax_rate": "20"}
HEADER = {"issue_date": "2026-03-10", "due_date": "2026-04-09"}
INVOICE = {"kind": "invoice", "client_currency": "USD"}


def _line_errors(currency="USD", **changes) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        LineIn.model_validate({**LINE, **changes}, context={"currency": currency})
    return field_errors(caught.value, "lines.0.")


def _header_errors(context=INVOICE, **changes) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        DocumentIn.model_validate({**HEADER, **changes}, context=context)
    return field_errors(caught.value)


def test_a_line_becomes_whole_numbers():
    line = LineIn.model_validate(LINE, context={"currency": "USD"})
    assert (line.quantity, line.unit_price, line.tax_rate) == (2000, 1250, 2000)
    kwd = LineIn.model_validate({**LINE, "unit_price": "1.125"}, context={"currency": "KWD"})
    assert kwd.unit_price == 1125


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-1", "The price cannot be negative."),
        ("", "Enter a price."),
        ("999999999999999", "The price is too large."),
        ("1e3", "Enter an amount such as 12.50."),
        ("NaN", "Enter an amount such as 12.50."),
        ("ten", "Enter an amount such as 12.50."),
        ("12.505", "USD allows at most 2 decimal places."),
        (0.1 + 0.2, "Enter an amount such as 12.50."),
    ],
)
def test_bad_prices_are_refused_with_a_message_for_people(price, message):
    assert _line_errors(unit_price=price) == {"lines.0.unit_price": message}


def test_every_wrong_field_of_a_line_is_named():
    errors = _line_errors(description=" ", quantity="-2", tax_rate="200")
    assert errors == {
        "lines.0.description": "Describe this line.",
        "lines.0.quantity": "The quantity cannot be negative.",
        "lines.0.tax_rate": "The tax rate cannot be above 100%.",
    }


def test_a_crafted_line_gets_a_plain_message_not_pydantics():
    with pytest.raises(ValidationError) as caught:
        LineIn.model_validate(["not", "a", "line"], context={"currency": "USD"})
    assert set(field_errors(caught.value, "lines.0.").values()) == {"Check this field."}


def test_injected_line_fields_are_ignored():
    line = LineIn.model_validate(
        {**LINE, "net_minor": 1, "tax_minor": 999, "id": 4}, context={"currency": "USD"}
    )
    assert not hasattr(line, "net_minor") and line.unit_price == 1250


def test_a_good_header():
    header = DocumentIn.model_validate(
        {**HEADER, "partial": "10.00", "partial_due_date": "2026-03-20"}, context=INVOICE
    )
    assert header.currency == "USD" and header.issue_date == date(2026, 3, 10)
    assert header.partial == 1000 and header.partial_due_date == date(2026, 3, 20)


def test_header_rules_and_messages():
    assert _header_errors(currency="XYZ") == {"currency": "Choose a supported currency."}
    assert _header_errors(issue_date="2026-02-30") == {"issue_date": "This date does not exist."}
    assert _header_errors(due_date="2026-03-01") == {
        "due_date": "The due date cannot be before the issue date."
    }
    quote = {"kind": "quote", "client_currency": "USD"}
    assert _header_errors(quote, due_date="2026-03-01") == {
        "due_date": "The valid-until date cannot be before the issue date."
    }
    assert _header_errors(partial="-5") == {"partial": "The price cannot be negative."}
    assert _header_errors(partial="50") == {"partial_due_date": "Say when the deposit is due."}
    assert _header_errors(terms="x" * 4001) == {"terms": "Keep this under 4000 characters."}


def test_credits_ignore_due_dates_and_deposits():
    credit = DocumentIn.model_validate(
        {**HEADER, "due_date": "nonsense", "partial": "abc"},
        context={"kind": "credit", "client_currency": "EUR"},
    )
    assert (credit.due_date, credit.partial, credit.currency) == (None, 0, "EUR")


def test_injected_header_fields_are_ignored():
    header = DocumentIn.model_validate(
        {**HEADER, "amount_minor": 1, "status": "paid", "company_id": 9}, context=INVOICE
    )
    assert "amount_minor" not in header.model_dump() and "status" not in header.model_dump()


def test_messages_are_in_the_language_of_the_event():
    # A German staff user's form (StaffState._staff_actor sets the language of the event).
    with i18n.use_language("de"):
        errors = _line_errors(description=" ", quantity="-2", tax_rate="200")
        header = _header_errors(due_date="2026-03-01", terms="x" * 4001)
        with pytest.raises(ValidationError) as caught:
            LineIn.model_validate(["not", "a", "line"], context={"currency": "USD"})
        crafted = set(field_errors(caught.value, "lines.0.").values())
    assert errors == {
        "lines.0.description": "Beschreiben Sie diese Position.",
        "lines.0.quantity": "Die Menge darf nicht negativ sein.",
        "lines.0.tax_rate": "Der Steuersatz darf nicht über 100% liegen.",
    }
    assert header == {
        "due_date": "Das Fälligkeitsdatum darf nicht vor dem Ausstellungsdatum liegen.",
        "terms": "Verwenden Sie höchstens 4000 Zeichen.",
    }
    assert crafted == {"Prüfen Sie dieses Feld."}
