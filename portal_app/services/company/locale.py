"""Which locale a client's or a company's money and dates are shown in, and the company's
time zone staff pages show times in."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from portal_app.core.db import utcnow
from portal_app.core.i18n import choose_language, chosen_language
from portal_app.core.locale import display_locale, local_moment
from portal_app.models import Client, ClientContact, Company
from portal_app.services.identity import session_memo
from portal_app.services.identity.actor import Actor


def client_locale(session: Session, actor: Actor) -> str:
    """The locale money and dates are shown in for this client: the language of this event
    (the contact's, core.i18n) in the client's or company's region (core.locale.display_locale)."""
    return display_locale(chosen_language(), client_formatting_locale(session, actor))


def client_formatting_locale(session: Session, actor: Actor) -> str:
    """The client's own formatting locale (else the company's, else en_US), whoever reads."""
    client = session_memo.loaded(session, Client, actor.client_id)
    company = session_memo.loaded(session, Company, actor.company_id)
    if client is None and company is None:
        remembered = session_memo.recall(session, "locale", actor.client_id)
        if remembered is not None:  # read by this session's session check
            return remembered
    client = client or session.get(Client, actor.client_id)
    company = company or session.get(Company, actor.company_id)
    return (client.locale if client and client.locale else None) or (
        company.locale if company else "en_US"
    )


def company_locale(session: Session, company_id: int) -> str:
    """The locale staff views format money and dates in: the staff user's console language
    (this event's, core.i18n) in the company's region (core.locale.display_locale; the
    company's locale, en_US when unknown, where no language was chosen)."""
    company = session.get(Company, company_id)
    return display_locale(chosen_language(), (company.locale if company else "") or "en_US")


def company_time_zone(session: Session, company_id: int) -> str:
    """The IANA time zone the company's staff pages show times in (UTC when unknown)."""
    company = session.get(Company, company_id)
    return (company.time_zone if company else "") or "UTC"


def company_today(session: Session, company_id: int, now: datetime | None = None) -> date:
    """Today's date where the company is (its time zone): the day the staff pages' "today"
    means (quotes answered today, overdue, aging)."""
    return local_moment(now or utcnow(), company_time_zone(session, company_id)).date()


def reader_language(
    session: Session, *, actor: Actor, accept_language: str, visitor_choice: str | None
) -> str:
    """The language a client's download (a PDF) is written in: the one the portal shows this
    reader (core.i18n.choose_language: the contact's choice, this browser's, Accept-Language,
    the company's)."""
    contact = session.get(ClientContact, actor.contact_id) if actor.contact_id else None
    company = session_memo.loaded(session, Company, actor.company_id) or session.get(
        Company, actor.company_id
    )
    return choose_language(
        contact_choice=contact.language if contact else None,
        visitor_choice=visitor_choice,
        accept_language=accept_language,
        company_locale=company.locale if company else "",
    )
