"""Document numbers: sequential per company and kind, never a number already in use."""

from __future__ import annotations

import pytest

from portal_app.services.billing.numbering import next_number


def test_numbers_count_up_per_company_and_kind(session, make):
    first, second = make.company(), make.company()
    assert next_number(session, company_id=first.id, kind="invoice") == "INV-0001"
    assert next_number(session, company_id=first.id, kind="invoice") == "INV-0002"
    assert next_number(session, company_id=first.id, kind="quote") == "Q-0001"
    assert next_number(session, company_id=second.id, kind="invoice") == "INV-0001"
    assert next_number(session, company_id=first.id, kind="credit") == "CR-0001"
    assert next_number(session, company_id=first.id, kind="recurring") == "R-0001"


def test_a_number_already_used_is_skipped(session, make):
    company = make.company()
    client = make.client(company)
    make.invoice(client, number="INV-0001")
    make.invoice(client, number="INV-0002")
    assert next_number(session, company_id=company.id, kind="invoice") == "INV-0003"


def test_unknown_kind_is_refused(session, make):
    company = make.company()
    with pytest.raises(KeyError):
        next_number(session, company_id=company.id, kind="receipt")
