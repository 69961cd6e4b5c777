"""Portal settings: checks per field, roles, the quote terms version, modules and the nav."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError
from portal_app.models import AuditEvent, Company
from portal_app.services.billing import credits
from portal_app.services.company import company_settings
from portal_app.services.company.company_settings import SettingsErrors
from portal_app.state.nav import visible_nav_items
from tests.helpers.staff import add_staff, staff_actor


def _setup(make, role="owner"):
    company = make.company()
    return company, staff_actor(add_staff(make.session, company, password_hash="x", role=role))


def _save(session, actor, view, **changes):
    values = {**view.values, **{k: v for k, v in changes.items() if k in view.values}}
    flags = {**view.flags, **{k: v for k, v in changes.items() if k in view.flags}}
    return company_settings.save_settings(
        session,
        actor=actor,
        values=values,
        flags=flags,
        modules=changes.get("modules", view.modules),
        required_fields=changes.get("required_fields", view.required_fields),
    )


def test_load_then_save_unchanged_changes_nothing(make, session):
    company, actor = _setup(make)
    view = company_settings.load_settings(session, actor=actor)
    assert view.values["prepayment_min"] == "1.00" and view.values["currency"] == "USD"
    assert _save(session, actor, view) == []


def test_saving_stores_every_kind_of_field(make, session):
    company, actor = _setup(make, role="admin")
    view = company_settings.load_settings(session, actor=actor)
    changed = _save(
        session,
        actor,
        view,
        name="Renamed Ltd",
        primary_color="#AABBCC",
        currency="EUR",
        locale="de_DE",
        prepayment_min="5",
        prepayment_max="2500.50",
        minimum_under_payment="1.5",
        renewal_retry_days=" 2, 4 ,8",
        link_lifetime_days="14",
        link_session_minutes="30",
        allow_registration=True,
        allow_over_payment=True,
        codes_only=True,
        allow_client_detail_edits=True,
        subscription_cancel_mode="request",
        required_fields=["vat_number", "phone"],
        modules=["invoices", "payments"],
    )
    session.refresh(company)
    assert company.name == "Renamed Ltd" and company.primary_color == "#aabbcc"
    assert (company.currency, company.locale) == ("EUR", "de_DE")
    assert (company.prepayment_min_minor, company.prepayment_max_minor) == (500, 250050)
    assert company.minimum_under_payment_minor == 150
    assert company.renewal_retry_days == "2,4,8"
    assert (company.link_lifetime_days, company.link_session_minutes) == (14, 30)
    assert company.allow_registration and company.allow_over_payment
    assert company.codes_only and company.allow_client_detail_edits
    assert company.subscription_cancel_mode == "request"
    assert company.registration_required_fields == "phone,vat_number"
    assert company.enabled_modules == "invoices,payments"
    assert "enabled_modules" in changed
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.company_id == company.id, AuditEvent.action == "settings_changed"
        )
    ).one()
    assert event.actor_type == "staff"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("primary_color", "red"),
        ("primary_color", "#12345g"),
        ("primary_color", "#1234567"),
        ("currency", "XYZ"),
        ("locale", "xx_NOPE"),
        ("prepayment_min", "0"),
        ("prepayment_min", "-1"),
        ("prepayment_min", "1e3"),
        ("prepayment_max", "0.5"),
        ("prepayment_max", "99999999999"),
        ("renewal_retry_days", "7,3"),
        ("renewal_retry_days", "0"),
        ("renewal_retry_days", "abc"),
        ("link_lifetime_days", "0"),
        ("link_lifetime_days", "366"),
        ("link_session_minutes", "1"),
        ("subscription_cancel_mode", "never"),
        ("invoice_footer", "x" * 2001),
    ],
)
def test_a_bad_field_is_named_and_nothing_changes(make, session, field, value):
    company, actor = _setup(make)
    view = company_settings.load_settings(session, actor=actor)
    before = company.model_dump()
    with pytest.raises(SettingsErrors) as caught:
        _save(session, actor, view, **{field: value})
    assert field in caught.value.errors
    session.refresh(company)
    assert company.model_dump() == before


def test_unknown_modules_and_fields_are_refused(make, session):
    _, actor = _setup(make)
    view = company_settings.load_settings(session, actor=actor)
    with pytest.raises(SettingsErrors) as caught:
        _save(session, actor, view, modules=["invoices", "bitcoin"], required_fields=["ssn"])
    assert set(caught.value.errors) == {"modules", "registration_required_fields"}


def test_the_staff_role_reads_but_may_not_save(make, session):
    _, actor = _setup(make, role="staff")
    view = company_settings.load_settings(session, actor=actor)
    with pytest.raises(ReadOnlyError):
        _save(session, actor, view, name="Nope")
    contact = make.contact(make.client(make.company()))
    with pytest.raises(ReadOnlyError):
        company_settings.load_settings(session, actor=make.actor(contact))


def test_changing_quote_terms_raises_their_version(make, session):
    company, actor = _setup(make)
    view = company_settings.load_settings(session, actor=actor)
    _save(session, actor, view, quote_terms="Payment within 30 days.")
    assert company.quote_terms_version == 2
    view = company_settings.load_settings(session, actor=actor)
    _save(session, actor, view, require_quote_signature=True)
    assert company.quote_terms_version == 2
    _save(session, actor, replace(view), quote_terms="New terms.")
    assert company.quote_terms_version == 3


def test_a_switched_off_module_leaves_the_nav_and_its_service_answers_not_found(make, session):
    company, actor = _setup(make)
    contact = make.contact(make.client(company))
    client_actor = make.actor(contact)
    assert any(i.module == "credits" for i in visible_nav_items(company.module_list()))
    credits.list_credits(session, actor=client_actor, page=1, page_size=10)
    view = company_settings.load_settings(session, actor=actor)
    _save(session, actor, view, modules=[m for m in view.modules if m != "credits"])
    session.refresh(company)
    labels = [i.label for i in visible_nav_items(session.get(Company, company.id).module_list())]
    assert "Credits" not in labels and "Invoices" in labels
    with pytest.raises(NotFoundError):
        credits.list_credits(session, actor=client_actor, page=1, page_size=10)


def test_time_zone_is_utc_by_default_and_saved_by_owners_and_admins(make, session):
    company, actor = _setup(make, role="admin")
    view = company_settings.load_settings(session, actor=actor)
    assert view.values["time_zone"] == "UTC"
    assert _save(session, actor, view, time_zone="Europe/Berlin") == ["time_zone"]
    session.refresh(company)
    assert company.time_zone == "Europe/Berlin"
    assert company_settings.load_settings(session, actor=actor).values["time_zone"] == (
        "Europe/Berlin"
    )
    staff = staff_actor(add_staff(session, company, password_hash="x", role="staff"))
    with pytest.raises(ReadOnlyError):
        _save(session, staff, view, time_zone="America/New_York")


def test_an_unknown_time_zone_is_refused_with_a_field_error(make, session):
    company, actor = _setup(make)
    view = company_settings.load_settings(session, actor=actor)
    with pytest.raises(SettingsErrors) as caught:
        _save(session, actor, view, time_zone="Europe/Atlantis")
    assert set(caught.value.errors) == {"time_zone"}
    session.refresh(company)
    assert company.time_zone == "UTC"
