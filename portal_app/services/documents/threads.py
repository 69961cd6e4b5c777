"""Questions and disputes on an invoice or quote (issue 22 item 4).

A client's contact writes about a document from its page (and may attach a file, stored as a
Document of that invoice or quote through store_document, with its limits); staff answer and
resolve from the console. Each message e-mails the other side through the outbox, in the same
transaction: a client's message goes to the company's address, a staff answer to the contact
who last wrote, in their language. An open dispute pauses the invoice's reminders and
auto-bill (services/billing/disputes.py holds that rule) until staff resolve it.

One thread per document: a resolved thread opens again when the client writes again. A staff
preview reads but never writes; an e-mailed-link session writes only on its linked document
(the client scope does that: any other document is "not found").
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal_app.core import routes
from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import _, language_of_locale, pgettext, use_language
from portal_app.core.locale import format_moment
from portal_app.core.settings import Settings, get_settings
from portal_app.models import (
    Client,
    ClientContact,
    Company,
    Document,
    DocumentThread,
    Invoice,
    Quote,
    StaffUser,
    ThreadMessage,
)
from portal_app.models.statuses import ThreadKind, ThreadStatus
from portal_app.schemas.document_thread import StaffThreadRow, ThreadMessageView, ThreadView
from portal_app.services.billing import invoices, quotes
from portal_app.services.company.locale import client_locale, company_locale, company_time_zone
from portal_app.services.documents.documents import store_document
from portal_app.services.identity import audit, email_choices, invitations
from portal_app.services.identity.actor import Actor, StaffActor
from portal_app.services.identity.staff_scope import StaffAction, own_row, record, require_role
from portal_app.services.mail import layout, outbox

MAX_BODY_CHARS = 4000
# The same text sent again this soon by the same person is a double click, not a new message.
DOUBLE_POST_WINDOW = timedelta(seconds=30)
DOCUMENT_TYPES = ("invoice", "quote")
STAFF_LIST_LIMIT = 200
EXCERPT_CHARS = 120
STAFF_KIND = "document_thread_staff"
ANSWER_KIND = "document_thread_answer"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message: its bytes and the name it came with."""

    data: bytes
    name: str


def _document_column(document_type: str):
    return DocumentThread.invoice_id if document_type == "invoice" else DocumentThread.quote_id


def _client_document(
    session: Session, actor: Actor, document_type: str, document_id: object
) -> Invoice | Quote:
    # The client scope decides: another client's document, a draft, or (for an e-mailed link)
    # any document but the linked one are all "not found".
    if document_type == "invoice":
        return invoices.get_client_invoice(
            session, actor=actor, invoice_id=invoices.parse_invoice_id(document_id)
        )
    if document_type == "quote":
        return quotes.get_client_quote(
            session, actor=actor, quote_id=quotes.parse_quote_id(document_id)
        )
    raise NotFoundError("document")


def _staff_document(
    session: Session, actor: StaffActor, document_type: str, document_id: object
) -> Invoice | Quote:
    if document_type not in DOCUMENT_TYPES:
        raise NotFoundError("document")
    model = Invoice if document_type == "invoice" else Quote
    return own_row(session, model, document_id, actor, what=document_type)


def _thread_of(
    session: Session, document_type: str, document: Invoice | Quote, *, lock: bool = False
) -> DocumentThread | None:
    statement = select(DocumentThread).where(
        _document_column(document_type) == document.id,
        DocumentThread.company_id == document.company_id,
    )
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement.execution_options(populate_existing=True)).first()


def _thread_for_writing(
    session: Session, document_type: str, document: Invoice | Quote
) -> DocumentThread:
    """The document's thread, made on its first message and locked for this transaction. Two
    tabs that write the first message at once share one thread (the document ids are unique)."""
    thread = _thread_of(session, document_type, document, lock=True)
    if thread is not None:
        return thread
    try:
        with session.begin_nested():
            thread = DocumentThread(
                company_id=document.company_id,
                client_id=document.client_id,
                invoice_id=document.id if document_type == "invoice" else None,
                quote_id=document.id if document_type == "quote" else None,
            )
            session.add(thread)
            session.flush()
        return thread
    except IntegrityError:
        found = _thread_of(session, document_type, document, lock=True)
        assert found is not None  # the other transaction made it
        return found


def clean_body(body: object) -> str:
    """The message text as stored (trimmed); ValidationError('body') when empty or too long."""
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise ValidationError("body", _("Write your message."))
    if len(text) > MAX_BODY_CHARS:
        raise ValidationError(
            "body",
            _("Your message is too long: at most %(max)d characters.") % {"max": MAX_BODY_CHARS},
        )
    return text


def status_label(thread: DocumentThread | None) -> str:
    """What the thread's state is called, in the current language ('' before any message)."""
    if thread is None:
        return ""
    if thread.status == ThreadStatus.RESOLVED:
        return pgettext("thread status", "Resolved")
    if thread.kind == ThreadKind.DISPUTE:
        return pgettext("thread status", "Open dispute")
    return pgettext("thread status", "Open question")


def _messages(session: Session, thread_id: int) -> list[ThreadMessage]:
    return list(
        session.exec(
            select(ThreadMessage)
            .where(ThreadMessage.thread_id == thread_id)
            .order_by(col(ThreadMessage.created_at), col(ThreadMessage.id))
        ).all()
    )


def _names(session: Session, model, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids)))}


def _view(
    session: Session,
    thread: DocumentThread | None,
    document_type: str,
    document: Invoice | Quote,
    *,
    locale: str,
    for_staff: bool,
) -> ThreadView:
    messages = _messages(session, thread.id or 0) if thread is not None else []
    contacts = _names(session, ClientContact, {m.contact_id for m in messages if m.contact_id})
    staff = _names(session, StaffUser, {m.staff_user_id for m in messages if m.staff_user_id})
    files = _names(session, Document, {m.document_id for m in messages if m.document_id})
    company_name, zone = "", "UTC"
    if messages:
        # Only messages show the company's name and times: an empty thread (most documents)
        # reads nothing more (issue 25).
        company = session.get(Company, document.company_id)
        company_name = " ".join(company.name.split()) if company else ""
        zone = company_time_zone(session, document.company_id)
    rows: list[ThreadMessageView] = []
    for message in messages:
        if message.staff_user_id is not None:
            user = staff.get(message.staff_user_id)
            # Clients hear from the company; staff see which colleague answered.
            author = (getattr(user, "name", "") or getattr(user, "email", "")) if for_staff else ""
            author = author or company_name
        else:
            author = getattr(contacts.get(message.contact_id or 0), "display_name", "")
        file = files.get(message.document_id or 0)
        shown = file is not None and (for_staff or getattr(file, "visible_to_client", False))
        rows.append(
            ThreadMessageView(
                id=message.id or 0,
                author=author,
                from_staff=message.staff_user_id is not None,
                body=message.body,
                when=format_moment(message.created_at, locale, zone),
                attachment_id=(message.document_id or 0) if shown else 0,
                attachment_name=getattr(file, "name", "") if shown else "",
            )
        )
    return ThreadView(
        document_type=document_type,
        document_id=document.id or 0,
        kind=str(thread.kind) if thread else "",
        status=str(thread.status) if thread else "",
        status_label=status_label(thread),
        messages=rows,
        may_dispute=document_type == "invoice",
        thread_id=(thread.id or 0) if thread else 0,
    )


def client_thread(
    session: Session, *, actor: Actor, document_type: str, document_id: object
) -> ThreadView:
    """The conversation about one of the actor's invoices or quotes (empty before the first
    message); NotFoundError for a document the actor may not see."""
    document = _client_document(session, actor, document_type, document_id)
    return client_thread_of(
        session,
        actor=actor,
        document_type=document_type,
        document=document,
        thread=_thread_of(session, document_type, document),
    )


def client_thread_of(
    session: Session,
    *,
    actor: Actor,
    document_type: str,
    document: Invoice | Quote,
    thread: DocumentThread | None,
) -> ThreadView:
    """`client_thread` of a document the caller has just read in the actor's client scope,
    with its thread as read by the same statement (None: none yet; its id, kind and status are
    all this reads of it): no statement for a document without messages (the invoice page's
    load, invoices.open_invoice_with_stamp)."""
    return _view(
        session,
        thread,
        document_type,
        document,
        locale=client_locale(session, actor),
        for_staff=False,
    )


def _is_double_post(
    session: Session, thread: DocumentThread, *, body: str, now: datetime, **author: int
) -> ThreadMessage | None:
    if thread.id is None:
        return None
    last = session.exec(
        select(ThreadMessage)
        .where(ThreadMessage.thread_id == thread.id)
        .order_by(col(ThreadMessage.created_at).desc(), col(ThreadMessage.id).desc())
    ).first()
    if last is None or last.body != body or last.document_id is not None:
        return None
    same_author = all(getattr(last, name) == value for name, value in author.items())
    created = last.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=now.tzinfo)
    return last if same_author and now - created < DOUBLE_POST_WINDOW else None


def post_client_message(
    session: Session,
    *,
    actor: Actor,
    document_type: str,
    document_id: object,
    body: object,
    dispute: bool = False,
    attachment: Attachment | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> ThreadMessage:
    """Add the signed-in contact's message to the document's thread (made on the first one),
    open it again if it was resolved, and e-mail the company (in the caller's transaction).

    `dispute` marks the thread a dispute (invoices only): its reminders and auto-bill wait
    until staff resolve it; a message without it keeps an open dispute a dispute.
    ReadOnlyError for a staff preview; NotFoundError for a document the actor may not see;
    ValidationError('body') for an empty or too long text, ('dispute') for a quote,
    ('file') for an attachment store_document refuses. The same text sent again by the same
    contact within DOUBLE_POST_WINDOW returns the first message and adds nothing.
    """
    if actor.is_preview:
        raise ReadOnlyError(_("A staff preview cannot send messages."))
    document = _client_document(session, actor, document_type, document_id)
    text = clean_body(body)
    if dispute and document_type != "invoice":
        raise ValidationError("dispute", _("Only an invoice can be disputed."))
    now = now or utcnow()
    thread = _thread_for_writing(session, document_type, document)
    if attachment is None:
        earlier = _is_double_post(session, thread, body=text, now=now, contact_id=actor.contact_id)
        if earlier is not None:
            return earlier
    file = None
    if attachment is not None:
        file = store_document(
            session,
            company_id=actor.company_id,
            client_id=actor.client_id,
            data=attachment.data,
            name=attachment.name,
            uploaded_by="contact",
            invoice_id=document.id if document_type == "invoice" else None,
            quote_id=document.id if document_type == "quote" else None,
            settings=settings,
        )
    was_open_dispute = thread.status == ThreadStatus.OPEN and thread.kind == ThreadKind.DISPUTE
    reopened = thread.status == ThreadStatus.RESOLVED
    thread.kind = ThreadKind.DISPUTE if dispute or was_open_dispute else ThreadKind.QUESTION
    thread.status = ThreadStatus.OPEN
    thread.awaiting_staff = True
    thread.last_message_at = now
    thread.resolved_at = None
    thread.resolved_by_staff_id = None
    session.add(thread)
    message = ThreadMessage(
        thread_id=thread.id or 0,
        company_id=actor.company_id,
        contact_id=actor.contact_id,
        body=text,
        document_id=file.id if file is not None else None,
        created_at=now,
    )
    session.add(message)
    session.flush()
    if thread.kind == ThreadKind.DISPUTE and not was_open_dispute:
        action = "thread.dispute_opened"
    elif message.id is not None and len(_messages(session, thread.id or 0)) == 1:
        action = "thread.question_asked"
    else:
        action = "thread.message_posted"
    audit.record_contact_action(
        session,
        actor,
        document_type,
        document.id,
        action,
        thread_id=thread.id,
        message_id=message.id,
        reopened=reopened,
        attachment=file.name if file is not None else "",
    )
    _email_staff(session, thread, document_type, document, message, actor=actor)
    return message


def _staff_addresses(session: Session, company: Company) -> list[tuple[str, str]]:
    """(address, language) of who hears about a client's message: the company's address in
    the company's language when it has one, else every active owner and admin in their own
    console language (else the company's)."""
    company_language = language_of_locale(company.locale) or "en"
    if company.email:
        return [(company.email, company_language)]
    users = session.exec(
        select(StaffUser)
        .where(
            StaffUser.company_id == company.id,
            StaffUser.is_active == True,  # noqa: E712
            col(StaffUser.role).in_(("owner", "admin")),
        )
        .order_by(col(StaffUser.id))
    ).all()
    return [(user.email, user.language or company_language) for user in users]


def _document_label(document_type: str, document: Invoice | Quote) -> str:
    number = document.number or str(document.id)
    if document_type == "invoice":
        return _("Invoice %(number)s") % {"number": number}
    return _("Quote %(number)s") % {"number": number}


def _base_url() -> str:
    return get_settings().base_url.rstrip("/")


def _email_staff(
    session: Session,
    thread: DocumentThread,
    document_type: str,
    document: Invoice | Quote,
    message: ThreadMessage,
    *,
    actor: Actor,
) -> None:
    """Tell the company's staff about a client's message, each address in its reader's
    language (_staff_addresses)."""
    company = session.get(Company, document.company_id)
    client = session.get(Client, document.client_id)
    contact = session.get(ClientContact, actor.contact_id)
    if company is None or client is None or contact is None:
        return
    link = _base_url() + routes.staff_record_url(document_type, document.id or 0)
    for address, language in _staff_addresses(session, company):
        with use_language(language):
            subject, text, html_body = _staff_email(
                thread, document_type, document, message, client, contact, link
            )
        outbox.queue_email(
            session,
            company_id=company.id or 0,
            idempotency_key=f"thread_message:{message.id}:{address.lower()}",
            kind=STAFF_KIND,
            to=address,
            subject=" ".join(subject.split())[:200],
            text=text,
            html=html_body,
            entity_type=document_type,
            entity_id=document.id,
        )


def _staff_email(
    thread: DocumentThread,
    document_type: str,
    document: Invoice | Quote,
    message: ThreadMessage,
    client: Client,
    contact: ClientContact,
    link: str,
) -> tuple[str, str, str]:
    """(subject, text, html) of the staff e-mail about a client's message, in the current
    language."""
    values = {
        "document": _document_label(document_type, document),
        "client": " ".join(client.name.split()),
        "contact": contact.display_name,
    }
    if thread.kind == ThreadKind.DISPUTE:
        subject = _("%(document)s: dispute from %(client)s") % values
    else:
        subject = _("%(document)s: question from %(client)s") % values
    lines = [_("%(contact)s (%(client)s) wrote about %(document)s:") % values, "", message.body, ""]
    if message.document_id is not None:
        lines += [_("A file is attached to the message on the document's page."), ""]
    if thread.kind == ThreadKind.DISPUTE:
        lines += [
            _("Reminders and auto-bill for this invoice are paused until you resolve the dispute."),
            "",
        ]
    answer = _("Answer in the staff console:")
    text = "\n".join([*lines, answer, link, ""])
    html_body = "".join(f"<p>{html.escape(line)}</p>" if line else "" for line in lines) + (
        f'<p>{html.escape(answer)} <a href="{html.escape(link, quote=True)}">'
        f"{html.escape(link)}</a></p>"
    )
    return subject, text, html_body


# --- staff side -------------------------------------------------------------------------


def staff_thread(
    session: Session, *, actor: StaffActor, document_type: str, document_id: object
) -> ThreadView:
    """The conversation about one of the company's invoices or quotes, for the console."""
    document = _staff_document(session, actor, document_type, document_id)
    thread = _thread_of(session, document_type, document)
    return _view(
        session,
        thread,
        document_type,
        document,
        locale=company_locale(session, actor.company_id),
        for_staff=True,
    )


def _last_writer(session: Session, thread: DocumentThread) -> ClientContact | None:
    """The contact who wrote last in the thread (the one an answer goes to)."""
    contact_id = session.exec(
        select(ThreadMessage.contact_id)
        .where(ThreadMessage.thread_id == thread.id, col(ThreadMessage.contact_id).is_not(None))
        .order_by(col(ThreadMessage.created_at).desc(), col(ThreadMessage.id).desc())
    ).first()
    return session.get(ClientContact, contact_id) if contact_id else None


def _open_thread_for_staff(
    session: Session, actor: StaffActor, document_type: str, document_id: object
) -> tuple[Invoice | Quote, DocumentThread]:
    require_role(actor, StaffAction.EDIT_DOCUMENTS)
    document = _staff_document(session, actor, document_type, document_id)
    thread = _thread_of(session, document_type, document, lock=True)
    if thread is None:
        raise ValidationError("body", _("The client has not written about this document."))
    return document, thread


def post_staff_answer(
    session: Session,
    *,
    actor: StaffActor,
    document_type: str,
    document_id: object,
    body: object,
    resolve: bool = False,
    now: datetime | None = None,
) -> ThreadMessage:
    """Add a staff answer to the document's thread and e-mail it to the contact who last wrote
    (in their language); `resolve` also resolves the thread, which lets a disputed invoice's
    reminders and auto-bill go on. ValidationError('body') for an empty or too long text or a
    document nobody has written about; NotFoundError for another company's document."""
    document, thread = _open_thread_for_staff(session, actor, document_type, document_id)
    text = clean_body(body)
    now = now or utcnow()
    earlier = _is_double_post(
        session, thread, body=text, now=now, staff_user_id=actor.staff_user_id
    )
    if earlier is not None:
        return earlier
    message = ThreadMessage(
        thread_id=thread.id or 0,
        company_id=actor.company_id,
        staff_user_id=actor.staff_user_id,
        body=text,
        created_at=now,
    )
    session.add(message)
    thread.awaiting_staff = False
    thread.last_message_at = now
    if resolve and thread.status == ThreadStatus.OPEN:
        _resolve(thread, actor, now)
    session.add(thread)
    session.flush()
    record(
        session,
        actor,
        action="thread.answered",
        entity_type=document_type,
        entity_id=document.id,
        client_id=document.client_id,
        details={"thread_id": thread.id, "message_id": message.id, "resolved": resolve},
    )
    if resolve:
        _record_resolved(session, actor, thread, document_type, document)
    _email_contact(
        session, thread, document_type, document, key=f"thread_answer:{message.id}", answer=text
    )
    return message


def _resolve(thread: DocumentThread, actor: StaffActor, now: datetime) -> None:
    thread.status = ThreadStatus.RESOLVED
    thread.awaiting_staff = False
    thread.resolved_at = now
    thread.resolved_by_staff_id = actor.staff_user_id


def _record_resolved(
    session: Session,
    actor: StaffActor,
    thread: DocumentThread,
    document_type: str,
    document: Invoice | Quote,
) -> None:
    record(
        session,
        actor,
        action="thread.resolved",
        entity_type=document_type,
        entity_id=document.id,
        client_id=document.client_id,
        details={"thread_id": thread.id, "kind": str(thread.kind)},
    )


def resolve_thread(
    session: Session,
    *,
    actor: StaffActor,
    document_type: str,
    document_id: object,
    now: datetime | None = None,
) -> DocumentThread:
    """Mark the document's thread resolved (a disputed invoice's reminders and auto-bill go on
    from their next run) and tell the contact; resolving twice changes nothing more."""
    document, thread = _open_thread_for_staff(session, actor, document_type, document_id)
    if thread.status == ThreadStatus.RESOLVED:
        return thread
    now = now or utcnow()
    _resolve(thread, actor, now)
    session.add(thread)
    session.flush()
    _record_resolved(session, actor, thread, document_type, document)
    key = f"thread_resolved:{thread.id}:{now.isoformat()}"
    _email_contact(session, thread, document_type, document, key=key, answer=None)
    return thread


def _client_link(session: Session, contact: ClientContact, document_type: str, document) -> str:
    # A link that opens this document without a password (like the "invoice sent" e-mail).
    if document_type == "invoice":
        key = invitations.create_invoice_invitation(session, contact=contact, invoice=document)
        return _base_url() + routes.invoice_link_url(key)
    key = invitations.create_quote_invitation(session, contact=contact, quote=document)
    return _base_url() + routes.quote_link_url(key)


def contact_message(
    *, company_name: str, label: str, answer: str | None, resolved: bool, link: str
) -> layout.Body:
    """The words of the e-mail a contact gets about a staff answer or a resolution, in the
    current language (services/mail/layout.py gives it the company's look)."""
    values = {"company": company_name, "document": label}
    paragraphs: list[str] = []
    if answer is not None:
        subject = _("%(document)s: an answer from %(company)s") % values
        paragraphs += [
            _("%(company)s answered your message about %(document)s:") % values,
            answer,
        ]
    else:
        subject = _("%(document)s: your message is resolved") % values
    if resolved:
        paragraphs.append(
            _("%(company)s marked the conversation about %(document)s as resolved.") % values
        )
    return layout.Body(
        subject=subject,
        paragraphs=paragraphs,
        action=_("To read the conversation and reply, open this link:"),
        link=link,
    )


def _email_contact(
    session: Session,
    thread: DocumentThread,
    document_type: str,
    document: Invoice | Quote,
    *,
    key: str,
    answer: str | None,
) -> None:
    """E-mail the contact who last wrote in the thread (not an optional e-mail: they asked)."""
    contact = _last_writer(session, thread)
    if contact is None or not contact.email:
        return

    def build(to: email_choices.Recipient) -> layout.Body:
        return contact_message(
            company_name=" ".join(to.company.name.split()),
            label=_document_label(document_type, document),
            answer=answer,
            resolved=thread.status == ThreadStatus.RESOLVED,
            link=_client_link(session, to.contact, document_type, document),
        )

    email_choices.send_to_contact(
        session,
        company_id=document.company_id,
        client_id=document.client_id,
        kind=ANSWER_KIND,
        key=key,
        build=build,
        contact=contact,
        entity_type=document_type,
        entity_id=document.id,
    )


def staff_document_label(document_type: str, document: Invoice | Quote) -> str:
    """'Invoice INV-0001' or 'Quote Q-0001' as the console names it (in its reader's language)."""
    return _document_label(document_type, document)


def thread_document(session: Session, thread: DocumentThread) -> tuple[str, Invoice | Quote | None]:
    """The document type ("invoice" or "quote") of a thread and its row (None if gone)."""
    if thread.invoice_id is not None:
        return "invoice", session.get(Invoice, thread.invoice_id)
    return "quote", session.get(Quote, thread.quote_id)


def latest_excerpt(session: Session, thread_id: int) -> str:
    """The thread's latest message on one line, cut to EXCERPT_CHARS."""
    last = session.exec(
        select(ThreadMessage.body)
        .where(ThreadMessage.thread_id == thread_id)
        .order_by(col(ThreadMessage.created_at).desc(), col(ThreadMessage.id).desc())
    ).first()
    excerpt = " ".join((last or "").split())
    if len(excerpt) > EXCERPT_CHARS:
        excerpt = excerpt[: EXCERPT_CHARS - 1] + "…"
    return excerpt


def open_threads(session: Session, *, actor: StaffActor) -> list[StaffThreadRow]:
    """The company's open questions and disputes, those waiting for staff first, then the
    longest waiting first (at most STAFF_LIST_LIMIT)."""
    locale = company_locale(session, actor.company_id)
    zone = company_time_zone(session, actor.company_id)
    threads = session.exec(
        select(DocumentThread)
        .where(
            DocumentThread.company_id == actor.company_id,
            DocumentThread.status == ThreadStatus.OPEN,
        )
        .order_by(
            col(DocumentThread.awaiting_staff).desc(),
            col(DocumentThread.last_message_at),
            col(DocumentThread.id),
        )
        .limit(STAFF_LIST_LIMIT)
    ).all()
    clients = _names(session, Client, {t.client_id for t in threads})
    invoice_rows = _names(session, Invoice, {t.invoice_id for t in threads if t.invoice_id})
    quote_rows = _names(session, Quote, {t.quote_id for t in threads if t.quote_id})
    rows: list[StaffThreadRow] = []
    for thread in threads:
        document_type = "invoice" if thread.invoice_id else "quote"
        document = (
            invoice_rows.get(thread.invoice_id or 0)
            if thread.invoice_id
            else quote_rows.get(thread.quote_id or 0)
        )
        if document is None:
            continue
        rows.append(
            StaffThreadRow(
                thread_id=thread.id or 0,
                document=staff_document_label(document_type, document),
                document_url=routes.staff_record_url(document_type, document.id),
                client=getattr(clients.get(thread.client_id), "name", ""),
                kind=str(thread.kind),
                status=pgettext("thread status", "Waiting for you")
                if thread.awaiting_staff
                else pgettext("thread status", "Answered"),
                awaiting_staff=thread.awaiting_staff,
                last_message=format_moment(thread.last_message_at, locale, zone),
                excerpt=latest_excerpt(session, thread.id or 0),
            )
        )
    return rows


def waiting_for_staff(company_id: int) -> list:
    """WHERE conditions of the company's open threads whose last word is the client's (the
    work queue's "client_message" kind lists and counts them)."""
    return [
        DocumentThread.company_id == company_id,
        DocumentThread.status == ThreadStatus.OPEN,
        DocumentThread.awaiting_staff == True,  # noqa: E712
    ]
