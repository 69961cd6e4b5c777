"""Client documents: storage (content-addressed), scoped listing, signed download tokens, ZIPs.

Files never go to Reflex's upload folder (served to anyone): they live in the file store
(portal_app/storage: settings.documents_root or a bucket) as <sha256[:2]>/<sha256> and are
served only by GET /api/files/{token}, which checks both the signed token and the session cookie.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from sqlalchemy import and_, bindparam, func, or_, true
from sqlmodel import Session, col, select

from portal_app import storage
from portal_app.core import signing
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.files import (
    INLINE_TYPES,
    PREVIEW,
    allowed_types,
    clean_name,
    detect_media_type,
    download_filename,
    format_size,
    type_label,
)
from portal_app.core.i18n import gettext, pgettext
from portal_app.core.locale import format_day
from portal_app.core.paging import parse_record_id
from portal_app.core.routes import credit_url, invoice_url, payment_url, quote_url
from portal_app.core.settings import Settings, get_settings
from portal_app.models import Company, Credit, Document, Invoice, Payment, Quote
from portal_app.models.credit import VISIBLE_CREDIT_STATUSES
from portal_app.models.document import UPLOADED_BY
from portal_app.models.invoice import VISIBLE_STATUSES
from portal_app.models.quote import VISIBLE_QUOTE_STATUSES
from portal_app.schemas.document import DocumentPage, DocumentRowView
from portal_app.services.billing.invoices import COUNT_CAP, PAGE_SIZES
from portal_app.services.company import client_activity, modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import audit
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.scope import PARAMETER_ACTOR as _PARAMETER_ACTOR
from portal_app.services.identity.scope import client_scope

MAX_PAGE = 1_000_000
MAX_ZIP_DOCUMENTS = 50
ATTACHED_TO = ("all", "client", "invoice", "credit", "payment")


# -- content detection ------------------------------------------------------------------------


# -- names ------------------------------------------------------------------------------------


# -- storage ----------------------------------------------------------------------------------


def document_path(sha256: str, settings: Settings | None = None) -> Path:
    """Where the bytes with this sha256 live under the documents root (the local store's
    layout; another store keeps the same key, storage.content_key)."""
    return Path((settings or get_settings()).documents_root) / storage.content_key(sha256)


def _write_once(data: bytes, sha256: str, settings: Settings) -> None:
    store = storage.get_store(settings)
    key = storage.content_key(sha256)
    if store.exists(key):
        return  # same bytes already stored: content-addressed, so nothing to do
    store.put(key, data)


def _check_owner(session: Session, model, record_id: int | None, company_id: int, client_id: int):
    # What a document is attached to must be the same client's (ids are never trusted).
    if record_id is None:
        return
    row = session.get(model, record_id)
    if row is None or row.company_id != company_id or row.client_id != client_id:
        raise NotFoundError(model.__name__.lower())


def store_document(
    session: Session,
    *,
    company_id: int,
    client_id: int,
    data: bytes,
    name: str,
    uploaded_by: str = "staff",
    invoice_id: int | None = None,
    credit_id: int | None = None,
    payment_id: int | None = None,
    quote_id: int | None = None,
    visible_to_client: bool = True,
    settings: Settings | None = None,
) -> Document:
    """Store a file for a client and record it; ValidationError (field 'file') for a file too
    large, empty, of a type not allowed, or with a bad name. Nothing is written then."""
    settings = settings or get_settings()
    if uploaded_by not in UPLOADED_BY:
        raise ValueError(f"uploaded_by must be one of {UPLOADED_BY}")
    if sum(x is not None for x in (invoice_id, credit_id, payment_id, quote_id)) > 1:
        raise ValueError("a document belongs to at most one invoice, credit, payment or quote")
    if not data:
        raise ValidationError("file", gettext("The file is empty."))
    if len(data) > settings.documents_max_bytes:
        limit = settings.documents_max_bytes / (1024 * 1024)
        raise ValidationError(
            "file", gettext("The file is larger than %(limit)s MB.") % {"limit": f"{limit:g}"}
        )
    media_type = detect_media_type(data)
    if media_type is None or media_type not in allowed_types(settings):
        raise ValidationError(
            "file",
            gettext("This kind of file is not accepted. Use a PDF, an image, a sheet or text."),
        )
    clean = clean_name(name, media_type)
    _check_owner(session, Invoice, invoice_id, company_id, client_id)
    _check_owner(session, Credit, credit_id, company_id, client_id)
    _check_owner(session, Payment, payment_id, company_id, client_id)
    _check_owner(session, Quote, quote_id, company_id, client_id)
    sha256 = hashlib.sha256(data).hexdigest()
    _write_once(data, sha256, settings)
    document = Document(
        company_id=company_id,
        client_id=client_id,
        invoice_id=invoice_id,
        credit_id=credit_id,
        payment_id=payment_id,
        quote_id=quote_id,
        name=clean,
        sha256=sha256,
        size_bytes=len(data),
        media_type=media_type,
        visible_to_client=visible_to_client,
        uploaded_by=uploaded_by,
    )
    session.add(document)
    session.flush()
    return document


def uploads_allowed(session: Session, *, actor: Actor) -> bool:
    """Whether this session may upload: the company allows client uploads and has the
    documents module on, and the session is a full one (not staff preview, not an emailed
    link, which are limited to viewing and paying)."""
    company = session.get(Company, actor.company_id)
    return (
        company is not None
        and company.allow_client_uploads
        and "documents" in company.module_list()
        and not actor.is_preview
        and not actor.is_link_session
    )


def upload_client_document(
    session: Session, *, actor: Actor, data: bytes, name: str, settings: Settings | None = None
) -> Document:
    """A file the signed-in contact uploads to their own client's documents (visible to them
    and to staff). NotFoundError when the company does not allow uploads, ReadOnlyError for
    a preview or emailed-link session, ValidationError for the file itself."""
    modules.require(session, actor=actor, module="documents")
    company = session.get(Company, actor.company_id)
    if company is None or not company.allow_client_uploads:
        raise NotFoundError("uploads")
    if actor.is_preview or actor.is_link_session:
        raise ReadOnlyError(gettext("Sign in with your password to upload files."))
    document = store_document(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        data=data,
        name=name,
        uploaded_by="contact",
        settings=settings,
    )
    audit.record(
        session,
        company_id=actor.company_id,
        client_id=actor.client_id,
        action="document.uploaded",
        actor_type="contact",
        actor_id=actor.contact_id,
        entity_type="document",
        entity_id=document.id,
        ip=actor.ip,
        details={"name": document.name, "media_type": document.media_type},
    )
    return document


def read_bytes(document: Document, settings: Settings | None = None) -> bytes:
    """The stored bytes of a document (NotFoundError when the file is missing)."""
    try:
        return storage.get_store(settings).get(storage.content_key(document.sha256))
    except storage.ObjectNotFound as exc:
        raise NotFoundError("document") from exc


# -- client-side queries ----------------------------------------------------------------------


def _visible(actor: Actor):
    """Conditions every client-side document query carries: the client scope (an e-mailed-link
    session: only its document's files, see services/identity/scope.py), visible, and not
    attached to something the portal does not show (a draft invoice or credit)."""
    return and_(
        client_scope(Document, actor),
        col(Document.visible_to_client).is_(True),
        or_(col(Document.invoice_id).is_(None), col(Invoice.status).in_(VISIBLE_STATUSES)),
        or_(col(Document.credit_id).is_(None), col(Credit.status).in_(VISIBLE_CREDIT_STATUSES)),
        or_(col(Document.quote_id).is_(None), col(Quote.status).in_(VISIBLE_QUOTE_STATUSES)),
    )


# What a document row shows, read as plain columns (loading whole Document objects costs
# several times more per query), with the number of the record it belongs to.
_ROW_COLUMNS = (
    Document.id,
    Document.name,
    Document.media_type,
    Document.size_bytes,
    Document.created_at,
    Document.invoice_id,
    Document.credit_id,
    Document.payment_id,
    Document.quote_id,
    Invoice.number.label("invoice_number"),
    Credit.number.label("credit_number"),
    Payment.number.label("payment_number"),
    Quote.number.label("quote_number"),
)


def _joined(statement):
    return (
        statement.join(Invoice, col(Invoice.id) == Document.invoice_id, isouter=True)
        .join(Credit, col(Credit.id) == Document.credit_id, isouter=True)
        .join(Quote, col(Quote.id) == Document.quote_id, isouter=True)
    )


def _attached_filter(attached_to: str):
    if attached_to == "client":
        return and_(
            col(Document.invoice_id).is_(None),
            col(Document.credit_id).is_(None),
            col(Document.payment_id).is_(None),
            col(Document.quote_id).is_(None),
        )
    if attached_to == "invoice":
        return col(Document.invoice_id).is_not(None)
    if attached_to == "credit":
        return col(Document.credit_id).is_not(None)
    if attached_to == "payment":
        return col(Document.payment_id).is_not(None)
    return true()


def parse_document_id(raw: object) -> int:
    """A document id from the browser; NotFoundError when it is not a plain number."""
    return parse_record_id(raw, "document")


def list_client_documents(
    session: Session,
    *,
    actor: Actor,
    attached_to: str = "all",
    page: int = 1,
    page_size: int = 25,
) -> DocumentPage:
    """One page of the client's visible documents, newest first, filtered by what they belong
    to ('all', 'client', 'invoice', 'credit', 'payment'; anything else means 'all')."""
    modules.require(session, actor=actor, module="documents")
    attached_to = attached_to if attached_to in ATTACHED_TO else "all"
    page = max(1, min(int(page), MAX_PAGE))
    page_size = page_size if page_size in PAGE_SIZES else 25
    where = and_(_visible(actor), _attached_filter(attached_to))
    rows = session.exec(
        _joined(select(*_ROW_COLUMNS))
        .join(Payment, col(Payment.id) == Document.payment_id, isouter=True)
        .where(where)
        .order_by(col(Document.created_at).desc(), col(Document.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    ).all()
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    capped = _joined(select(Document.id)).where(where).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    locale = client_locale(session, actor)
    return DocumentPage(
        rows=[_row_view(row, locale) for row in rows],
        page=page,
        page_size=page_size,
        total=min(total, COUNT_CAP),
        total_is_capped=total > COUNT_CAP,
        has_next=has_next,
    )


def record_documents(
    session: Session, *, actor: Actor, attached_to: str, record_id: int
) -> list[DocumentRowView]:
    """The visible documents attached to one of the client's invoices, credits, payments or
    quotes (`attached_to` 'invoice' | 'credit' | 'payment' | 'quote'), for its detail page;
    empty when the documents module is off."""
    column = {
        "invoice": Document.invoice_id,
        "quote": Document.quote_id,
        "credit": Document.credit_id,
        "payment": Document.payment_id,
    }.get(attached_to)
    if column is None:
        raise ValueError(f"unknown record kind {attached_to!r}")
    if not modules.is_enabled(session, company_id=actor.company_id, module="documents"):
        return []
    rows = session.exec(
        _joined(select(*_ROW_COLUMNS))
        .join(Payment, col(Payment.id) == Document.payment_id, isouter=True)
        .where(_visible(actor), column == record_id)
        .order_by(col(Document.created_at).desc(), col(Document.id).desc())
        .limit(100)
    ).all()
    locale = client_locale(session, actor)
    return [_row_view(row, locale) for row in rows]


# An invoice page's documents in a statement built once (issue 25): `_visible`'s own
# conditions with the actor's ids as bind parameters (a stand-in actor whose ids are
# parameters), so each view binds values to SQL compiled once instead of building and hashing
# the statement again, which cost more than running it. An e-mailed-link session's narrower
# scope goes through `record_documents`, built per call.
_OWN_INVOICE_DOCUMENTS = (
    _joined(select(*_ROW_COLUMNS))
    .join(Payment, col(Payment.id) == Document.payment_id, isouter=True)
    .where(_visible(_PARAMETER_ACTOR), col(Document.invoice_id) == bindparam("invoice_id"))
    .order_by(col(Document.created_at).desc(), col(Document.id).desc())
    .limit(100)
)


def invoice_documents(session: Session, *, actor: Actor, invoice_id: int) -> list[DocumentRowView]:
    """The visible documents attached to one of the client's invoices."""
    if actor.is_link_session:
        return record_documents(session, actor=actor, attached_to="invoice", record_id=invoice_id)
    if not modules.is_enabled(session, company_id=actor.company_id, module="documents"):
        return []
    rows = session.exec(
        _OWN_INVOICE_DOCUMENTS,
        params={
            "company_id": actor.company_id,
            "client_id": actor.client_id,
            "invoice_id": invoice_id,
        },
    ).all()
    locale = client_locale(session, actor)
    return [_row_view(row, locale) for row in rows]


def _row_view(doc, locale: str) -> DocumentRowView:
    """A row of _ROW_COLUMNS as the lists show it."""
    if doc.invoice_id is not None:
        belongs = gettext("Invoice %(number)s") % {"number": doc.invoice_number}
        url = invoice_url(doc.invoice_id)
    elif doc.credit_id is not None:
        belongs = gettext("Credit %(number)s") % {"number": doc.credit_number}
        url = credit_url(doc.credit_id)
    elif doc.payment_id is not None:
        belongs = gettext("Payment %(number)s") % {"number": doc.payment_number}
        url = payment_url(doc.payment_id)
    elif doc.quote_id is not None:
        belongs = gettext("Quote %(number)s") % {"number": doc.quote_number}
        url = quote_url(doc.quote_id)
    else:
        belongs, url = pgettext("document belongs to", "Account"), ""
    return DocumentRowView(
        id=doc.id,
        name=doc.name,
        type_label=type_label(doc.media_type),
        size=format_size(doc.size_bytes),
        date=format_day(doc.created_at, locale),
        belongs_to=belongs,
        belongs_to_url=url,
        preview=PREVIEW.get(doc.media_type, ""),
    )


def get_client_document(session: Session, *, actor: Actor, document_id: int) -> Document:
    """The actor's visible document with this id; NotFoundError for anything else."""
    if not isinstance(document_id, int) or isinstance(document_id, bool) or document_id <= 0:
        raise NotFoundError("document")
    modules.require(session, actor=actor, module="documents")
    document = session.exec(
        _joined(select(Document)).where(_visible(actor), Document.id == document_id)
    ).first()
    if document is None:
        raise NotFoundError("document")
    return document


def documents_zip(session: Session, *, actor: Actor, document_ids: list[int]) -> bytes:
    """One ZIP of several of the actor's documents; any id not theirs fails the whole."""
    ids = list(dict.fromkeys(document_ids))
    if not ids or len(ids) > MAX_ZIP_DOCUMENTS:
        raise NotFoundError("document")
    found = [get_client_document(session, actor=actor, document_id=i) for i in ids]
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in found:
            name = download_filename(document.name)
            if name in used:  # two documents with the same name: keep both
                stem, dot, ext = name.rpartition(".")
                name = f"{stem}-{document.id}.{ext}" if dot else f"{name}-{document.id}"
            used.add(name)
            archive.writestr(name, read_bytes(document))
    return buffer.getvalue()


# -- signed, short-lived download tokens ------------------------------------------------------


def _sign(kind: str, ids: list[int], client_id: int, now: float | None) -> str:
    return signing.sign(signing.Purpose.DOCUMENT_DOWNLOAD, [kind, ids, client_id], now=now)


def _from_legacy(fields: list[str]) -> list:
    """A download token made before itsdangerous: [kind, "id-id-..", client id]."""
    kind, ids, client_id = fields
    return [kind, [int(i) for i in ids.split("-")], int(client_id)]


def _verify(token: str, now: float | None) -> tuple[str, list[int], int]:
    try:
        kind, ids, client_id = signing.unsign(
            signing.Purpose.DOCUMENT_DOWNLOAD,
            token,
            max_age=get_settings().download_token_seconds,
            now=now,
            legacy=_from_legacy,
        )
    except signing.InvalidToken as exc:
        raise NotFoundError("download") from exc
    # A legacy generated-file token ("g") passes the shared old key but names no document.
    if kind not in ("d", "z"):
        raise NotFoundError("download")
    return kind, ids, client_id


def make_download_token(document_id: int, client_id: int, *, now: float | None = None) -> str:
    """A signed token for one document of one client, issued at `now` (the current time);
    it lives settings.download_token_seconds."""
    return _sign("d", [document_id], client_id, now)


def make_zip_token(document_ids: list[int], client_id: int, *, now: float | None = None) -> str:
    """A signed token for a ZIP of several documents of one client."""
    ids = list(dict.fromkeys(document_ids))
    if not ids or len(ids) > MAX_ZIP_DOCUMENTS:
        raise NotFoundError("document")
    return _sign("z", ids, client_id, now)


def read_download_token(token: str, *, now: float | None = None) -> tuple[int, int]:
    """(document_id, client_id) of a valid one-document token; NotFoundError when it is
    tampered with, expired or not a one-document token."""
    kind, ids, client_id = _verify(token, now)
    if kind != "d" or len(ids) != 1:
        raise NotFoundError("download")
    return ids[0], client_id


def read_zip_token(token: str, *, now: float | None = None) -> tuple[list[int], int]:
    """(document_ids, client_id) of a valid ZIP token; NotFoundError otherwise."""
    kind, ids, client_id = _verify(token, now)
    if kind != "z":
        raise NotFoundError("download")
    return ids, client_id


def token_kind(token: str, *, now: float | None = None) -> str:
    """'d' (one document) or 'z' (a ZIP) for a valid token; NotFoundError otherwise."""
    return _verify(token, now)[0]


def resolve_download(
    session: Session, *, actor: Actor, token: str, now: float | None = None
) -> tuple[str, str, Path | bytes | storage.StoredObject, bool]:
    """What a token lets this actor download: (filename, media type, the file's path in a
    local store or the opened object of another store, or ZIP bytes; whether it may be shown
    inline).

    The token must be valid and made for the actor's own client, and each document is looked
    up again through the actor's scope (hidden since, or removed: not found). Only files the
    business put there may show inline: a PDF a client uploaded is always an attachment (a
    crafted PDF is not opened in the portal's origin by a click on its name).
    """
    kind, ids, client_id = _verify(token, now)
    if client_id != actor.client_id:
        raise NotFoundError("download")
    if kind == "z":
        archive = documents_zip(session, actor=actor, document_ids=ids)
        client_activity.record_download(
            session, actor=actor, entity_type="document", entity_ids=ids
        )
        return "documents.zip", "application/zip", archive, False
    if kind != "d" or len(ids) != 1:
        raise NotFoundError("download")
    document = get_client_document(session, actor=actor, document_id=ids[0])
    body = open_stored(storage.content_key(document.sha256))
    # For the client's activity page (the caller's transaction, as the download's).
    client_activity.record_download(
        session, actor=actor, entity_type="document", entity_ids=[ids[0]]
    )
    inline_ok = document.media_type in INLINE_TYPES and document.uploaded_by != "contact"
    return document.name, document.media_type, body, inline_ok


def open_stored(key: str, settings: Settings | None = None) -> Path | storage.StoredObject:
    """A stored file to send: its path in a local store (served with range support), else the
    opened object to stream. NotFoundError when the store has none (a missing object is a
    clear 404, never a 500)."""
    store = storage.get_store(settings)
    path = store.local_path(key)
    if path is not None:
        if not path.is_file():
            raise NotFoundError("document")
        return path
    try:
        return store.open(key)
    except storage.ObjectNotFound as exc:
        raise NotFoundError("document") from exc
