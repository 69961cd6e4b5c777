"""The demo's quotes: every status for Acme, drafts hidden, repeatable, approvable."""

from datetime import date

from sqlmodel import select

from portal_app.demo import seed as demo
from portal_app.models import ClientContact, Invoice, Quote
from portal_app.services.billing import quotes
from portal_app.services.identity import invitations
from portal_app.services.identity.actor import Actor

TODAY = date(2026, 6, 15)


def _actor(session, email: str) -> Actor:
    contact = session.exec(select(ClientContact).where(ClientContact.email == email)).one()
    return Actor(contact.company_id, contact.client_id, contact.id, 0, "password")


def test_demo_has_a_quote_in_every_status_and_hides_the_draft(session):
    demo.seed_demo(session, today=TODAY)
    result = demo.seed_demo(session, today=TODAY)  # repeatable
    acme = _actor(session, demo.CLIENT_EMAIL)
    made = session.exec(select(Quote).where(Quote.company_id == result.company_id)).all()
    assert {q.status for q in made if q.client_id == acme.client_id} == {
        "draft",
        "sent",
        "approved",
        "converted",
        "expired",
        "declined",
    }
    assert len({q.number for q in made}) == len(made)
    page = quotes.list_quotes(
        session, actor=acme, query=quotes.ListQuery(page_size=100), today=TODAY
    )
    shown = {row.status for row in page.rows}
    assert "draft" not in shown and {"sent", "expired", "converted", "declined"} <= shown
    converted = next(q for q in made if q.status == "converted")
    invoice = session.get(Invoice, converted.invoice_id)
    assert invoice.amount_minor == converted.amount_minor and invoice.client_id == acme.client_id
    globex = _actor(session, demo.OTHER_EMAIL)
    rows = quotes.list_quotes(session, actor=globex, query=quotes.ListQuery(), today=TODAY).rows
    assert len(rows) == 1 and rows[0].amount.startswith("￥")


def test_demo_quote_link_opens_and_the_quote_can_be_approved(session):
    from tests.helpers.quotes import signature_png

    result = demo.seed_demo(session, today=TODAY)
    key = result.quote_link_path.rsplit("/", 1)[-1]
    opened = invitations.open_invitation(session, key=key, entity_type="quote")
    acme = _actor(session, demo.CLIENT_EMAIL)
    rules = quotes.approval_rules(session, actor=acme)
    assert rules.require_terms and rules.require_signature
    approved = quotes.approve_quotes(
        session,
        actor=acme,
        quote_ids=[opened.entity_id],
        terms_accepted=True,
        terms_version=rules.terms_version,
        signature_png=signature_png(),
        today=TODAY,
    )
    assert len(approved.invoice_ids) == 1
