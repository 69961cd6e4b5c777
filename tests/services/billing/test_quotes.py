"""Quotes: listing (filters, search, sort, paging, drafts hidden), detail, approval, decline."""

import base64
import dataclasses
import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, Invoice, InvoiceLine, Quote, QuoteApproval
from portal_app.services.billing import quotes
from portal_app.services.billing.invoice_math import LineInput
from tests.conftest import Factory
from tests.helpers.quotes import add_quote, signature_png

TODAY = date(2026, 6, 15)


def _quote(session, client, **kw):
    return add_quote(session, client, number=kw.pop("number", f"Q-{uuid.uuid4().hex[:8]}"), **kw)


def _setup(make, **company_kw):
    company = make.company(**company_kw)
    client = make.client(company)
    contact = make.contact(client)
    return company, client, make.actor(contact)


# -- listing ----------------------------------------------------------------------------------


def test_list_hides_drafts_and_other_clients(make, session):
    company, client, actor = _setup(make)
    mine = _quote(session, client, issue_date=TODAY - timedelta(days=3))
    _quote(session, client, status="draft")
    _quote(session, make.client(company))
    _quote(session, make.client(make.company()))
    page = quotes.list_quotes(session, actor=actor, query=quotes.ListQuery(), today=TODAY)
    assert [row.id for row in page.rows] == [mine.id]
    assert page.total == 1 and not page.has_next
    row = page.rows[0]
    assert row.status_label == "Pending" and row.is_approvable
    assert row.amount == "$360.00"  # 3 x $100 + 20% VAT


def test_filters_pending_approved_expired(make, session):
    _, client, actor = _setup(make)
    issue = TODAY - timedelta(days=10)
    pending = _quote(session, client, issue_date=issue, valid_until=TODAY)  # valid through today
    open_ended = _quote(session, client, issue_date=issue, valid_until=None)
    lapsed = _quote(session, client, issue_date=issue, valid_until=TODAY - timedelta(days=1))
    marked = _quote(session, client, issue_date=issue, status="expired")
    approved = _quote(session, client, issue_date=issue, status="approved")
    converted = _quote(session, client, issue_date=issue, status="converted")
    declined = _quote(session, client, issue_date=issue, status="declined")

    def ids(status):
        query = quotes.ListQuery(status=status, sort="number", descending=False, page_size=100)
        return {
            r.id for r in quotes.list_quotes(session, actor=actor, query=query, today=TODAY).rows
        }

    assert ids("pending") == {pending.id, open_ended.id}
    assert ids("approved") == {approved.id, converted.id}
    assert ids("expired") == {lapsed.id, marked.id}
    assert ids("all") == {
        pending.id,
        open_ended.id,
        lapsed.id,
        marked.id,
        approved.id,
        converted.id,
        declined.id,
    }
    assert ids("nonsense") == ids("all")
    rows = quotes.list_quotes(
        session, actor=actor, query=quotes.ListQuery(status="expired"), today=TODAY
    ).rows
    assert {r.status_label for r in rows} == {"Expired"} and not any(r.is_approvable for r in rows)
    assert quotes.pending_count(session, actor=actor, today=TODAY) == 2


def test_search_sort_and_paging(make, session):
    _, client, actor = _setup(make)
    tag = uuid.uuid4().hex[:6]
    made = [
        _quote(
            session,
            client,
            number=f"Q-{tag}-{i:02d}",
            issue_date=TODAY - timedelta(days=i),
            lines=[LineInput("Work", 1000, (i + 1) * 10_00)],
        )
        for i in range(12)
    ]
    _quote(session, client, number="Q-100%_x")
    query = quotes.ListQuery(search=tag, sort="amount", descending=True, page_size=10)
    first = quotes.list_quotes(session, actor=actor, query=query, today=TODAY)
    assert len(first.rows) == 10 and first.has_next and first.total == 12
    assert first.rows[0].id == made[11].id
    second = quotes.list_quotes(
        session, actor=actor, query=dataclasses.replace(query, page=2), today=TODAY
    )
    assert [r.id for r in second.rows] == [made[1].id, made[0].id] and not second.has_next
    # LIKE wildcards are searched for literally.
    found = quotes.list_quotes(
        session, actor=actor, query=quotes.ListQuery(search="%_"), today=TODAY
    ).rows
    assert [r.number for r in found] == ["Q-100%_x"]
    # A sort name that is not whitelisted falls back to the date.
    odd = quotes.ListQuery(search=tag, sort="id; drop table quote", page=-5, page_size=7)
    assert odd.normalized() == quotes.ListQuery(search=tag, sort="date", page=1, page_size=25)


def test_module_off_is_not_found(make, session):
    _, client, actor = _setup(make, enabled_modules="invoices")
    _quote(session, client)
    with pytest.raises(NotFoundError):
        quotes.list_quotes(session, actor=actor, query=quotes.ListQuery())
    assert quotes.pending_count(session, actor=actor) == 0


def test_detail_has_lines_totals_and_no_draft_or_foreign(make, session):
    company, client, actor = _setup(make)
    quote = _quote(
        session,
        client,
        lines=[LineInput("Design", 2000, 50_00, "VAT", 2000), LineInput("Hosting", 1000, 10_00)],
        terms="Valid for 30 days.",
    )
    view = quotes.quote_view(session, actor=actor, quote_id=quote.id, today=TODAY)
    assert [line.description for line in view.lines] == ["Design", "Hosting"]
    assert (view.subtotal, view.tax_total, view.total) == ("$110.00", "$20.00", "$130.00")
    assert view.taxes == [("VAT 20%", "$20.00")]
    assert view.is_approvable and view.is_declinable and view.invoice_id == 0
    draft = _quote(session, client, status="draft")
    foreign = _quote(session, make.client(company))
    for quote_id in (draft.id, foreign.id, 0, -1, 10**9):
        with pytest.raises(NotFoundError):
            quotes.quote_view(session, actor=actor, quote_id=quote_id)
    for raw in ("abc", "1.5", "²", "", None, "-3"):
        with pytest.raises(NotFoundError):
            quotes.parse_quote_id(raw)


# -- approval ---------------------------------------------------------------------------------


def _invoices_of(session, client):
    return session.exec(select(Invoice).where(Invoice.client_id == client.id)).all()


def test_approve_converts_to_a_sent_invoice(make, session):
    company, client, actor = _setup(make)
    quote = _quote(
        session,
        client,
        lines=[LineInput("Design", 2000, 50_00, "VAT", 2000), LineInput("Hosting", 1000, 10_00)],
        public_notes="Thanks",
    )
    result = quotes.approve_quotes(
        session, actor=actor, quote_ids=[quote.id], po_number=" PO  77 ", today=TODAY
    )
    session.refresh(quote)
    assert quote.status == "converted" and quote.po_number == "PO 77"
    invoice = session.get(Invoice, quote.invoice_id)
    assert result.invoice_ids == [invoice.id] and result.quote_ids == [quote.id]
    assert invoice.status == "sent" and invoice.sent_at is not None
    assert invoice.client_id == client.id and invoice.company_id == company.id
    assert invoice.number.startswith("INV-") and invoice.po_number == "PO 77"
    assert invoice.issue_date == TODAY
    assert invoice.due_date == TODAY + timedelta(days=quotes.INVOICE_DUE_DAYS)
    assert (invoice.amount_minor, invoice.balance_minor, invoice.paid_to_date_minor) == (
        quote.amount_minor,
        quote.amount_minor,
        0,
    )
    lines = session.exec(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(col(InvoiceLine.position))
    ).all()
    assert [(line.description, line.net_minor, line.tax_minor) for line in lines] == [
        ("Design", 100_00, 20_00),
        ("Hosting", 10_00, 0),
    ]
    approval = session.exec(select(QuoteApproval).where(QuoteApproval.quote_id == quote.id)).one()
    assert approval.contact_id == actor.contact_id and approval.po_number == "PO 77"
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.client_id == client.id)).all()
    assert {"quote_approved", "quote_converted"} <= set(actions)
    view = quotes.quote_view(session, actor=actor, quote_id=quote.id, today=TODAY)
    assert view.status_label == "Converted" and view.invoice_number == invoice.number
    assert view.invoice_payable and not view.is_approvable


def test_approve_without_conversion_only_approves(make, session):
    _, client, actor = _setup(make, convert_approved_quotes=False)
    quote = _quote(session, client)
    result = quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], today=TODAY)
    session.refresh(quote)
    assert quote.status == "approved" and quote.invoice_id is None and result.invoice_ids == []
    assert _invoices_of(session, client) == []


def test_approve_several_in_one_go(make, session):
    _, client, actor = _setup(make)
    made = [_quote(session, client) for _ in range(3)]
    result = quotes.approve_quotes(
        session, actor=actor, quote_ids=[q.id for q in made] + [made[0].id], today=TODAY
    )
    assert sorted(result.quote_ids) == sorted(q.id for q in made)
    assert len(result.invoice_ids) == 3 and len(set(result.invoice_ids)) == 3
    numbers = {inv.number for inv in _invoices_of(session, client)}
    assert len(numbers) == 3


def test_failure_halfway_leaves_quote_pending_and_no_invoice(make, session, monkeypatch):
    _, client, actor = _setup(make, require_quote_signature=True)
    first, second = _quote(session, client), _quote(session, client)
    session.commit()  # the test's data stays; the failed approval is rolled back below

    calls = []

    def explode(session, *, quote, today, now):
        calls.append(quote.id)
        if len(calls) == 2:
            raise RuntimeError("disk full while writing the invoice")
        return original(session, quote=quote, today=today, now=now)

    original = quotes.create_invoice_from_quote
    monkeypatch.setattr(quotes, "create_invoice_from_quote", explode)
    with pytest.raises(RuntimeError):
        quotes.approve_quotes(
            session,
            actor=actor,
            quote_ids=[first.id, second.id],
            signature_png=signature_png(),
            today=TODAY,
        )
    session.rollback()  # what session_scope does when the handler's block raises
    for quote in (first, second):
        session.refresh(quote)
        assert quote.status == "sent" and quote.invoice_id is None and quote.approved_at is None
    assert _invoices_of(session, client) == []
    assert (
        session.exec(
            select(QuoteApproval).where(col(QuoteApproval.quote_id).in_([first.id, second.id]))
        ).all()
        == []
    )
    # Once the fault is gone the same approval goes through.
    monkeypatch.setattr(quotes, "create_invoice_from_quote", original)
    quotes.approve_quotes(
        session, actor=actor, quote_ids=[first.id], signature_png=signature_png(), today=TODAY
    )
    assert len(_invoices_of(session, client)) == 1


def test_second_approval_is_refused_and_makes_no_second_invoice(make, session):
    _, client, actor = _setup(make)
    quote = _quote(session, client)
    quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], today=TODAY)
    with pytest.raises(quotes.QuoteRefusedError, match="already approved"):
        quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], today=TODAY)
    assert len(_invoices_of(session, client)) == 1


def test_stale_window_loses_the_conditional_update(make, session):
    """The other tab read the quote as pending, then this one approved it first."""
    _, client, actor = _setup(make)
    quote = _quote(session, client)
    stale = Quote.model_validate(quote.model_dump())  # what the other tab read
    quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], today=TODAY)
    with pytest.raises(quotes.QuoteRefusedError, match="another window"):
        quotes._claim(session, stale, today=TODAY, now=None, po="")
    assert len(_invoices_of(session, client)) == 1


def test_two_tabs_approving_at_once_make_one_invoice(engine):
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        _, client, actor = _setup(make)
        quote = _quote(session, client)
        session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def tab() -> None:
        barrier.wait()
        try:
            with Session(engine, expire_on_commit=False) as session:
                quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id])
                session.commit()
            outcomes.append("approved")
        except quotes.QuoteRefusedError:
            outcomes.append("refused")

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["approved", "refused"]
    with Session(engine) as session:
        assert len(_invoices_of(session, client)) == 1
        assert session.get(Quote, quote.id).status == "converted"
        assert (
            len(session.exec(select(QuoteApproval).where(QuoteApproval.quote_id == quote.id)).all())
            == 1
        )


@pytest.mark.parametrize(
    ("status", "valid_until", "message"),
    [
        ("sent", TODAY - timedelta(days=1), "expired on"),
        ("expired", None, "expired"),
        ("approved", None, "already approved"),
        ("converted", None, "already approved"),
        ("declined", None, "declined"),
    ],
)
def test_only_pending_quotes_can_be_approved(make, session, status, valid_until, message):
    _, client, actor = _setup(make)
    quote = _quote(session, client, status=status, valid_until=valid_until)
    with pytest.raises(quotes.QuoteRefusedError, match=message):
        quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], today=TODAY)
    session.refresh(quote)
    assert quote.status == status and _invoices_of(session, client) == []


def test_one_bad_quote_refuses_the_whole_selection(make, session):
    _, client, actor = _setup(make)
    good = _quote(session, client)
    lapsed = _quote(session, client, valid_until=TODAY - timedelta(days=2))
    with pytest.raises(quotes.QuoteRefusedError, match=lapsed.number):
        quotes.approve_quotes(session, actor=actor, quote_ids=[good.id, lapsed.id], today=TODAY)
    session.refresh(good)
    assert good.status == "sent"


def test_other_clients_draft_or_unknown_quotes_are_not_found(make, session):
    company, client, actor = _setup(make)
    mine = _quote(session, client)
    foreign = _quote(session, make.client(company))
    elsewhere = _quote(session, make.client(make.company()))
    draft = _quote(session, client, status="draft")
    for ids in (
        [foreign.id],
        [elsewhere.id],
        [draft.id],
        [mine.id, foreign.id],
        [10**9],
        [],
        ["1"],
        [True],
        [-mine.id],
        list(range(1, quotes.MAX_QUOTES_PER_ACTION + 2)),
    ):
        with pytest.raises(NotFoundError):
            quotes.approve_quotes(session, actor=actor, quote_ids=ids, today=TODAY)
    for quote in (mine, foreign, elsewhere, draft):
        session.refresh(quote)
    assert mine.status == "sent" and foreign.status == "sent" and draft.status == "draft"


def test_staff_preview_cannot_approve_or_decline(make, session):
    company, client, _ = _setup(make)
    preview = make.actor(make.contact(client), kind="staff_preview")
    quote = _quote(session, client)
    with pytest.raises(ReadOnlyError):
        quotes.approve_quotes(session, actor=preview, quote_ids=[quote.id], today=TODAY)
    with pytest.raises(ReadOnlyError):
        quotes.decline_quote(session, actor=preview, quote_id=quote.id, today=TODAY)
    session.refresh(quote)
    assert quote.status == "sent"


def test_emailed_link_session_may_approve(make, session):
    _, client, _ = _setup(make)
    quote = _quote(session, client)
    link = make.actor(make.contact(client), kind="link", link_to=quote)
    quotes.approve_quotes(session, actor=link, quote_ids=[quote.id], today=TODAY)
    session.refresh(quote)
    assert quote.status == "converted"


def test_terms_required_accepted_and_versioned(make, session):
    company, client, actor = _setup(
        make,
        require_quote_terms=True,
        quote_terms="Work starts on approval.",
        quote_terms_version=3,
    )
    quote = _quote(session, client)
    rules = quotes.approval_rules(session, actor=actor)
    assert rules.require_terms and rules.terms_version == 3 and not rules.require_signature
    with pytest.raises(ValidationError) as missing:
        quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], today=TODAY)
    assert missing.value.field == "terms"
    with pytest.raises(ValidationError, match="changed"):
        quotes.approve_quotes(
            session,
            actor=actor,
            quote_ids=[quote.id],
            terms_accepted=True,
            terms_version=2,
            today=TODAY,
        )
    quotes.approve_quotes(
        session,
        actor=actor,
        quote_ids=[quote.id],
        terms_accepted=True,
        terms_version=3,
        today=TODAY,
    )
    approval = session.exec(select(QuoteApproval).where(QuoteApproval.quote_id == quote.id)).one()
    assert approval.terms_accepted and approval.terms_version == 3


def test_signature_required_missing_blank_or_not_a_png(make, session):
    _, client, actor = _setup(make, require_quote_signature=True)
    quote = _quote(session, client)
    bad = [
        None,
        b"",
        b"GIF89a" + b"\0" * 40,
        b"\x89PNG\r\n\x1a\n" + b"garbage" * 10,
        signature_png(blank=True),
        signature_png(size=(3000, 50)),
        signature_png() + b"\0" * quotes.MAX_SIGNATURE_BYTES,
    ]
    for data in bad:
        with pytest.raises(ValidationError) as refused:
            quotes.approve_quotes(
                session, actor=actor, quote_ids=[quote.id], signature_png=data, today=TODAY
            )
        assert refused.value.field == "signature"
    session.refresh(quote)
    assert quote.status == "sent"
    png = signature_png()
    quotes.approve_quotes(
        session, actor=actor, quote_ids=[quote.id], signature_png=png, today=TODAY
    )
    approval = session.exec(select(QuoteApproval).where(QuoteApproval.quote_id == quote.id)).one()
    assert approval.signature_png == png


def test_signature_from_a_data_url():
    png = signature_png()
    assert quotes.decode_signature("data:image/png;base64," + base64.b64encode(png).decode()) == png
    for bad in (
        "",
        None,
        "data:image/jpeg;base64,AAAA",
        "data:image/png;base64,@@@not base64",
        "data:image/png;base64," + "A" * (quotes.MAX_SIGNATURE_BYTES * 2),
    ):
        with pytest.raises(ValidationError):
            quotes.decode_signature(bad)


def test_po_number_too_long(make, session):
    _, client, actor = _setup(make)
    quote = _quote(session, client)
    with pytest.raises(ValidationError) as refused:
        quotes.approve_quotes(
            session, actor=actor, quote_ids=[quote.id], po_number="x" * 101, today=TODAY
        )
    assert refused.value.field == "po_number"


# -- decline ----------------------------------------------------------------------------------


def test_decline_with_reason(make, session):
    _, client, actor = _setup(make)
    quote = _quote(session, client)
    quotes.decline_quote(session, actor=actor, quote_id=quote.id, reason=" Too dear ", today=TODAY)
    session.refresh(quote)
    assert quote.status == "declined" and quote.decline_reason == "Too dear"
    view = quotes.quote_view(session, actor=actor, quote_id=quote.id, today=TODAY)
    assert view.status_label == "Declined" and not view.is_declinable and not view.is_approvable
    with pytest.raises(quotes.QuoteRefusedError, match="declined"):
        quotes.decline_quote(session, actor=actor, quote_id=quote.id, today=TODAY)
    with pytest.raises(quotes.QuoteRefusedError):
        quotes.approve_quotes(session, actor=actor, quote_ids=[quote.id], today=TODAY)


def test_decline_rules(make, session):
    company, client, actor = _setup(make, allow_quote_decline=False)
    quote = _quote(session, client)
    assert not quotes.quote_view(session, actor=actor, quote_id=quote.id).is_declinable
    with pytest.raises(ValidationError, match="cannot be declined"):
        quotes.decline_quote(session, actor=actor, quote_id=quote.id, today=TODAY)
    company.allow_quote_decline = True
    session.add(company)
    with pytest.raises(ValidationError) as long_reason:
        quotes.decline_quote(
            session, actor=actor, quote_id=quote.id, reason="x" * 1001, today=TODAY
        )
    assert long_reason.value.field == "reason"
    lapsed = _quote(session, client, valid_until=TODAY - timedelta(days=1))
    with pytest.raises(quotes.QuoteRefusedError, match="expired"):
        quotes.decline_quote(session, actor=actor, quote_id=lapsed.id, today=TODAY)
    foreign = _quote(session, make.client(company))
    with pytest.raises(NotFoundError):
        quotes.decline_quote(session, actor=actor, quote_id=foreign.id, today=TODAY)
    session.refresh(quote)
    assert quote.status == "sent"


# -- the expiry job ---------------------------------------------------------------------------


def test_expire_quotes_marks_lapsed_sent_quotes_once(make, session):
    _, client, _ = _setup(make)
    lapsed = _quote(session, client, valid_until=TODAY - timedelta(days=1))
    last_day = _quote(session, client, valid_until=TODAY)
    approved = _quote(session, client, status="approved", valid_until=TODAY - timedelta(days=9))
    draft = _quote(session, client, status="draft", valid_until=TODAY - timedelta(days=9))
    assert quotes.expire_quotes(session, today=TODAY) >= 1
    assert quotes.expire_quotes(session, today=TODAY) == 0
    for quote in (lapsed, last_day, approved, draft):
        session.refresh(quote)
    assert (lapsed.status, last_day.status, approved.status, draft.status) == (
        "expired",
        "sent",
        "approved",
        "draft",
    )


def test_refusals_are_in_the_contacts_language_and_say_decline_when_declining(make, session):
    from portal_app.core.i18n import use_language

    _, client, actor = _setup(make)
    lapsed = _quote(session, client, valid_until=TODAY - timedelta(days=2))
    with use_language("fr"), pytest.raises(quotes.QuoteRefusedError) as caught:
        quotes.approve_quotes(session, actor=actor, quote_ids=[lapsed.id], today=TODAY)
    assert caught.value.message.startswith(f"Le devis {lapsed.number} a expiré le ")
    odd = _quote(session, client, status="draft")
    with pytest.raises(NotFoundError):
        quotes.approve_quotes(session, actor=actor, quote_ids=[odd.id], today=TODAY)
    declined = _quote(session, client, status="declined")
    with use_language("de"), pytest.raises(quotes.QuoteRefusedError) as caught:
        quotes.decline_quote(session, actor=actor, quote_id=declined.id, today=TODAY)
    assert caught.value.message == f"Angebot {declined.number} wurde abgelehnt."
