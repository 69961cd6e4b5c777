"""E-mails about money moving: the receipt of a payment (its PDF attached) and a failed
automatic charge (auto-bill of a recurring invoice, a subscription renewal) with the way to fix
the card. Neither is optional (a receipt is a legal record; a failed charge leaves money owed).

Both are queued in the transaction of the event through services/identity/email_choices.py,
keyed by the event (`payment.receipt:<payment>`, `payment.failed:<checkout>`, or for a client
with no default card `payment.failed:no_card:<invoice>`), so a settle
reached by the browser and the webhook, or a job run twice, queues one. Queueing runs in a
savepoint: a message that cannot be written (a contact without an address) is logged and
never undoes the payment it is about.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session

from portal_app.core import routes
from portal_app.core.db import id_of
from portal_app.core.i18n import _
from portal_app.core.money import format_money
from portal_app.models import ClientContact, Invoice, Payment
from portal_app.pdf.receipt_pdf import render_receipt_pdf
from portal_app.schemas.payment import PaymentView
from portal_app.services.company import modules
from portal_app.services.identity import email_choices
from portal_app.services.identity.actor import Actor
from portal_app.services.mail import layout, outbox
from portal_app.services.payments.payment_files import receipt_filename
from portal_app.services.payments.payments import payment_view

log = logging.getLogger(__name__)

RECEIPT = "payment_receipt"
FAILED = "payment_failed"


def _safely(session: Session, what: str, send: Callable[[], str]) -> str:
    """Run `send` in a savepoint; an error is logged and rolled back alone ("error")."""
    try:
        with session.begin_nested():
            return send()
    except Exception:  # noqa: BLE001 - an e-mail must never undo the payment
        log.exception("could not queue the %s e-mail", what)
        return "error"


def _system_actor(contact: ClientContact) -> Actor:
    # The receipt is the one the contact downloads, read with their (whole-client) scope.
    return Actor(
        company_id=contact.company_id,
        client_id=contact.client_id,
        contact_id=contact.id or 0,
        session_id=0,
        kind="system",
    )


def queue_receipt(session: Session, payment: Payment) -> str:
    """Queue the receipt of a completed payment to the contact who paid (else the client's
    billing contact), its PDF attached; the outcome of email_choices.send_to_contact."""
    contact = session.get(ClientContact, payment.contact_id) if payment.contact_id else None
    if contact is not None and not contact.portal_enabled:
        contact = None
    attach = modules.is_enabled(session, company_id=payment.company_id, module="payments")
    views: dict[int, PaymentView] = {}

    def view_for(to: email_choices.Recipient) -> PaymentView:
        # Built once, in the contact's language (send_to_contact runs both hooks in it).
        if not views:
            actor = _system_actor(to.contact)
            views[0] = payment_view(session, actor=actor, payment_id=id_of(payment))
        return views[0]

    def build(to: email_choices.Recipient) -> layout.Body:
        view = view_for(to)
        values = {"number": view.number, "company": to.company.name, "amount": view.total}
        values["date"] = view.date
        paragraphs = [_("Thank you: we received your payment of %(amount)s on %(date)s.") % values]
        if attach:
            paragraphs.append(_("The receipt is attached to this e-mail."))
        return layout.Body(
            subject=_("Receipt for your payment %(number)s to %(company)s") % values,
            paragraphs=paragraphs,
            action=_("To see the payment in the portal, open this link:"),
            link=to.base_url + routes.login_url(routes.payment_url(id_of(payment))),
        )

    def attachments(to: email_choices.Recipient) -> list[outbox.Attachment]:
        if not attach:
            return []
        view = view_for(to)
        return [
            outbox.Attachment(
                filename=receipt_filename(view.number, view.id),
                media_type="application/pdf",
                content=render_receipt_pdf(view),
            )
        ]

    return _safely(
        session,
        RECEIPT,
        lambda: email_choices.send_to_contact(
            session,
            company_id=payment.company_id,
            client_id=payment.client_id,
            kind=RECEIPT,
            key=f"payment.receipt:{payment.id}",
            build=build,
            attachments=attachments,
            contact=contact,
            entity_type="payment",
            entity_id=payment.id,
        ),
    )


def queue_payment_failed(session: Session, *, invoice: Invoice, checkout_id: int | None) -> str:
    """Queue "we could not charge your card" for an automatic charge of `invoice` that failed,
    with the link to the saved cards: one e-mail per failed checkout, or (`checkout_id` None:
    no default card to charge) one per invoice, however often the charge is retried."""

    def build(to: email_choices.Recipient) -> layout.Body:
        values = {
            "number": invoice.number,
            "company": to.company.name,
            "amount": format_money(invoice.balance_minor, invoice.currency, to.locale),
        }
        return layout.Body(
            subject=_("We could not charge your card for invoice %(number)s") % values,
            paragraphs=[
                _(
                    "The automatic payment of %(amount)s for invoice %(number)s from "
                    "%(company)s did not go through."
                )
                % values,
                _("Please check your saved card or add another one; the invoice stays open."),
            ],
            action=_("To update your card, open this link:"),
            link=to.base_url + routes.login_url(routes.CLIENT_PAYMENT_METHODS),
        )

    return _safely(
        session,
        FAILED,
        lambda: email_choices.send_to_contact(
            session,
            company_id=invoice.company_id,
            client_id=invoice.client_id,
            kind=FAILED,
            key=(
                f"payment.failed:{checkout_id}"
                if checkout_id is not None
                else f"payment.failed:no_card:{invoice.id}"
            ),
            build=build,
            entity_type="invoice",
            entity_id=invoice.id,
        ),
    )
