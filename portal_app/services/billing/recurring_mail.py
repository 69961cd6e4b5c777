"""The e-mail of an invoice a recurring schedule issued (jobs/recurring.py): its number, amount
and due date, and the link that opens it without a password (an invitation, like the "invoice
sent" e-mail). Queued in the issuing transaction through services/identity/email_choices.py
under `recurring.issued:<invoice>`; optional (the contact may switch it off)."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.core import routes
from portal_app.core.i18n import _
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.models import Invoice
from portal_app.services.identity import email_choices, invitations
from portal_app.services.mail import layout


def queue_recurring_invoice(session: Session, invoice: Invoice) -> str:
    """Queue the "new invoice" e-mail of an issued recurring invoice; the outcome of
    email_choices.send_to_contact."""

    def build(to: email_choices.Recipient) -> layout.Body:
        key = invitations.create_invoice_invitation(session, contact=to.contact, invoice=invoice)
        values = {
            "number": invoice.number,
            "company": to.company.name,
            "amount": format_money(invoice.amount_minor, invoice.currency, to.locale),
            "date": format_day(invoice.due_date, to.locale) if invoice.due_date else "",
        }
        fact = (
            _("Invoice %(number)s for %(amount)s is due on %(date)s.")
            if invoice.due_date
            else _("Invoice %(number)s for %(amount)s.")
        ) % values
        return layout.Body(
            subject=_("New invoice %(number)s from %(company)s") % values,
            paragraphs=[_("Your recurring invoice was issued."), fact],
            action=_("To view and pay it, open this link:"),
            link=to.base_url + routes.invoice_link_url(key),
        )

    return email_choices.send_to_contact(
        session,
        company_id=invoice.company_id,
        client_id=invoice.client_id,
        kind=email_choices.RECURRING_INVOICE,
        key=f"recurring.issued:{invoice.id}",
        build=build,
        entity_type="invoice",
        entity_id=invoice.id,
    )
