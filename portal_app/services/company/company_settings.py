"""The company's portal settings as staff edit them at /staff/settings.

Values travel as two flat dicts (text fields as typed, and on/off flags) plus the list of
enabled modules; `save_settings` checks them with schemas.company_settings.CompanySettingsIn,
reports all problems at once (each by field) and changes nothing unless all are fine. Only
owners and admins may save.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.core.money import format_money
from portal_app.models import Company
from portal_app.schemas.company_settings import (
    FLAG_FIELDS,
    MONEY_FIELDS,
    REGISTRATION_FIELDS,
    TEXT_FIELDS,
    CompanySettingsIn,
)
from portal_app.schemas.forms import field_errors
from portal_app.services.identity import audit
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_roles import StaffAction, require_role

__all__ = [
    "FLAG_FIELDS",
    "REGISTRATION_FIELDS",
    "TEXT_FIELDS",
    "SettingsErrors",
    "SettingsView",
    "load_settings",
    "save_settings",
]


class SettingsErrors(ValidationError):
    """Several fields are wrong; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(first, errors[first])
        self.errors = errors


@dataclass(frozen=True, slots=True)
class SettingsView:
    """What the settings page shows and edits."""

    values: dict[str, str] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)
    required_fields: list[str] = field(default_factory=list)
    quote_terms_version: int = 1
    logo_url: str = ""


def _company(session: Session, actor: StaffActor) -> Company:
    if not isinstance(actor, StaffActor):
        raise ReadOnlyError(gettext("Sign in as staff to do this."))
    company = session.get(Company, actor.company_id)
    if company is None:
        raise NotFoundError("company")
    return company


def _major(minor: int, currency: str) -> str:
    # Plain digits for the input field (no symbol or grouping), e.g. "12.50" or "1500".
    text = format_money(minor, currency, "en_US")
    digits = "".join(ch for ch in text if ch.isdigit() or ch in ".-")
    return digits


def load_settings(session: Session, *, actor: StaffActor) -> SettingsView:
    """The company's settings for the form (every staff role may read them)."""
    company = _company(session, actor)
    values = {
        name: str(getattr(company, name))
        for name in TEXT_FIELDS
        if name not in MONEY_FIELDS and hasattr(company, name)
    }
    for name, column in MONEY_FIELDS.items():
        values[name] = _major(getattr(company, column), company.currency)
    return SettingsView(
        values=values,
        flags={name: bool(getattr(company, name)) for name in FLAG_FIELDS},
        modules=company.module_list(),
        required_fields=[
            f for f in company.registration_required_fields.split(",") if f in REGISTRATION_FIELDS
        ],
        quote_terms_version=company.quote_terms_version,
        logo_url=company.logo_path,
    )


def save_settings(
    session: Session,
    *,
    actor: StaffActor,
    values: dict,
    flags: dict,
    modules: list,
    required_fields: list,
) -> list[str]:
    """Check and store the settings; return the names of the changed columns.

    ReadOnlyError for the staff role; SettingsErrors (every bad field) changes nothing.
    Changing the quote terms raises their version, so approvals record which text they saw.
    """
    company = _company(session, actor)
    require_role(actor, StaffAction.EDIT_SETTINGS)
    if not isinstance(values, dict) or not isinstance(flags, dict):
        raise SettingsErrors({"form": "The form could not be read; reload the page."})
    try:
        form = CompanySettingsIn.from_form(values, flags, modules, required_fields)
    except PydanticValidationError as exc:
        raise SettingsErrors(field_errors(exc)) from None
    new = form.columns()
    changed = sorted(k for k, v in new.items() if getattr(company, k) != v)
    if "quote_terms" in changed:
        company.quote_terms_version += 1
    for key in changed:
        setattr(company, key, new[key])
    session.add(company)
    if changed:
        audit.record(
            session,
            company_id=company.id,
            action="settings_changed",
            actor_type="staff",
            actor_id=actor.staff_user_id,
            entity_type="company",
            entity_id=company.id,
            ip=actor.ip,
            details={"fields": changed},
        )
    session.flush()
    return changed
