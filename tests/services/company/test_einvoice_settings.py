"""E-invoicing settings: legal name, country code, IBAN/BIC (schwifty), payment terms; a client's
country code and buyer reference."""

from __future__ import annotations

import pytest

from portal_app.core.errors import ValidationError
from portal_app.schemas.staff import ClientForm
from portal_app.services.company import company_settings, staff_clients
from portal_app.services.company.company_settings import SettingsErrors
from tests.helpers.staff import add_staff, staff_actor


def _setup(make):
    company = make.company()
    return company, staff_actor(add_staff(make.session, company, password_hash="x", role="owner"))


def _save(session, actor, **changes):
    view = company_settings.load_settings(session, actor=actor)
    return company_settings.save_settings(
        session,
        actor=actor,
        values={**view.values, **changes},
        flags=view.flags,
        modules=view.modules,
        required_fields=view.required_fields,
    )


def test_einvoice_fields_are_stored_compact_and_load_back(make, session):
    company, actor = _setup(make)
    changed = _save(
        session,
        actor,
        legal_name="Acme Widgets GmbH",
        country_code="de",
        iban="de89 3704 0044 0532 0130 00",
        bic="cobadeffxxx",
        payment_terms="Payable within 30 days\nno deduction",
    )
    session.refresh(company)
    assert company.legal_name == "Acme Widgets GmbH"
    assert company.country_code == "DE"
    assert company.iban == "DE89370400440532013000"
    assert company.bic == "COBADEFFXXX"
    assert company.payment_terms == "Payable within 30 days\nno deduction"
    assert {"legal_name", "country_code", "iban", "bic", "payment_terms"} <= set(changed)
    view = company_settings.load_settings(session, actor=actor)
    assert view.values["iban"] == "DE89370400440532013000"
    assert _save(session, actor) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iban", "DE89 3704 0044 0532 0130 01", "Not a valid IBAN"),
        ("iban", "hello", "Not a valid IBAN"),
        ("bic", "COBA", "Not a valid BIC"),
        ("country_code", "XY", "two-letter ISO country code"),
        ("country_code", "DEU", "two-letter ISO country code"),
    ],
)
def test_bad_einvoice_fields_are_refused_by_field_and_change_nothing(
    make, session, field, value, message
):
    company, actor = _setup(make)
    with pytest.raises(SettingsErrors) as caught:
        _save(session, actor, **{field: value, "legal_name": "Changed"})
    assert message in caught.value.errors[field]
    session.refresh(company)
    assert company.legal_name == "" and getattr(company, field) == ""


def test_bic_of_another_country_than_the_iban_is_refused(make, session):
    _, actor = _setup(make)
    with pytest.raises(SettingsErrors) as caught:
        _save(session, actor, iban="DE89370400440532013000", bic="BNPAFRPPXXX")
    assert "another country" in caught.value.errors["bic"]


def test_client_country_code_and_buyer_reference(make, session):
    company, actor = _setup(make)
    client = staff_clients.create_client(
        session,
        actor=actor,
        form=ClientForm(name="Buyer AG", country_code="at", buyer_reference="04011000-1234-12"),
    )
    assert (client.country_code, client.buyer_reference) == ("AT", "04011000-1234-12")
    assert staff_clients.client_form(client).buyer_reference == "04011000-1234-12"
    with pytest.raises(ValidationError) as caught:
        staff_clients.create_client(
            session, actor=actor, form=ClientForm(name="X", country_code="Austria")
        )
    assert caught.value.field == "country_code"
