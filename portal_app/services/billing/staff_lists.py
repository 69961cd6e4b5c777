"""Invoices, quotes and credits as the staff console lists and shows them (company-wide)."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from portal_app.core.locale import format_day, format_quantity
from portal_app.core.money import format_money
from portal_app.core.paging import parse_record_id
from portal_app.models import Client, ClientContact
from portal_app.schemas.staff_documents import (
    OptionView,
    StaffDocDetail,
    StaffDocPage,
    StaffDocRow,
    StaffLineView,
)
from portal_app.services.billing.staff_records import Kind, get_record, record_lines
from portal_app.services.company.locale import company_locale
from portal_app.services.company.staff_status import staff_status_label
from portal_app.services.identity.staff_scope import MAX_ID, require_staff

PAGE_SIZE = 25
MAX_PAGE = 100_000
MAX_SEARCH = 50
STATUS_FILTERS = {
    "invoice": ("all", "draft", "sent", "partial", "paid", "cancelled"),
    "quote": ("all", "draft", "sent", "approved", "converted", "expired", "declined"),
    "credit": ("all", "draft", "sent", "partial", "applied", "cancelled"),
}


def status_label(status: str) -> str:
    """A document's status as the console shows it, in the staff user's language."""
    return staff_status_label(status)


def list_records(
    session: Session,
    *,
    actor,
    kind: Kind,
    status: str = "all",
    search: str = "",
    client_id: object = None,
    page: int = 1,
) -> StaffDocPage:
    """One page (newest first) of the company's documents of `kind`, filtered by a
    whitelisted status, a number or client-name search, and optionally one client."""
    require_staff(actor)
    model = kind.model
    page = max(1, min(int(page or 1), MAX_PAGE))
    statement = (
        select(model, Client.name)
        .join(Client, Client.id == model.client_id)
        .where(model.company_id == actor.company_id)
    )
    if status in STATUS_FILTERS[kind.name] and status != "all":
        statement = statement.where(model.status == status)
    text = str(search or "").strip()[:MAX_SEARCH].lower()
    if text:
        # Typed % and _ are searched for literally, not used as wildcards.
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        statement = statement.where(
            or_(
                func.lower(model.number).like(pattern, escape="\\"),
                func.lower(Client.name).like(pattern, escape="\\"),
            )
        )
    if client_id not in (None, ""):
        wanted = parse_record_id(client_id, "client")
        statement = statement.where(model.client_id == min(wanted, MAX_ID))
    rows = session.exec(
        statement.order_by(col(model.issue_date).desc(), col(model.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    locale = company_locale(session, actor.company_id)
    views = []
    for row, client_name in rows[:PAGE_SIZE]:
        due = getattr(row, "due_date", None) or getattr(row, "valid_until", None)
        balance = getattr(row, "balance_minor", None)
        views.append(
            StaffDocRow(
                id=row.id,
                number=row.number,
                client_id=row.client_id,
                client_name=client_name,
                status=row.status,
                status_label=status_label(row.status),
                issue_date=format_day(row.issue_date, locale),
                due_date=format_day(due, locale),
                amount=format_money(row.amount_minor, row.currency, locale),
                balance="" if balance is None else format_money(balance, row.currency, locale),
            )
        )
    return StaffDocPage(rows=views, page=page, has_next=len(rows) > PAGE_SIZE)


def client_options(session: Session, *, actor, limit: int = 500) -> list[OptionView]:
    """The company's clients for the document form's client select (by name)."""
    require_staff(actor)
    rows = session.exec(
        select(Client.id, Client.name)
        .where(Client.company_id == actor.company_id)
        .order_by(Client.name, Client.id)
        .limit(limit)
    ).all()
    return [OptionView(value=str(cid), label=name) for cid, name in rows]


def record_detail(session: Session, *, actor, kind: Kind, record_id: object) -> StaffDocDetail:
    """One document with its lines, the client's contacts and the actions open to it now."""
    row = get_record(session, actor=actor, kind=kind, record_id=record_id)
    client = session.get(Client, row.client_id)
    locale = company_locale(session, actor.company_id)

    def money(minor: int) -> str:
        return format_money(minor, row.currency, locale)

    lines = [
        StaffLineView(
            description=line.description,
            quantity=format_quantity(line.quantity_milli),
            unit_price=money(line.unit_price_minor),
            tax=f"{line.tax_name} {line.tax_rate_bp / 100:g}%".strip() if line.tax_rate_bp else "",
            net=money(line.net_minor),
        )
        for line in record_lines(session, kind, row.id)
    ]
    contacts = session.exec(
        select(ClientContact)
        .where(
            ClientContact.client_id == row.client_id,
            ClientContact.company_id == actor.company_id,
            ClientContact.portal_enabled == True,  # noqa: E712
        )
        .order_by(ClientContact.is_primary.desc(), ClientContact.id)
    ).all()
    due = getattr(row, "due_date", None) or getattr(row, "valid_until", None)
    partial = getattr(row, "partial_minor", 0)
    balance = getattr(row, "balance_minor", row.amount_minor)
    paid = getattr(row, "paid_to_date_minor", 0)
    is_invoice = kind.name == "invoice"
    return StaffDocDetail(
        id=row.id,
        kind=kind.name,
        number=row.number,
        status=row.status,
        status_label=status_label(row.status),
        client_id=row.client_id,
        client_name=client.name if client else "",
        currency=row.currency,
        issue_date=format_day(row.issue_date, locale),
        due_date=format_day(due, locale),
        partial=money(partial) if partial else "",
        partial_due_date=format_day(getattr(row, "partial_due_date", None), locale),
        po_number=getattr(row, "po_number", ""),
        terms=getattr(row, "terms", ""),
        public_notes=row.public_notes,
        subtotal=money(row.subtotal_minor),
        tax=money(row.tax_minor),
        total=money(row.amount_minor),
        paid=money(paid),
        balance=money(balance),
        lines=lines,
        contacts=[
            OptionView(value=str(c.id), label=f"{c.display_name} <{c.email}>") for c in contacts
        ],
        can_edit=row.status == "draft",
        can_send=row.status == "draft",
        can_email=row.status in ("draft", "sent", "partial") and bool(contacts),
        can_mark_paid=is_invoice and row.status in ("draft", "sent", "partial") and balance > 0,
        can_cancel=is_invoice and row.status == "sent" and paid == 0,
    )
