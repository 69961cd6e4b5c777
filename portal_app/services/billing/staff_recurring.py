"""Recurring invoices from the staff console: list, create, edit, pause, resume, stop, and the
invoices each schedule issued.

Every query is scoped to the staff user's company (services/identity/staff_scope.py); a schedule
of another company, or one that belongs to a subscription (managed with the subscription, whose
changes prorate and refund), is "not found". Every role may do all of this, as with invoices
(staff_scope's role rules). Lines are checked by the invoice form's machinery
(services/billing/document_forms.py), so the same input gets the same messages.

Rules that keep the job (jobs/recurring.py) right:
- a new schedule starts today or later: a start in the past would make the next run issue every
  period since then at once;
- once a schedule issued an invoice, its start date, frequency and currency stay (the job
  counts every period from the start date; stop it and create a new one to change them);
- resuming a schedule whose next date passed while it was paused skips the paused periods:
  nothing was delivered then, so nothing is owed (the job would otherwise catch them all up);
- a stopped or completed schedule is never edited or restarted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, false
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.core.locale import format_day, format_quantity
from portal_app.core.money import format_money
from portal_app.core.paging import parse_record_id
from portal_app.core.schedule import FREQUENCIES, period_date
from portal_app.models import (
    Client,
    Invoice,
    RecurringInvoice,
    RecurringInvoiceLine,
    Subscription,
)
from portal_app.models.recurring import AUTO_BILL_MODES
from portal_app.models.statuses import AutoBillMode, RecurringStatus
from portal_app.schemas.staff_documents import StaffLineView
from portal_app.schemas.staff_recurring import (
    IssuedInvoiceRow,
    StaffRecurringDetail,
    StaffRecurringPage,
    StaffRecurringRow,
)
from portal_app.services.billing import numbering
from portal_app.services.billing.document_forms import (
    DocumentForm,
    FormErrors,
    LineForm,
    line_rows,
    parse_day,
    parse_document,
)
from portal_app.services.billing.recurring import (
    badge_key,
    cycles_left,
    frequency_label,
    status_label,
)
from portal_app.services.billing.staff_lists import status_label as invoice_status_label
from portal_app.services.company.locale import company_locale
from portal_app.services.identity.staff_scope import (
    MAX_ID,
    StaffAction,
    own_row,
    record,
    require_role,
    require_staff,
)

PAGE_SIZE = 25
MAX_PAGE = 100_000
MAX_CYCLES = 1000
MAX_DUE_DAYS = 365
ISSUED_SHOWN = 50
STATUS_FILTERS = ("all", "draft", "active", "paused", "completed", "cancelled")
# English msgids (N_), translated where shown.
AUTO_BILL_LABELS = {
    "off": N_("Off"),
    "opt_in": N_("Off until the client switches it on"),
    "opt_out": N_("On until the client switches it off"),
    "always": N_("Always"),
}
# Statuses that never change again: nothing is edited, paused or resumed there.
FINAL_STATUSES = (RecurringStatus.COMPLETED, RecurringStatus.CANCELLED)
_WHOLE = re.compile(r"\d{1,6}")
# Header fields of document_forms named differently on this form.
_RENAMED = {"issue_date": "start_date"}


@dataclass
class RecurringForm:
    """A schedule's form as typed. `cycles` counts every invoice the schedule issues in all
    (those already issued included); ignored when `endless`."""

    client_id: object = ""
    currency: str = ""
    frequency: str = "monthly"
    start_date: str = ""
    endless: bool = True
    cycles: str = ""
    auto_bill: str = "off"
    due_days: str = "14"
    po_number: str = ""
    terms: str = ""
    public_notes: str = ""
    lines: list[LineForm] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Parsed:
    client: Client
    currency: str
    frequency: str
    start_date: date
    cycles: int | None
    auto_bill: str
    due_days: int
    po_number: str
    terms: str
    public_notes: str
    lines: list
    subtotal_minor: int
    tax_minor: int


def _subscription_owned(actor):
    return select(Subscription.recurring_invoice_id).where(
        Subscription.company_id == actor.company_id,
        col(Subscription.recurring_invoice_id).is_not(None),
    )


def get_schedule(
    session: Session, *, actor, schedule_id: object, lock: bool = False
) -> RecurringInvoice:
    """One schedule of the staff user's company; NotFoundError for anything else, including a
    subscription's schedule."""
    require_staff(actor)
    row = own_row(
        session, RecurringInvoice, schedule_id, actor, what="recurring invoice", lock=lock
    )
    owned = session.exec(
        _subscription_owned(actor).where(Subscription.recurring_invoice_id == row.id)
    ).first()
    if owned is not None:
        raise NotFoundError("recurring invoice")
    return row


def schedule_lines(session: Session, schedule_id: int) -> list[RecurringInvoiceLine]:
    """A schedule's lines in order."""
    return list(
        session.exec(
            select(RecurringInvoiceLine)
            .where(RecurringInvoiceLine.recurring_invoice_id == schedule_id)
            .order_by(col(RecurringInvoiceLine.position), col(RecurringInvoiceLine.id))
        ).all()
    )


def _whole(value: object, low: int, high: int, message: str) -> int:
    cleaned = str(value if value is not None else "").strip()
    if not _WHOLE.fullmatch(cleaned) or not low <= int(cleaned) <= high:
        raise ValueError(message)
    return int(cleaned)


def _parse(
    session: Session, *, actor, form: RecurringForm, today: date, row: RecurringInvoice | None
) -> _Parsed:
    """Check the whole form; FormErrors names every wrong field, and nothing is written."""
    errors: dict[str, str] = {}
    document = DocumentForm(
        client_id=form.client_id,
        currency=form.currency,
        issue_date=form.start_date,
        po_number=form.po_number,
        terms=form.terms,
        public_notes=form.public_notes,
        lines=list(form.lines or []),
    )
    parsed = None
    try:
        parsed = parse_document(
            session, company_id=actor.company_id, form=document, kind="recurring"
        )
    except FormErrors as exc:
        errors.update({_RENAMED.get(k, k): v for k, v in exc.errors.items()})
        if "client_id" in errors:
            # Without a client nothing else can be read (the currency is the client's).
            raise FormErrors(errors) from None
    frequency = str(form.frequency or "")
    if frequency not in FREQUENCIES:
        errors["frequency"] = "Choose how often to send the invoice."
    auto_bill = str(form.auto_bill or "")
    if auto_bill not in AUTO_BILL_MODES:
        errors["auto_bill"] = "Choose an auto-bill mode."
    due_days = 0
    try:
        due_days = _whole(
            form.due_days, 0, MAX_DUE_DAYS, f"Enter a number of days from 0 to {MAX_DUE_DAYS}."
        )
    except ValueError as exc:
        errors["due_days"] = str(exc)
    cycles = None
    if not form.endless:
        issued = row.issued_count if row is not None else 0
        try:
            cycles = _whole(
                form.cycles, 1, MAX_CYCLES, f"Enter a number of invoices from 1 to {MAX_CYCLES}."
            )
            if cycles <= issued:
                errors["cycles"] = f"{issued} invoices were already issued; enter more than that."
        except ValueError as exc:
            errors["cycles"] = str(exc)
    # The start date is read here too, so its rules are reported along with wrong lines.
    try:
        start = parse_day(form.start_date, required=True)
    except ValueError:
        start = None  # document_forms already named what is wrong with it
    if start is not None and row is not None and row.issued_count > 0:
        if start != row.start_date:
            errors["start_date"] = (
                "This schedule already issued invoices; its start date cannot change."
            )
        if frequency in FREQUENCIES and frequency != row.frequency:
            errors["frequency"] = (
                "This schedule already issued invoices; stop it and create a new one "
                "to change how often it sends."
            )
    elif start is not None and start < today and (row is None or start != row.start_date):
        errors["start_date"] = "Start today or later."
    if parsed is not None and row is not None:
        if row.issued_count > 0 and parsed.currency != row.currency:
            errors["currency"] = (
                "This schedule already issued invoices; its currency cannot change."
            )
        if parsed.client.id != row.client_id:
            errors["client_id"] = "The client of a recurring invoice cannot be changed."
    if errors or parsed is None:
        raise FormErrors(errors or {"form": "Check the form."})
    return _Parsed(
        client=parsed.client,
        currency=parsed.currency,
        frequency=frequency,
        start_date=parsed.issue_date,
        cycles=cycles,
        auto_bill=auto_bill,
        due_days=due_days,
        po_number=parsed.po_number,
        terms=parsed.terms,
        public_notes=parsed.public_notes,
        lines=parsed.lines,
        subtotal_minor=parsed.subtotal_minor,
        tax_minor=parsed.tax_minor,
    )


def _default_enabled(mode: str) -> bool:
    # opt_out is on until the client switches it off; opt_in waits for the client's yes.
    return mode in (AutoBillMode.OPT_OUT, AutoBillMode.ALWAYS)


def _apply(session: Session, row: RecurringInvoice, parsed: _Parsed) -> None:
    if row.auto_bill != parsed.auto_bill or row.id is None:
        row.auto_bill_enabled = _default_enabled(parsed.auto_bill)
    row.auto_bill = parsed.auto_bill
    row.currency = parsed.currency
    row.frequency = parsed.frequency
    row.start_date = parsed.start_date
    row.remaining_cycles = None if parsed.cycles is None else parsed.cycles - row.issued_count
    row.due_days = parsed.due_days
    row.po_number = parsed.po_number
    row.terms = parsed.terms
    row.public_notes = parsed.public_notes
    row.subtotal_minor = parsed.subtotal_minor
    row.tax_minor = parsed.tax_minor
    row.amount_minor = parsed.subtotal_minor + parsed.tax_minor
    if row.status not in FINAL_STATUSES:
        row.next_send_date = period_date(row.start_date, row.frequency, row.issued_count)
    row.updated_at = utcnow()


def _store_lines(session: Session, row: RecurringInvoice, parsed: _Parsed) -> None:
    for old in schedule_lines(session, row.id):
        session.delete(old)
    session.flush()
    session.add_all(line_rows(RecurringInvoiceLine, parsed.lines, recurring_invoice_id=row.id))


def create_schedule(
    session: Session, *, actor, form: RecurringForm, today: date | None = None
) -> RecurringInvoice:
    """A new active schedule for one of the company's clients; its first invoice is issued by
    the job on the start date. FormErrors names every wrong field; nothing is written then."""
    require_role(actor, StaffAction.MANAGE_RECURRING)
    today = today or date.today()
    parsed = _parse(session, actor=actor, form=form, today=today, row=None)
    row = RecurringInvoice(
        company_id=actor.company_id,
        client_id=parsed.client.id,
        number=numbering.next_number(session, company_id=actor.company_id, kind="recurring"),
        status=RecurringStatus.ACTIVE,
        currency=parsed.currency,
        start_date=parsed.start_date,
    )
    _apply(session, row, parsed)
    session.add(row)
    session.flush()
    _store_lines(session, row, parsed)
    session.flush()
    record(
        session,
        actor,
        action="recurring_invoice.created",
        entity_type="recurring_invoice",
        entity_id=row.id,
        client_id=row.client_id,
        details={
            "number": row.number,
            "amount": row.amount_minor,
            "currency": row.currency,
            "frequency": row.frequency,
            "start_date": row.start_date,
            "cycles": row.remaining_cycles,
            "auto_bill": str(row.auto_bill),
        },
    )
    return row


def update_schedule(
    session: Session,
    *,
    actor,
    schedule_id: object,
    form: RecurringForm,
    today: date | None = None,
) -> RecurringInvoice:
    """Replace a schedule's fields and lines; later invoices use them, issued ones keep theirs.
    A stopped or completed schedule is refused (ValidationError on "status")."""
    require_role(actor, StaffAction.MANAGE_RECURRING)
    row = get_schedule(session, actor=actor, schedule_id=schedule_id, lock=True)
    if row.status in FINAL_STATUSES:
        raise ValidationError(
            "status", f"This recurring invoice is {row.status}; it cannot be edited."
        )
    parsed = _parse(session, actor=actor, form=form, today=today or date.today(), row=row)
    _apply(session, row, parsed)
    session.add(row)
    _store_lines(session, row, parsed)
    session.flush()
    record(
        session,
        actor,
        action="recurring_invoice.updated",
        entity_type="recurring_invoice",
        entity_id=row.id,
        client_id=row.client_id,
        details={"amount": row.amount_minor, "frequency": row.frequency},
    )
    return row


def _set_status(session: Session, actor, row: RecurringInvoice, status, action: str) -> None:
    before = row.status
    row.status = status
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        action=f"recurring_invoice.{action}",
        entity_type="recurring_invoice",
        entity_id=row.id,
        client_id=row.client_id,
        details={"number": row.number, "from": str(before)},
    )


def pause_schedule(session: Session, *, actor, schedule_id: object) -> RecurringInvoice:
    """Stop issuing until resumed; only an active schedule can be paused."""
    require_role(actor, StaffAction.MANAGE_RECURRING)
    row = get_schedule(session, actor=actor, schedule_id=schedule_id, lock=True)
    if row.status != RecurringStatus.ACTIVE:
        raise ValidationError(
            "status", f"This recurring invoice is {row.status}; only an active one can be paused."
        )
    _set_status(session, actor, row, RecurringStatus.PAUSED, "paused")
    return row


def resume_schedule(
    session: Session, *, actor, schedule_id: object, today: date | None = None
) -> RecurringInvoice:
    """Start a paused (or draft) schedule again. Periods that passed while it was paused are
    skipped: the next invoice goes out on the first period date from today on."""
    require_role(actor, StaffAction.MANAGE_RECURRING)
    row = get_schedule(session, actor=actor, schedule_id=schedule_id, lock=True)
    if row.status not in (RecurringStatus.PAUSED, RecurringStatus.DRAFT):
        raise ValidationError(
            "status", f"This recurring invoice is {row.status}; only a paused one can be resumed."
        )
    today = today or date.today()
    skipped = 0
    while period_date(row.start_date, row.frequency, row.issued_count + skipped) < today:
        skipped += 1
    if skipped:
        # The job counts periods from the start date, so the start moves on by the skipped
        # periods (issued_count keeps counting real invoices).
        row.start_date = period_date(row.start_date, row.frequency, skipped)
    row.next_send_date = period_date(row.start_date, row.frequency, row.issued_count)
    _set_status(session, actor, row, RecurringStatus.ACTIVE, "resumed")
    return row


def stop_schedule(session: Session, *, actor, schedule_id: object) -> RecurringInvoice:
    """Cancel a schedule for good: no further invoices (issued ones stay as they are). A
    schedule already stopped or completed is refused, so a second click records nothing."""
    require_role(actor, StaffAction.MANAGE_RECURRING)
    row = get_schedule(session, actor=actor, schedule_id=schedule_id, lock=True)
    if row.status == RecurringStatus.CANCELLED:
        raise ValidationError("status", gettext("This recurring invoice is already stopped."))
    if row.status == RecurringStatus.COMPLETED:
        raise ValidationError(
            "status", gettext("This recurring invoice already issued all its invoices.")
        )
    row.next_send_date = None
    _set_status(session, actor, row, RecurringStatus.CANCELLED, "stopped")
    return row


def list_schedules(
    session: Session, *, actor, status: str = "all", client_id: object = None, page: int = 1
) -> StaffRecurringPage:
    """One page of the company's schedules (next to send first), filtered by a whitelisted
    status and optionally one client."""
    require_staff(actor)
    page = max(1, min(int(page or 1), MAX_PAGE))
    ri = RecurringInvoice
    where = and_(ri.company_id == actor.company_id, col(ri.id).not_in(_subscription_owned(actor)))
    if status in STATUS_FILTERS and status != "all":
        where = and_(where, ri.status == status)
    if client_id not in (None, "", "all"):
        try:
            wanted = parse_record_id(client_id, "client")
        except NotFoundError:
            where = and_(where, false())
        else:
            where = and_(where, ri.client_id == min(wanted, MAX_ID))
    rows = session.exec(
        select(ri, Client.name)
        .join(Client, Client.id == ri.client_id)
        .where(where)
        .order_by(col(ri.next_send_date).is_(None), col(ri.next_send_date), col(ri.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    locale = company_locale(session, actor.company_id)
    return StaffRecurringPage(
        rows=[
            StaffRecurringRow(
                id=row.id,
                number=row.number,
                client_id=row.client_id,
                client_name=client_name,
                status=str(row.status),
                status_label=status_label(row),
                badge_key=badge_key(row),
                frequency=frequency_label(row.frequency),
                next_send_date=format_day(row.next_send_date, locale),
                cycles_left=cycles_left(row),
                amount=format_money(row.amount_minor, row.currency, locale),
            )
            for row, client_name in rows[:PAGE_SIZE]
        ],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
    )


def schedule_detail(session: Session, *, actor, schedule_id: object) -> StaffRecurringDetail:
    """One schedule with its lines, the newest invoices it issued and the actions open now."""
    row = get_schedule(session, actor=actor, schedule_id=schedule_id)
    client = session.get(Client, row.client_id)
    locale = company_locale(session, actor.company_id)

    def money(minor: int, currency: str = row.currency) -> str:
        return format_money(minor, currency, locale)

    invoices = session.exec(
        select(Invoice)
        .where(Invoice.company_id == actor.company_id, Invoice.recurring_invoice_id == row.id)
        .order_by(col(Invoice.issue_date).desc(), col(Invoice.id).desc())
        .limit(ISSUED_SHOWN + 1)
    ).all()
    requested = ""
    if row.cancel_requested_at is not None:
        requested = format_day(row.cancel_requested_at.date(), locale)
        if row.cancel_reason:
            requested = f"{requested}: {row.cancel_reason}"
    final = row.status in FINAL_STATUSES
    return StaffRecurringDetail(
        id=row.id,
        number=row.number,
        status=str(row.status),
        status_label=status_label(row),
        badge_key=badge_key(row),
        client_id=row.client_id,
        client_name=client.name if client else "",
        frequency=frequency_label(row.frequency),
        start_date=format_day(row.start_date, locale),
        next_send_date=format_day(row.next_send_date, locale),
        last_sent_date=format_day(row.last_sent_date, locale),
        cycles_left=cycles_left(row),
        issued_count=row.issued_count,
        due_days=f"{row.due_days} days",
        auto_bill=gettext(AUTO_BILL_LABELS.get(row.auto_bill, str(row.auto_bill))),
        po_number=row.po_number,
        terms=row.terms,
        public_notes=row.public_notes,
        cancel_requested=requested,
        subtotal=money(row.subtotal_minor),
        tax=money(row.tax_minor),
        total=money(row.amount_minor),
        lines=[
            StaffLineView(
                description=line.description,
                quantity=format_quantity(line.quantity_milli),
                unit_price=money(line.unit_price_minor),
                tax=(
                    f"{line.tax_name} {line.tax_rate_bp / 100:g}%".strip()
                    if line.tax_rate_bp
                    else ""
                ),
                net=money(line.net_minor),
            )
            for line in schedule_lines(session, row.id)
        ],
        invoices=[
            IssuedInvoiceRow(
                id=inv.id,
                number=inv.number,
                issue_date=format_day(inv.issue_date, locale),
                status_label=invoice_status_label(inv.status),
                status=inv.status,
                amount=money(inv.amount_minor, inv.currency),
                balance=money(inv.balance_minor, inv.currency),
            )
            for inv in invoices[:ISSUED_SHOWN]
        ],
        more_invoices=len(invoices) > ISSUED_SHOWN,
        can_edit=not final,
        can_pause=row.status == RecurringStatus.ACTIVE,
        can_resume=row.status in (RecurringStatus.PAUSED, RecurringStatus.DRAFT),
        can_stop=not final,
    )


def edit_form(session: Session, *, actor, schedule_id: object) -> RecurringForm:
    """The form that edits a schedule, filled with what is stored (major-unit strings)."""
    from portal_app.services.billing.document_forms import form_from_record

    row = get_schedule(session, actor=actor, schedule_id=schedule_id)
    # form_from_record reads issue_date; a schedule's is its start date.
    doc = form_from_record(_AsDocument(row), schedule_lines(session, row.id), currency=row.currency)
    total = None if row.remaining_cycles is None else row.remaining_cycles + row.issued_count
    return RecurringForm(
        client_id=str(row.client_id),
        currency=row.currency,
        frequency=row.frequency,
        start_date=row.start_date.isoformat(),
        endless=total is None,
        cycles="" if total is None else str(total),
        auto_bill=str(row.auto_bill),
        due_days=str(row.due_days),
        po_number=row.po_number,
        terms=row.terms,
        public_notes=row.public_notes,
        lines=doc.lines,
    )


@dataclass(frozen=True, slots=True)
class _AsDocument:
    """A schedule seen through the fields form_from_record reads."""

    row: RecurringInvoice

    @property
    def client_id(self) -> int:
        return self.row.client_id

    @property
    def issue_date(self) -> date:
        return self.row.start_date

    @property
    def public_notes(self) -> str:
        return self.row.public_notes
