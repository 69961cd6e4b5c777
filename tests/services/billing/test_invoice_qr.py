"""The invoice page's QR codes as images (issue 25): the page's view carries only their URLs, and
`invoice_qr_svg` draws the code the PDF prints, for the actor's own payable invoice only."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError
from portal_app.core.qr import qr_svg
from portal_app.models import Invitation
from portal_app.services.billing import invoices
from portal_app.services.billing.invoice_math import LineInput
from tests.pdf.test_facturx import SELLER

LINES = [LineInput("Design work", 1000, 250_00)]


def _invitations(session, invoice) -> int:
    rows = session.exec(
        select(Invitation).where(
            Invitation.entity_type == "invoice", Invitation.entity_id == invoice.id
        )
    ).all()
    return len(rows)


def test_the_page_view_names_the_images_and_makes_no_key(make, session):
    company = make.company(**SELLER)
    client = make.client(company)
    contact = make.contact(client)
    invoice = make.invoice(client, currency="EUR", lines=LINES)
    actor = make.actor(contact)

    view = invoices.open_invoice(session, actor=actor, invoice_id=invoice.id)

    assert view.pay_link == ""  # the key is made only when the image is asked for
    assert _invitations(session, invoice) == 0
    assert view.pay_link_qr_src.startswith(f"/api/invoices/{invoice.id}/qr/pay.svg?v=")
    assert view.payment_qr_src.startswith(f"/api/invoices/{invoice.id}/qr/bank.svg?v=")
    assert view.payment_qr  # the EPC payload itself stays for the PDF


def test_the_images_are_the_codes_the_pdf_prints(make, session):
    company = make.company(**SELLER)
    client = make.client(company)
    contact = make.contact(client)
    invoice = make.invoice(client, currency="EUR", lines=LINES)
    actor = make.actor(contact)

    pay = invoices.invoice_qr_svg(session, actor=actor, invoice_id=invoice.id, kind="pay")
    bank = invoices.invoice_qr_svg(session, actor=actor, invoice_id=invoice.id, kind="bank")

    printed = invoices.invoice_view(session, actor=actor, invoice_id=invoice.id)
    assert printed.pay_link and pay == qr_svg(printed.pay_link)
    assert printed.payment_qr and bank == qr_svg(printed.payment_qr)
    assert pay.startswith("<svg") and "<script" not in pay
    assert _invitations(session, invoice) == 1  # drawn again: the same key, no new row
    invoices.invoice_qr_svg(session, actor=actor, invoice_id=invoice.id, kind="pay")
    assert _invitations(session, invoice) == 1


def test_the_bank_code_url_changes_with_the_amount(make, session):
    company = make.company(**SELLER)
    client = make.client(company)
    contact = make.contact(client)
    invoice = make.invoice(client, currency="EUR", lines=LINES)
    actor = make.actor(contact)
    before = invoices.invoice_page_view(session, actor=actor, invoice_id=invoice.id)

    invoice.paid_to_date_minor, invoice.balance_minor = 100_00, invoice.balance_minor - 100_00
    invoice.status = "partial"
    session.add(invoice)
    session.flush()
    after = invoices.invoice_page_view(session, actor=actor, invoice_id=invoice.id)

    assert after.payment_qr_src != before.payment_qr_src
    assert after.pay_link_qr_src != before.pay_link_qr_src


@pytest.mark.parametrize("kind", ["pay", "bank"])
def test_no_code_for_another_clients_invoice_a_draft_or_an_unknown_kind(make, session, kind):
    company = make.company(**SELLER)
    mine, theirs = make.client(company), make.client(company)
    contact = make.contact(mine)
    actor = make.actor(contact)
    foreign = make.invoice(theirs, currency="EUR", lines=LINES)
    draft = make.invoice(mine, currency="EUR", lines=LINES, status="draft")
    own = make.invoice(mine, currency="EUR", lines=LINES)

    for invoice_id in (foreign.id, draft.id, 987654321):
        with pytest.raises(NotFoundError):
            invoices.invoice_qr_svg(session, actor=actor, invoice_id=invoice_id, kind=kind)
    with pytest.raises(NotFoundError):
        invoices.invoice_qr_svg(session, actor=actor, invoice_id=own.id, kind=kind + "x")
    assert _invitations(session, foreign) == 0


def test_no_code_when_it_does_not_apply(make, session):
    company = make.company(**{**SELLER, "iban": "", "bic": ""})
    client = make.client(company)
    contact = make.contact(client)
    payable = make.invoice(client, currency="EUR", lines=LINES)
    paid = make.invoice(client, currency="EUR", lines=LINES, status="paid")
    actor = make.actor(contact)

    # No IBAN: no bank transfer code. Paid: no pay link either.
    with pytest.raises(NotFoundError):
        invoices.invoice_qr_svg(session, actor=actor, invoice_id=payable.id, kind="bank")
    assert (
        invoices.invoice_page_view(session, actor=actor, invoice_id=payable.id).payment_qr_src == ""
    )
    with pytest.raises(NotFoundError):
        invoices.invoice_qr_svg(session, actor=actor, invoice_id=paid.id, kind="pay")
    assert (
        invoices.invoice_page_view(session, actor=actor, invoice_id=paid.id).pay_link_qr_src == ""
    )


@pytest.mark.parametrize("kind", ["staff_preview", "link"])
def test_no_pay_link_code_in_staff_preview_or_an_emailed_link_session(make, session, kind):
    company = make.company()
    client = make.client(company)
    contact = make.contact(client)
    invoice = make.invoice(client, currency="USD", lines=LINES)
    actor = make.actor(contact, kind, link_to=invoice if kind == "link" else None)

    assert (
        invoices.invoice_page_view(session, actor=actor, invoice_id=invoice.id).pay_link_qr_src
        == ""
    )
    with pytest.raises(NotFoundError):
        invoices.invoice_qr_svg(session, actor=actor, invoice_id=invoice.id, kind="pay")
    assert _invitations(session, invoice) == 0
