"""The company's portal settings as staff edit them at /staff/settings.

Values travel as two flat dicts (text fields as typed, and on/off flags) plus the list of
enabled modules; `save_settings` checks every field, reports all problems at once (each by
field) and changes nothing unless all are fine. Only owners and admins may save.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.locale import valid_locale
from portal_app.core.money import SUPPORTED_CURRENCIES, format_money, parse_major
from portal_app.models import ALL_MODULES, Company
from portal_app.services.identity import audit
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_auth import require_admin

# Text fields: column -> (max length, label). Money fields are typed in major units.
TEXT_FIELDS: dict[str, int] = {
    "name": 200,
    "email": 254,
    "phone": 50,
    "address1": 200,
    "address2": 200,
    "city": 100,
    "postal_code": 20,
    "country": 100,
    "vat_number": 50,
    "primary_color": 7,
    "currency": 3,
    "locale": 20,
    "invoice_terms": 4000,
    "invoice_footer": 2000,
    "registration_terms": 4000,
    "quote_terms": 4000,
    "subscription_cancel_mode": 10,
    "renewal_retry_days": 50,
    "link_lifetime_days": 4,
    "link_session_minutes": 5,
    "due_soon_days": 3,
    "prepayment_min": 20,
    "prepayment_max": 20,
    "minimum_under_payment": 20,
}
FLAG_FIELDS = (
    "allow_registration",
    "allow_under_payment",
    "allow_over_payment",
    "allow_client_uploads",
    "require_quote_terms",
    "require_quote_signature",
    "convert_approved_quotes",
    "allow_quote_decline",
    "cancel_after_failed_retries",
)
REGISTRATION_FIELDS = ("phone", "address", "vat_number")
CANCEL_MODES = ("self", "request")
MONEY_FIELDS = {
    "prepayment_min": "prepayment_min_minor",
    "prepayment_max": "prepayment_max_minor",
    "minimum_under_payment": "minimum_under_payment_minor",
}
MAX_MINOR = 99_999_999
INT_RANGES = {
    "link_lifetime_days": (1, 365),
    "link_session_minutes": (5, 1440),
    "due_soon_days": (0, 90),
}


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
        raise ReadOnlyError("Sign in as staff to do this.")
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


def _is_colour(text: str) -> bool:
    return (
        len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])
    )


def _retry_days(text: str) -> str | None:
    """'1,3,7' normalised, or None when not 1-10 increasing whole days between 1 and 60."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or len(parts) > 10 or not all(p.isdigit() and len(p) <= 2 for p in parts):
        return None
    days = [int(p) for p in parts]
    if any(d < 1 or d > 60 for d in days) or days != sorted(set(days)):
        return None
    return ",".join(str(d) for d in days)


def _parse(values: dict, flags: dict, modules: list, required: list) -> tuple[dict, dict]:
    """(new column values, errors by field) from the raw form."""
    errors: dict[str, str] = {}
    text = {
        name: " ".join(str(values.get(name, "") or "").split())
        if name not in ("invoice_terms", "invoice_footer", "registration_terms", "quote_terms")
        else str(values.get(name, "") or "").strip()
        for name in TEXT_FIELDS
    }
    for name, limit in TEXT_FIELDS.items():
        if len(text[name]) > limit:
            errors[name] = f"Use at most {limit} characters."
    out: dict = {}
    if not text["name"]:
        errors["name"] = "Enter the company's name."
    if not _is_colour(text["primary_color"]):
        errors["primary_color"] = "Use a colour like #4f46e5 (# and six hex digits)."
    currency = text["currency"].upper()
    if currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = f"Choose one of {', '.join(SUPPORTED_CURRENCIES)}."
    if not valid_locale(text["locale"]):
        errors["locale"] = "Not a known locale (e.g. en_US, de_DE, fr_FR)."
    if text["subscription_cancel_mode"] not in CANCEL_MODES:
        errors["subscription_cancel_mode"] = "Choose self-service or on request."
    retry = _retry_days(text["renewal_retry_days"])
    if retry is None:
        errors["renewal_retry_days"] = "Whole days, increasing, 1 to 60, e.g. 1,3,7."
    for name, (low, high) in INT_RANGES.items():
        raw = text[name]
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = f"Enter a whole number from {low} to {high}."
        else:
            out[name] = int(raw)
    if currency in SUPPORTED_CURRENCIES:
        for name, column in MONEY_FIELDS.items():
            try:
                minor = parse_major(text[name], currency)
            except ValueError:
                errors[name] = "Enter an amount, e.g. 10.00."
                continue
            if minor < 0 or minor > MAX_MINOR:
                errors[name] = "Enter an amount from 0 up to the largest payment allowed."
            else:
                out[column] = minor
        low, high = out.get("prepayment_min_minor"), out.get("prepayment_max_minor")
        if low is not None and low < 1:
            errors["prepayment_min"] = "The minimum must be more than zero."
        if low is not None and high is not None and high < low:
            errors["prepayment_max"] = "The maximum must not be below the minimum."
    chosen = [m for m in ALL_MODULES if m in set(modules or [])]
    if any(m not in ALL_MODULES for m in modules or []):
        errors["modules"] = "Unknown module."
    if any(f not in REGISTRATION_FIELDS for f in required or []):
        errors["registration_required_fields"] = "Unknown field."
    for name in (
        "name",
        "email",
        "phone",
        "address1",
        "address2",
        "city",
        "postal_code",
        "country",
        "vat_number",
        "invoice_terms",
        "invoice_footer",
        "registration_terms",
        "quote_terms",
        "subscription_cancel_mode",
        "locale",
    ):
        out[name] = text[name]
    out["primary_color"] = text["primary_color"].lower()
    out["currency"] = currency
    out["renewal_retry_days"] = retry or ""
    out["enabled_modules"] = ",".join(chosen)
    out["registration_required_fields"] = ",".join(
        f for f in REGISTRATION_FIELDS if f in set(required or [])
    )
    for name in FLAG_FIELDS:
        out[name] = bool(flags.get(name, False))
    return out, errors


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
    require_admin(actor)
    if not isinstance(values, dict) or not isinstance(flags, dict):
        raise SettingsErrors({"form": "The form could not be read; reload the page."})
    new, errors = _parse(values, flags, list(modules or []), list(required_fields or []))
    if errors:
        raise SettingsErrors(errors)
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
