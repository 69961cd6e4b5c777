"""Questions and disputes on an invoice or quote: who may write, what is stored, who is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from portal_app.core import i18n
from portal_app.core.db import utcnow
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.settings import get_settings
from portal_app.models import (
    AuditEvent,
    Document,
    DocumentThread,
    OutboxMessage,
    StaffUser,
    ThreadMessage,
)
from portal_app.services.documents import threads
from portal_app.services.documents.threads import Attachment
from tests.helpers.mailbox import deliver
from tests.helpers.quotes import add_quote
from tests.helpers.staff_docs import staff_actor

PDF_BYTES = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def docs_root(tmp_path, monkeypatch):
    """Attachments go to a fresh folder with a 1 kB limit for these tests."""
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path / "docs"))
    monkeypatch.setenv("DOCUMENTS_MAX_BYTES", "1024")
    get_settings.cache_clear()
    yield tmp_path / "docs"
    get_settings.cache_clear()


def _setup(make, **company_kw):
    company = make.company(email=company_kw.pop("email", "office@example.test"), **company_kw)
    client = make.client(company)
    contact = make.contact(client, is_primary=True)
    invoice = make.invoice(client)
    return company, client, contact, invoice


def _ask(session, actor, invoice, body="Why is the design line twice?", **kw):
    return threads.post_client_message(
        session, actor=actor, document_type="invoice", document_id=invoice.id, body=body, **kw
    )


def _outbox(session, kind):
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))
    ).all()


def test_a_question_and_its_answer_reach_both_sides_by_email(make, session, mailbox):
    company, client, contact, invoice = _setup(make)
    actor = make.actor(contact)
    _ask(session, actor, invoice)
    view = threads.client_thread(
        session, actor=actor, document_type="invoice", document_id=invoice.id
    )
    assert view.kind == "question" and view.status == "open"
    assert view.status_label == "Open question"
    assert [m.body for m in view.messages] == ["Why is the design line twice?"]
    assert view.messages[0].author == contact.display_name and not view.messages[0].from_staff

    staff = staff_actor(session, company)
    threads.post_staff_answer(
        session,
        actor=staff,
        document_type="invoice",
        document_id=invoice.id,
        body="It was a mistake; we will send a credit.",
    )
    deliver(session)
    to_staff = mailbox.to("office@example.test")
    assert len(to_staff) == 1
    assert invoice.number in to_staff[0]["Subject"] and "question" in to_staff[0]["Subject"]
    staff_text = to_staff[0].get_body(("plain",)).get_content()
    assert "Why is the design line twice?" in staff_text
    assert f"/staff/invoices/{invoice.id}" in staff_text
    to_client = mailbox.to(contact.email)
    assert len(to_client) == 1
    assert to_client[0]["Subject"] == f"Invoice {invoice.number}: an answer from {company.name}"
    client_text = to_client[0].get_body(("plain",)).get_content()
    assert "It was a mistake; we will send a credit." in client_text
    assert "/client/invoice/" in client_text  # a link that opens the invoice

    view = threads.client_thread(
        session, actor=actor, document_type="invoice", document_id=invoice.id
    )
    # The client hears from the company, not from one colleague by name.
    assert [(m.author, m.from_staff) for m in view.messages][1] == (company.name, True)


def test_the_answer_is_in_the_contacts_language(make, session, mailbox):
    company, client, _, invoice = _setup(make)
    contact = make.contact(client, language="de")
    _ask(session, make.actor(contact), invoice)
    threads.post_staff_answer(
        session,
        actor=staff_actor(session, company),
        document_type="invoice",
        document_id=invoice.id,
        body="Erledigt.",
        resolve=True,
    )
    deliver(session)
    (received,) = mailbox.to(contact.email)
    assert received["Subject"] == f"Rechnung {invoice.number}: eine Antwort von {company.name}"
    text = received.get_body(("plain",)).get_content()
    assert "Guten Tag Casey," in text and "als gelöst markiert" in text


def test_without_a_company_address_owners_and_admins_are_told(make, session, mailbox):
    company, _, contact, invoice = _setup(make, email="")
    owner = staff_actor(session, company, role="owner")
    staff_actor(session, company, role="staff")
    _ask(session, make.actor(contact), invoice)
    rows = _outbox(session, "document_thread_staff")
    from portal_app.models import StaffUser

    owner_email = session.get(StaffUser, owner.staff_user_id).email
    assert [row.to_address for row in rows] == [owner_email]


def test_staff_are_told_in_their_own_language(make, session, mailbox):
    # The company's address reads the company's language (a German company).
    company, client, contact, invoice = _setup(make, locale="de_DE")
    _ask(session, make.actor(contact), invoice, dispute=True)
    deliver(session)
    (to_office,) = mailbox.to("office@example.test")
    assert to_office["Subject"] == f"Rechnung {invoice.number}: Beanstandung von {client.name}"
    text = to_office.get_body(("plain",)).get_content()
    assert f"{contact.display_name} ({client.name}) hat zu Rechnung {invoice.number}" in text
    assert "Antworten Sie in der Mitarbeiterkonsole:" in text and "pausiert" in text

    # Without a company address each owner or admin reads their own console language.
    company, client, contact, invoice = _setup(make, email="")
    owner = staff_actor(session, company, role="owner")
    user = session.get(StaffUser, owner.staff_user_id)
    user.language = "fr"
    session.add(user)
    session.flush()
    _ask(session, make.actor(contact), invoice)
    deliver(session)
    (to_owner,) = mailbox.to(user.email)
    assert to_owner["Subject"] == f"Facture {invoice.number} : question de {client.name}"


def test_the_staff_panel_and_its_refusals_follow_the_staff_language(make, session):
    company, _, contact, invoice = _setup(make)
    _ask(session, make.actor(contact), invoice)
    staff = staff_actor(session, company, role="owner")
    with i18n.use_language("de"):
        rows = threads.open_threads(session, actor=staff)
        with pytest.raises(ValidationError) as refused:
            threads.post_staff_answer(
                session, actor=staff, document_type="invoice", document_id=invoice.id, body=" "
            )
    assert [(row.document, row.status) for row in rows] == [
        (f"Rechnung {invoice.number}", "Wartet auf Sie")
    ]
    assert refused.value.message == "Schreiben Sie Ihre Nachricht."


def test_another_clients_invoice_is_not_found(make, session):
    company, _, _, invoice = _setup(make)
    other = make.contact(make.client(company))
    with pytest.raises(NotFoundError):
        _ask(session, make.actor(other), invoice)
    with pytest.raises(NotFoundError):
        threads.client_thread(
            session, actor=make.actor(other), document_type="invoice", document_id=invoice.id
        )
    assert session.exec(select(DocumentThread)).all() == [] or all(
        t.invoice_id != invoice.id for t in session.exec(select(DocumentThread)).all()
    )


@pytest.mark.parametrize("raw_id", ["abc", -1, 2**40, None, "1; DROP TABLE invoice"])
def test_malformed_ids_are_not_found(make, session, raw_id):
    _, _, contact, _ = _setup(make)
    with pytest.raises(NotFoundError):
        threads.post_client_message(
            session,
            actor=make.actor(contact),
            document_type="invoice",
            document_id=raw_id,
            body="Hello.",
        )


def test_unknown_document_type_is_not_found(make, session):
    _, _, contact, invoice = _setup(make)
    with pytest.raises(NotFoundError):
        threads.post_client_message(
            session,
            actor=make.actor(contact),
            document_type="payment",
            document_id=invoice.id,
            body="Hello.",
        )


def test_a_draft_invoice_is_not_found(make, session):
    _, client, contact, _ = _setup(make)
    draft = make.invoice(client, status="draft")
    with pytest.raises(NotFoundError):
        _ask(session, make.actor(contact), draft)


def test_a_staff_preview_reads_but_cannot_write(make, session):
    _, _, contact, invoice = _setup(make)
    _ask(session, make.actor(contact), invoice)
    preview = make.actor(contact, "staff_preview")
    with pytest.raises(ReadOnlyError):
        _ask(session, preview, invoice, body="From the preview.")
    view = threads.client_thread(
        session, actor=preview, document_type="invoice", document_id=invoice.id
    )
    assert len(view.messages) == 1


def test_an_emailed_link_writes_only_on_its_document(make, session):
    _, client, contact, invoice = _setup(make)
    other_invoice = make.invoice(client)
    link = make.actor(contact, "link", link_to=invoice)
    _ask(session, link, invoice)
    with pytest.raises(NotFoundError):
        _ask(session, link, other_invoice)


@pytest.mark.parametrize("body", ["", "   \n ", None, 42])
def test_an_empty_message_is_refused_next_to_the_field(make, session, body):
    _, _, contact, invoice = _setup(make)
    with pytest.raises(ValidationError) as refused:
        _ask(session, make.actor(contact), invoice, body=body)
    assert refused.value.field == "body" and refused.value.message == "Write your message."
    assert session.exec(select(ThreadMessage)).all() == [] or True


def test_a_too_long_message_is_refused_and_nothing_is_stored(make, session):
    _, _, contact, invoice = _setup(make)
    with pytest.raises(ValidationError) as refused:
        _ask(session, make.actor(contact), invoice, body="x" * (threads.MAX_BODY_CHARS + 1))
    assert refused.value.field == "body" and "4000" in refused.value.message
    assert (
        threads.client_thread(
            session, actor=make.actor(contact), document_type="invoice", document_id=invoice.id
        ).messages
        == []
    )
    # Exactly the limit is fine.
    _ask(session, make.actor(contact), invoice, body="y" * threads.MAX_BODY_CHARS)


def test_a_double_click_stores_one_message_and_sends_one_email(make, session):
    _, _, contact, invoice = _setup(make)
    actor = make.actor(contact)
    first = _ask(session, actor, invoice)
    second = _ask(session, actor, invoice)
    assert first.id == second.id
    assert len(_outbox(session, "document_thread_staff")) == 1
    # The same words a minute later are a new message.
    later = _ask(session, actor, invoice, now=utcnow() + timedelta(minutes=1))
    assert later.id != first.id


def test_a_dispute_pauses_until_resolved_and_a_follow_up_keeps_it_a_dispute(make, session):
    company, _, contact, invoice = _setup(make)
    actor = make.actor(contact)
    _ask(session, actor, invoice, body="We never received this work.", dispute=True)
    thread = session.exec(
        select(DocumentThread).where(DocumentThread.invoice_id == invoice.id)
    ).one()
    assert (thread.kind, thread.status) == ("dispute", "open")
    _ask(session, actor, invoice, body="Any news?")
    session.refresh(thread)
    assert thread.kind == "dispute"
    staff = staff_actor(session, company)
    threads.resolve_thread(session, actor=staff, document_type="invoice", document_id=invoice.id)
    session.refresh(thread)
    assert thread.status == "resolved" and thread.resolved_by_staff_id == staff.staff_user_id
    # Resolving twice changes nothing and e-mails nobody again.
    sent = len(_outbox(session, "document_thread_answer"))
    threads.resolve_thread(session, actor=staff, document_type="invoice", document_id=invoice.id)
    assert len(_outbox(session, "document_thread_answer")) == sent
    # Writing again opens it again, as a question this time.
    _ask(session, actor, invoice, body="One more question.")
    session.refresh(thread)
    assert (thread.kind, thread.status, thread.awaiting_staff) == ("question", "open", True)
    actions = session.exec(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "invoice", AuditEvent.entity_id == invoice.id
        )
    ).all()
    assert "thread.dispute_opened" in actions and "thread.resolved" in actions


def test_a_quote_takes_questions_but_no_dispute(make, session):
    company, client, contact, _ = _setup(make)
    quote = add_quote(session, client, number="Q-THREAD-1")
    actor = make.actor(contact)
    with pytest.raises(ValidationError) as refused:
        threads.post_client_message(
            session,
            actor=actor,
            document_type="quote",
            document_id=quote.id,
            body="Can we pay in two parts?",
            dispute=True,
        )
    assert refused.value.field == "dispute"
    threads.post_client_message(
        session,
        actor=actor,
        document_type="quote",
        document_id=quote.id,
        body="Can we pay in two parts?",
    )
    view = threads.staff_thread(
        session,
        actor=staff_actor(session, company),
        document_type="quote",
        document_id=quote.id,
    )
    assert view.kind == "question" and not view.may_dispute
    assert [m.body for m in view.messages] == ["Can we pay in two parts?"]


def test_an_attachment_is_a_document_of_the_invoice(make, session, docs_root):
    company, client, contact, invoice = _setup(make)
    message = _ask(
        session, make.actor(contact), invoice, attachment=Attachment(PDF_BYTES, "proof.pdf")
    )
    document = session.get(Document, message.document_id)
    assert document.invoice_id == invoice.id and document.client_id == client.id
    assert document.uploaded_by == "contact" and document.name == "proof.pdf"
    view = threads.client_thread(
        session, actor=make.actor(contact), document_type="invoice", document_id=invoice.id
    )
    assert (view.messages[0].attachment_id, view.messages[0].attachment_name) == (
        document.id,
        "proof.pdf",
    )
    # Staff hid the file: the client no longer sees it in the thread.
    document.visible_to_client = False
    session.add(document)
    session.flush()
    view = threads.client_thread(
        session, actor=make.actor(contact), document_type="invoice", document_id=invoice.id
    )
    assert view.messages[0].attachment_id == 0


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"", "empty.pdf"),
        (b"%PDF-1.4\n" + b"x" * 2048, "big.pdf"),
        (b"MZ\x90\x00binary", "tool.exe"),
        (PDF_BYTES, "../proof.pdf"),
    ],
)
def test_a_refused_attachment_stores_nothing(make, session, docs_root, data, name):
    _, _, contact, invoice = _setup(make)
    with pytest.raises(ValidationError) as refused:
        _ask(session, make.actor(contact), invoice, attachment=Attachment(data, name))
    assert refused.value.field == "file"


def test_staff_of_another_company_cannot_answer_or_read(make, session):
    _, _, contact, invoice = _setup(make)
    _ask(session, make.actor(contact), invoice)
    stranger = staff_actor(session, make.company())
    with pytest.raises(NotFoundError):
        threads.staff_thread(
            session, actor=stranger, document_type="invoice", document_id=invoice.id
        )
    with pytest.raises(NotFoundError):
        threads.post_staff_answer(
            session, actor=stranger, document_type="invoice", document_id=invoice.id, body="Hi."
        )
    with pytest.raises(NotFoundError):
        threads.resolve_thread(
            session, actor=stranger, document_type="invoice", document_id=invoice.id
        )


def test_staff_cannot_answer_a_document_nobody_wrote_about(make, session):
    company, _, _, invoice = _setup(make)
    with pytest.raises(ValidationError):
        threads.post_staff_answer(
            session,
            actor=staff_actor(session, company),
            document_type="invoice",
            document_id=invoice.id,
            body="Hello.",
        )


def test_the_staff_list_shows_open_threads_waiting_first(make, session):
    company, client, contact, invoice = _setup(make)
    answered_invoice = make.invoice(client)
    resolved_invoice = make.invoice(client)
    actor = make.actor(contact)
    staff = staff_actor(session, company)
    _ask(session, actor, answered_invoice, body="First.")
    threads.post_staff_answer(
        session,
        actor=staff,
        document_type="invoice",
        document_id=answered_invoice.id,
        body="Answered.",
    )
    _ask(session, actor, invoice, body="Second " + "long " * 50, dispute=True)
    _ask(session, actor, resolved_invoice, body="Third.")
    threads.resolve_thread(
        session, actor=staff, document_type="invoice", document_id=resolved_invoice.id
    )
    # Another company's thread never shows.
    _, _, their_contact, their_invoice = _setup(make)
    _ask(session, make.actor(their_contact), their_invoice)

    rows = threads.open_threads(session, actor=staff)
    assert [row.document for row in rows] == [
        f"Invoice {invoice.number}",
        f"Invoice {answered_invoice.number}",
    ]
    assert rows[0].kind == "dispute" and rows[0].awaiting_staff
    assert rows[0].document_url == f"/staff/invoices/{invoice.id}"
    assert len(rows[0].excerpt) <= threads.EXCERPT_CHARS
