"""The audit log as staff read it: who did what to which record, when, from where.

Paged on the server, newest first, for the whole company or one of its clients. Names of
people and records are looked up in one query per kind for the page, never per row.
"""

from __future__ import annotations

import json

from sqlmodel import Session, col, func, select

from portal_app.core.errors import NotFoundError, ReadOnlyError
from portal_app.core.paging import parse_record_id
from portal_app.models import (
    AuditEvent,
    Client,
    ClientContact,
    Company,
    Credit,
    Invoice,
    Payment,
    Quote,
    StaffUser,
)
from portal_app.schemas.staff import AuditPage, AuditRowView
from portal_app.services.identity.actor import StaffActor

PAGE_SIZES = (10, 20, 25, 50, 100)
COUNT_CAP = 10_000
# Records named by their number (or name) rather than their id.
_NAMED = {
    "invoice": (Invoice, "number"),
    "quote": (Quote, "number"),
    "credit": (Credit, "number"),
    "payment": (Payment, "number"),
    "client": (Client, "name"),
    "contact": (ClientContact, "email"),
}


def _names(session: Session, model, attr: str, company_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(model.id, getattr(model, attr)).where(
            model.company_id == company_id, col(model.id).in_(ids)
        )
    ).all()
    return {row_id: value for row_id, value in rows}


def _format_details(raw: str) -> str:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return raw[:300]
    if not isinstance(data, dict):
        return str(data)[:300]
    return ", ".join(f"{key}: {value}" for key, value in data.items())[:300]


def _when(event: AuditEvent) -> str:
    stamp = event.created_at
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC") if stamp else ""


def list_events(
    session: Session,
    *,
    actor: StaffActor,
    client_id: object = None,
    page: int = 1,
    page_size: int = 25,
) -> AuditPage:
    """One page of the company's audit events (one client's when `client_id` is given)."""
    if not isinstance(actor, StaffActor):
        raise ReadOnlyError("Sign in as staff to do this.")
    page = page if isinstance(page, int) and 1 <= page <= 1_000_000 else 1
    page_size = page_size if page_size in PAGE_SIZES else 25
    conditions = [AuditEvent.company_id == actor.company_id]
    if client_id not in (None, ""):
        client = session.get(Client, parse_record_id(client_id, "client"))
        if client is None or client.company_id != actor.company_id:
            raise NotFoundError("client")
        conditions.append(AuditEvent.client_id == client.id)
    events = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    ).all()
    has_next = len(events) > page_size
    events = events[:page_size]
    capped = select(AuditEvent.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    return AuditPage(
        rows=_rows(session, actor.company_id, events),
        page=page,
        page_size=page_size,
        total=min(total, COUNT_CAP),
        total_is_capped=total > COUNT_CAP,
        has_next=has_next,
    )


def _rows(session: Session, company_id: int, events: list[AuditEvent]) -> list[AuditRowView]:
    staff = _names(
        session,
        StaffUser,
        "name",
        company_id,
        {e.actor_id for e in events if e.actor_type == "staff" and e.actor_id},
    )
    contacts = _names(
        session,
        ClientContact,
        "email",
        company_id,
        # Rows written in a preview name the previewed contact (services.payment_methods).
        {e.actor_id for e in events if e.actor_type in ("contact", "staff_preview") and e.actor_id},
    )
    clients = _names(
        session, Client, "name", company_id, {e.client_id for e in events if e.client_id}
    )
    records: dict[str, dict[int, str]] = {}
    for kind, (model, attr) in _NAMED.items():
        ids = {e.entity_id for e in events if e.entity_type == kind and e.entity_id}
        records[kind] = _names(session, model, attr, company_id, ids)
    company = session.get(Company, company_id)
    rows = []
    for event in events:
        if event.actor_type == "staff":
            who = f"Staff: {staff.get(event.actor_id) or f'#{event.actor_id}'}"
        elif event.actor_type == "staff_preview":
            who = f"Staff preview as {contacts.get(event.actor_id) or f'#{event.actor_id}'}"
        elif event.actor_type == "contact":
            who = contacts.get(event.actor_id) or f"Contact #{event.actor_id}"
        else:
            who = event.actor_type.capitalize() or (company.name if company else "")
        record = ""
        if event.entity_type:
            named = records.get(event.entity_type, {}).get(event.entity_id)
            record = f"{event.entity_type.capitalize()} {named or f'#{event.entity_id}'}"
        rows.append(
            AuditRowView(
                id=event.id,
                when=_when(event),
                who=who,
                action=event.action.replace("_", " "),
                record=record,
                client=clients.get(event.client_id, "") if event.client_id else "",
                ip=event.ip,
                details=_format_details(event.details),
            )
        )
    return rows
