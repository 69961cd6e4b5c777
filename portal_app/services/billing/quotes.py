"""Quotes as a client sees them, and their approval (which may turn them into invoices).

Every query is scoped to the actor's client and company; drafts never reach the portal.

Expiry is decided on read: a sent quote whose `valid_until` has passed *is* expired for the
list, the detail and approval, whether or not `expire_quotes` (the nightly job) has marked it
yet. The job only makes the stored status catch up, so staff reports agree with the portal.

Emailed-link sessions may approve and decline: the link is how a quote reaches the client
(Invoice Ninja's quote e-mail opens a page with the Approve button), approval moves no money,
and the approval record keeps the contact, time, address and terms version. Staff preview
may never approve or decline.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from datetime import date, timedelta

from PIL import Image, UnidentifiedImageError
from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext, pgettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.core.paging import (
    contains_text,
    fetch_page,
    parse_record_id,
    sort_order,
)
from portal_app.models import (
    Client,
    Company,
    Invoice,
    InvoiceLine,
    Quote,
    QuoteApproval,
    QuoteLine,
)
from portal_app.models.invoice import PAYABLE_STATUSES, VISIBLE_STATUSES
from portal_app.models.quote import VISIBLE_QUOTE_STATUSES
from portal_app.models.statuses import InvoiceStatus, QuoteStatus
from portal_app.schemas.quote import (
    ApprovalResult,
    ApprovalRules,
    QuotePage,
    QuoteRowView,
    QuoteView,
)
from portal_app.services.billing.invoice_math import copy_lines
from portal_app.services.billing.invoices import COUNT_CAP, PAGE_SIZES
from portal_app.services.billing.numbering import next_number
from portal_app.services.billing.party_views import (
    client_party,
    company_party,
    line_views,
    logo_path,
    tax_rows,
)
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import client_scope, get_client_record

FILTERS = ("all", "pending", "approved", "expired")
SORTS = {
    "number": Quote.number,
    "date": Quote.issue_date,
    "valid_until": Quote.valid_until,
    "amount": Quote.amount_minor,
}
MAX_SEARCH_LENGTH = 50
MAX_PAGE = 1_000_000
# One approval or ZIP covers at most this many quotes (one transaction, one request).
MAX_QUOTES_PER_ACTION = 50
MAX_PO_LENGTH = 100
MAX_DECLINE_REASON = 1000
# An invoice made from an approved quote is due this many days after approval (the company
# has no payment-terms setting yet; 30 days is what the demo's invoice terms promise).
INVOICE_DUE_DAYS = 30
# A drawn signature is a small PNG: a canvas of a few hundred pixels is well under this.
MAX_SIGNATURE_BYTES = 300_000
MAX_SIGNATURE_SIDE = 2000
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_DATA_URL_PREFIX = "data:image/png;base64,"


def _status_labels() -> dict[str, str]:
    """The statuses as a client reads them, in the language of the current event."""
    return {
        "sent": pgettext("quote status", "Pending"),
        "approved": pgettext("quote status", "Approved"),
        "converted": pgettext("quote status", "Converted"),
        "expired": pgettext("quote status", "Expired"),
        "declined": pgettext("quote status", "Declined"),
    }


class QuoteRefusedError(ValidationError):
    """The quote cannot be approved or declined in its present state; the message says why."""

    def __init__(self, message: str):
        super().__init__("quote", message)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the list page asks for; every field is checked against a whitelist."""

    status: str = "all"
    search: str = ""
    sort: str = "date"
    descending: bool = True
    page: int = 1
    page_size: int = 25

    def normalized(self) -> ListQuery:
        try:
            page = max(1, min(int(self.page), MAX_PAGE))
        except (TypeError, ValueError):
            page = 1
        return ListQuery(
            status=self.status if self.status in FILTERS else "all",
            search=str(self.search or "").strip()[:MAX_SEARCH_LENGTH],
            sort=self.sort if self.sort in SORTS else "date",
            descending=bool(self.descending),
            page=page,
            page_size=self.page_size if self.page_size in PAGE_SIZES else 25,
        )


# -- reading ----------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or utcnow().date()


# The portal's own rule beside the client scope: drafts never reach it.
_VISIBLE = col(Quote.status).in_(VISIBLE_QUOTE_STATUSES)


def _scoped(actor: Actor):
    """Conditions every client-side quote query carries: the client scope (an e-mailed-link
    session: only its linked quote, see services/identity/scope.py), drafts never."""
    return and_(client_scope(Quote, actor), _VISIBLE)


def _not_lapsed(today: date):
    """SQL: the quote's validity has not run out by `today` (it is valid through that day)."""
    return or_(col(Quote.valid_until).is_(None), col(Quote.valid_until) >= today)


def effective_status(quote: Quote, today: date | None = None) -> str:
    """The status the client sees: a sent quote past its `valid_until` is 'expired'."""
    today = _today(today)
    if (
        quote.status == QuoteStatus.SENT
        and quote.valid_until is not None
        and quote.valid_until < today
    ):
        return "expired"
    return quote.status


def status_label(status: str) -> str:
    """The quote status `status` in words (see _status_labels)."""
    return _status_labels().get(status, status.capitalize())


def _status_condition(status: str, today: date):
    if status == "pending":
        return and_(Quote.status == QuoteStatus.SENT, _not_lapsed(today))
    if status == "approved":
        return col(Quote.status).in_(("approved", "converted"))
    if status == "expired":
        return or_(
            Quote.status == QuoteStatus.EXPIRED,
            and_(Quote.status == QuoteStatus.SENT, col(Quote.valid_until) < today),
        )
    return None


def parse_quote_id(raw: object) -> int:
    """A quote id from a URL or the browser; NotFoundError when it is not a plain number."""
    return parse_record_id(raw, "quote")


def list_quotes(
    session: Session, *, actor: Actor, query: ListQuery, today: date | None = None
) -> QuotePage:
    """One page of the client's non-draft quotes, filtered, searched and sorted."""
    q = query.normalized()
    modules.require(session, actor=actor, module="quotes")
    today = _today(today)
    conditions = [_scoped(actor)]
    status_condition = _status_condition(q.status, today)
    if status_condition is not None:
        conditions.append(status_condition)
    if q.search:
        conditions.append(contains_text(Quote.number, q.search))
    found = fetch_page(
        session,
        Quote,
        where=and_(*conditions),
        order=sort_order(SORTS[q.sort], Quote.id, descending=q.descending),
        page=q.page,
        page_size=q.page_size,
        cap=COUNT_CAP,
    )
    locale = client_locale(session, actor)
    return QuotePage(
        rows=[_row_view(quote, locale, today) for quote in found.rows],
        page=q.page,
        page_size=q.page_size,
        total=found.total,
        total_is_capped=found.total_is_capped,
        has_next=found.has_next,
    )


def _row_view(quote: Quote, locale: str, today: date) -> QuoteRowView:
    status = effective_status(quote, today)
    return QuoteRowView(
        id=quote.id,
        number=quote.number,
        status=status,
        status_label=status_label(status),
        issue_date=format_day(quote.issue_date, locale),
        valid_until=format_day(quote.valid_until, locale),
        amount=format_money(quote.amount_minor, quote.currency, locale),
        is_approvable=status == "sent",
    )


def pending_count(session: Session, *, actor: Actor, today: date | None = None) -> int:
    """How many of the client's quotes wait for an answer (0 when the module is off)."""
    if not modules.is_enabled(session, company_id=actor.company_id, module="quotes"):
        return 0
    capped = (
        select(Quote.id)
        .where(_scoped(actor), _status_condition("pending", _today(today)))
        .limit(COUNT_CAP)
        .subquery()
    )
    return session.exec(select(func.count()).select_from(capped)).one()


def get_client_quote(session: Session, *, actor: Actor, quote_id: int) -> Quote:
    """The actor's visible quote with this id; NotFoundError for anything else."""
    return get_client_record(session, Quote, quote_id, actor=actor, noun="quote", where=_VISIBLE)


def quote_view(
    session: Session, *, actor: Actor, quote_id: int, today: date | None = None
) -> QuoteView:
    """The full quote for the detail page and the PDF."""
    modules.require(session, actor=actor, module="quotes")
    quote = get_client_quote(session, actor=actor, quote_id=quote_id)
    return build_quote_view(session, quote, locale=client_locale(session, actor), today=today)


def build_quote_view(
    session: Session, quote: Quote, *, locale: str, today: date | None = None
) -> QuoteView:
    """Format a quote (already authorised by the caller) into its view object."""
    status = effective_status(quote, today)
    company = session.get(Company, quote.company_id)
    client = session.get(Client, quote.client_id)
    lines = session.exec(
        select(QuoteLine)
        .where(QuoteLine.quote_id == quote.id)
        .order_by(col(QuoteLine.position), col(QuoteLine.id))
    ).all()
    invoice = session.get(Invoice, quote.invoice_id) if quote.invoice_id else None
    # The invoice is shown only while the portal shows it (never a draft or another client's).
    if invoice is not None and (
        invoice.client_id != quote.client_id or invoice.status not in VISIBLE_STATUSES
    ):
        invoice = None

    def money(minor: int) -> str:
        return format_money(minor, quote.currency, locale)

    return QuoteView(
        id=quote.id,
        number=quote.number,
        status=status,
        status_label=status_label(status),
        currency=quote.currency,
        issue_date=format_day(quote.issue_date, locale),
        valid_until=format_day(quote.valid_until, locale),
        po_number=quote.po_number,
        company=company_party(company),
        client=client_party(client),
        lines=line_views(lines, money),
        taxes=tax_rows(lines, money),
        subtotal=money(quote.subtotal_minor),
        tax_total=money(quote.tax_minor),
        total=money(quote.amount_minor),
        terms=quote.terms,
        public_notes=quote.public_notes,
        footer=quote.footer or company.invoice_footer,
        approved_on=format_day(quote.approved_at, locale),
        declined_on=format_day(quote.declined_at, locale),
        decline_reason=quote.decline_reason,
        invoice_id=invoice.id if invoice else 0,
        invoice_number=invoice.number if invoice else "",
        invoice_payable=bool(
            invoice and invoice.status in PAYABLE_STATUSES and invoice.balance_minor > 0
        ),
        is_approvable=status == "sent",
        is_declinable=status == "sent" and company.allow_quote_decline,
        logo_path=logo_path(company),
        primary_color=company.primary_color,
    )


def record_view(session: Session, *, actor: Actor, quote: Quote) -> None:
    """Note that the client opened a quote (never for staff preview)."""
    if actor.is_preview:
        return
    # Two statements at once rather than the ORM's flush of a changed object: every view
    # pays for this (issue 25). The loaded quote keeps the time without turning dirty.
    now = utcnow()
    # The table, not the class: an ORM-enabled UPDATE costs as much again in SQLAlchemy.
    table = Quote.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == quote.id).values(last_viewed_at=now))
    set_committed_value(quote, "last_viewed_at", now)
    audit.insert_contact_action(session, actor, "quote", quote.id, "quote_viewed")


def quotes_for_download(session: Session, *, actor: Actor, quote_ids: list[int]) -> list[Quote]:
    """The actor's quotes among `quote_ids`; any id that is not theirs makes it not found."""
    unique_ids = _unique_ids(quote_ids)
    modules.require(session, actor=actor, module="quotes")
    found = session.exec(
        select(Quote).where(_scoped(actor), col(Quote.id).in_(unique_ids)).order_by(col(Quote.id))
    ).all()
    if len(found) != len(unique_ids):
        raise NotFoundError("quote")
    return list(found)


def _unique_ids(quote_ids: list[int]) -> list[int]:
    """Sorted distinct positive ids; NotFoundError for none, too many, or anything not an int."""
    if not isinstance(quote_ids, list | tuple):
        raise NotFoundError("quote")
    ids = set()
    for value in quote_ids:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise NotFoundError("quote")
        ids.add(value)
    if not ids or len(ids) > MAX_QUOTES_PER_ACTION:
        raise NotFoundError("quote")
    return sorted(ids)


# -- approval ---------------------------------------------------------------------------------


def approval_rules(session: Session, *, actor: Actor) -> ApprovalRules:
    """What the actor's company asks for before a quote is approved."""
    company = session.get(Company, actor.company_id)
    return ApprovalRules(
        require_terms=company.require_quote_terms,
        terms=company.quote_terms,
        terms_version=company.quote_terms_version,
        require_signature=company.require_quote_signature,
        converts=company.convert_approved_quotes,
        allow_decline=company.allow_quote_decline,
    )


def decode_signature(data_url: str) -> bytes:
    """The PNG bytes of a canvas's `toDataURL('image/png')`; ValidationError for anything else."""
    text = data_url if isinstance(data_url, str) else ""
    if not text.startswith(_DATA_URL_PREFIX):
        raise ValidationError("signature", gettext("Draw your signature, or type your name."))
    encoded = text[len(_DATA_URL_PREFIX) :]
    if len(encoded) > (MAX_SIGNATURE_BYTES * 4) // 3 + 4:
        raise ValidationError("signature", gettext("The signature image is too large."))
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("signature", gettext("The signature could not be read.")) from exc
    return check_signature_png(data)


def check_signature_png(data: bytes) -> bytes:
    """`data` when it is a real, non-blank PNG of sensible size; ValidationError otherwise."""
    if not isinstance(data, bytes) or not data:
        raise ValidationError("signature", gettext("Draw your signature, or type your name."))
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationError("signature", gettext("The signature image is too large."))
    if not data.startswith(_PNG_MAGIC):
        raise ValidationError("signature", gettext("The signature must be a PNG image."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != "PNG":
                raise ValidationError("signature", gettext("The signature must be a PNG image."))
            width, height = probe.size
            # Checked before decoding the pixels: a tiny file may claim a huge canvas.
            if not (0 < width <= MAX_SIGNATURE_SIDE and 0 < height <= MAX_SIGNATURE_SIDE):
                raise ValidationError("signature", gettext("The signature image has an odd size."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
            flat.alpha_composite(image.convert("RGBA"))
            ink = flat.convert("L").point(lambda p: 255 if p < 200 else 0)
            if ink.getbbox() is None:
                raise ValidationError("signature", gettext("The signature is empty: please sign."))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError("signature", gettext("The signature could not be read.")) from None
    return data


def _clean_po(po_number: str | None) -> str:
    text = " ".join(str(po_number or "").split())
    if len(text) > MAX_PO_LENGTH:
        raise ValidationError(
            "po_number",
            gettext("A PO number has at most %(num)s characters.") % {"num": MAX_PO_LENGTH},
        )
    return text


def _refusal(quote: Quote, today: date, locale: str, *, declining: bool = False) -> str | None:
    """Why `quote` cannot be answered now (approved, or declined when `declining`), or None
    when it is pending."""
    status = effective_status(quote, today)
    if status == "sent":
        return None
    if status == "expired":
        when = format_day(quote.valid_until, locale) if quote.valid_until else ""
        names = {"number": quote.number, "date": when}
        if when:
            return gettext("Quote %(number)s expired on %(date)s.") % names
        return gettext("Quote %(number)s expired.") % names
    if status in ("approved", "converted"):
        return gettext("Quote %(number)s was already approved.") % {"number": quote.number}
    if status == "declined":
        return gettext("Quote %(number)s was declined.") % {"number": quote.number}
    if declining:
        return gettext("Quote %(number)s cannot be declined.") % {"number": quote.number}
    return gettext("Quote %(number)s cannot be approved.") % {"number": quote.number}


def approve_quotes(
    session: Session,
    *,
    actor: Actor,
    quote_ids: list[int],
    terms_accepted: bool = False,
    terms_version: int | None = None,
    signature_png: bytes | None = None,
    po_number: str = "",
    user_agent: str = "",
    today: date | None = None,
) -> ApprovalResult:
    """Approve one or several of the actor's pending quotes, all or none.

    Where the company asks for them, the terms (in the version shown) must be accepted and a
    signature PNG given. Each quote gets one QuoteApproval record. When the company converts
    approved quotes, each becomes a sent invoice linked through `Quote.invoice_id`, and the
    quote's status is 'converted'; otherwise 'approved'.

    Refusals: ReadOnlyError for staff preview; NotFoundError when any id is not the client's;
    QuoteRefusedError (a ValidationError) naming the quote that expired, was answered already
    or was approved meanwhile in another window; ValidationError for missing terms, signature
    or a bad PO number. The status moves by a conditional UPDATE, so two windows approving at
    once create one invoice. Nothing is committed here: on any error the caller rolls back,
    which also undoes quotes of the same call approved before the failure.
    """
    if actor.is_preview:
        raise ReadOnlyError(gettext("Staff preview cannot approve quotes."))
    ids = _unique_ids(quote_ids)
    modules.require(session, actor=actor, module="quotes")
    today = _today(today)
    locale = client_locale(session, actor)
    found = session.exec(
        select(Quote).where(_scoped(actor), col(Quote.id).in_(ids)).order_by(col(Quote.id))
    ).all()
    if len(found) != len(ids):
        raise NotFoundError("quote")
    for quote in found:
        reason = _refusal(quote, today, locale)
        if reason:
            raise QuoteRefusedError(reason)

    company = session.get(Company, actor.company_id)
    if company.require_quote_terms:
        if not terms_accepted:
            raise ValidationError("terms", gettext("Accept the terms to approve."))
        if terms_version != company.quote_terms_version:
            raise ValidationError(
                "terms", gettext("The terms have changed: please read them again.")
            )
    signature = None
    if company.require_quote_signature:
        if not signature_png:
            raise ValidationError("signature", gettext("Draw your signature, or type your name."))
        signature = check_signature_png(signature_png)
    po = _clean_po(po_number)

    now = utcnow()
    invoice_ids: list[int] = []
    for quote in found:
        _claim(session, quote, today=today, now=now, po=po)
        session.add(
            QuoteApproval(
                company_id=actor.company_id,
                quote_id=quote.id,
                contact_id=actor.contact_id,
                terms_version=company.quote_terms_version if company.require_quote_terms else 0,
                terms_accepted=bool(terms_accepted and company.require_quote_terms),
                signature_png=signature,
                po_number=po,
                ip=(actor.ip or "")[:64],
                user_agent=(user_agent or "")[:300],
                created_at=now,
            )
        )
        details = {"number": quote.number, "po_number": po, "link": actor.is_link_session}
        audit.record(
            session,
            company_id=actor.company_id,
            client_id=actor.client_id,
            action="quote_approved",
            actor_type="contact",
            actor_id=actor.contact_id,
            entity_type="quote",
            entity_id=quote.id,
            ip=actor.ip,
            details=details,
        )
        if company.convert_approved_quotes:
            invoice = create_invoice_from_quote(session, quote=quote, today=today, now=now)
            quote.invoice_id = invoice.id
            quote.status = QuoteStatus.CONVERTED
            quote.updated_at = now
            session.add(quote)
            invoice_ids.append(invoice.id)
            audit.record(
                session,
                company_id=actor.company_id,
                client_id=actor.client_id,
                action="quote_converted",
                actor_type="contact",
                actor_id=actor.contact_id,
                entity_type="invoice",
                entity_id=invoice.id,
                ip=actor.ip,
                details={"quote_id": quote.id, "number": invoice.number},
            )
    session.flush()
    return ApprovalResult(quote_ids=[q.id for q in found], invoice_ids=invoice_ids)


def _claim(session: Session, quote: Quote, *, today: date, now, po: str) -> None:
    """Move one pending quote to 'approved' with a conditional UPDATE: only one caller wins."""
    values = {"status": "approved", "approved_at": now, "updated_at": now}
    if po:
        values["po_number"] = po
    result = session.exec(
        update(Quote)
        .where(
            Quote.id == quote.id,
            Quote.company_id == quote.company_id,
            Quote.client_id == quote.client_id,
            Quote.status == QuoteStatus.SENT,
            _not_lapsed(today),
        )
        .values(values)
    )
    if result.rowcount != 1:
        raise QuoteRefusedError(
            gettext("Quote %(number)s was already answered in another window.")
            % {"number": quote.number}
        )
    session.refresh(quote)


def create_invoice_from_quote(session: Session, *, quote: Quote, today: date, now) -> Invoice:
    """A sent invoice with the quote's lines and totals, numbered by the company's counter."""
    invoice = Invoice(
        company_id=quote.company_id,
        client_id=quote.client_id,
        number=next_number(session, company_id=quote.company_id, kind="invoice"),
        status=InvoiceStatus.SENT,
        currency=quote.currency,
        issue_date=today,
        due_date=today + timedelta(days=INVOICE_DUE_DAYS),
        po_number=quote.po_number,
        subtotal_minor=quote.subtotal_minor,
        tax_minor=quote.tax_minor,
        amount_minor=quote.amount_minor,
        paid_to_date_minor=0,
        balance_minor=quote.amount_minor,
        public_notes=quote.public_notes,
        footer=quote.footer,
        sent_at=now,
    )
    session.add(invoice)
    session.flush()
    lines = session.exec(
        select(QuoteLine)
        .where(QuoteLine.quote_id == quote.id)
        .order_by(col(QuoteLine.position), col(QuoteLine.id))
    ).all()
    session.add_all(copy_lines(lines, InvoiceLine, invoice_id=invoice.id))
    return invoice


def decline_quote(
    session: Session,
    *,
    actor: Actor,
    quote_id: int,
    reason: str = "",
    today: date | None = None,
) -> Quote:
    """Decline one of the actor's pending quotes, with an optional reason, where allowed.

    ReadOnlyError for staff preview; NotFoundError when it is not the client's;
    ValidationError when the company does not allow declining or the reason is too long;
    QuoteRefusedError when the quote is no longer pending.
    """
    if actor.is_preview:
        raise ReadOnlyError(gettext("Staff preview cannot decline quotes."))
    modules.require(session, actor=actor, module="quotes")
    quote = get_client_quote(session, actor=actor, quote_id=quote_id)
    company = session.get(Company, actor.company_id)
    if not company.allow_quote_decline:
        raise ValidationError(
            "quote", gettext("Quotes cannot be declined here: please contact us.")
        )
    text = str(reason or "").strip()
    if len(text) > MAX_DECLINE_REASON:
        raise ValidationError(
            "reason",
            gettext("A reason has at most %(num)s characters.") % {"num": MAX_DECLINE_REASON},
        )
    today = _today(today)
    refusal = _refusal(quote, today, client_locale(session, actor), declining=True)
    if refusal:
        raise QuoteRefusedError(refusal)
    now = utcnow()
    result = session.exec(
        update(Quote)
        .where(Quote.id == quote.id, Quote.status == QuoteStatus.SENT, _not_lapsed(today))
        .values(status=QuoteStatus.DECLINED, declined_at=now, decline_reason=text, updated_at=now)
    )
    if result.rowcount != 1:
        raise QuoteRefusedError(
            gettext("Quote %(number)s was already answered in another window.")
            % {"number": quote.number}
        )
    session.refresh(quote)
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="quote_declined",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="quote",
        entity_id=quote.id,
        ip=actor.ip,
        details={"number": quote.number, "reason": text[:200]},
    )
    return quote


# -- the job ----------------------------------------------------------------------------------


def expire_quotes(session: Session, *, today: date | None = None) -> int:
    """Mark every sent quote whose validity ran out before `today` as expired (all companies).

    Idempotent and safe to run concurrently: one conditional UPDATE. Returns how many changed.
    The portal already treats such quotes as expired on read; this keeps the stored status in
    step for staff and reports.
    """
    today = _today(today)
    result = session.exec(
        update(Quote)
        .where(
            Quote.status == QuoteStatus.SENT,
            col(Quote.valid_until).is_not(None),
            col(Quote.valid_until) < today,
        )
        .values(status=QuoteStatus.EXPIRED, updated_at=utcnow())
    )
    return int(result.rowcount or 0)
