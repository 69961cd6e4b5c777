"""What an e-mailed-link session may see: the linked document and what hangs off it.

An e-mailed link is a bearer credential that may sit in an inbox for weeks. The session it
opens shows the linked invoice (its page, PDF and documents, paying it, the payments made on
it) or the linked quote (its page, PDF and documents, approving it, and the invoice it
became); every other part of the account asks for the password or an e-mailed code first.
services/identity/scope.py's `client_scope` adds these conditions to every client-side query,
so lists, details, downloads and checkouts all agree; a password or code session gets no extra
condition.
"""

from __future__ import annotations

from sqlalchemy import false, select, true
from sqlmodel import col

from portal_app.core.errors import NotFoundError
from portal_app.models import Document, Invoice, PaymentAllocation, Quote
from portal_app.services.identity.actor import Actor

# Modules a link session opens at all (each narrowed to the linked document below).
LINK_MODULES = frozenset({"invoices", "quotes", "payments", "documents"})
FULL_SESSION_MESSAGE = "Sign in with your password or an e-mailed code to see your whole account."


class FullSessionRequired(NotFoundError):
    """A part of the account an e-mailed-link session does not open (a NotFoundError, so
    every caller that hides what is not the actor's hides this too)."""

    def __init__(self, what: str = "account"):
        super().__init__(what)
        self.message = FULL_SESSION_MESSAGE


def require_module(actor: Actor, module: str) -> None:
    """FullSessionRequired when a link session reaches a module beyond its document."""
    if actor.is_link_session and module not in LINK_MODULES:
        raise FullSessionRequired(module)


def invoice_condition(actor: Actor):
    """Invoices the actor's session may see, beyond the client scope."""
    if not actor.is_link_session:
        return true()
    if actor.link_type == "invoice":
        return Invoice.id == actor.link_id
    if actor.link_type == "quote":
        # The invoice an approved quote became (looked up now: it may be minutes old).
        became = select(Quote.invoice_id).where(
            Quote.id == actor.link_id, col(Quote.invoice_id).is_not(None)
        )
        return col(Invoice.id).in_(became.scalar_subquery())
    return false()


def quote_condition(actor: Actor):
    """Quotes the actor's session may see, beyond the client scope."""
    if not actor.is_link_session:
        return true()
    if actor.link_type == "quote":
        return Quote.id == actor.link_id
    return false()


def _linked_invoice_ids(actor: Actor):
    return select(Invoice.id).where(invoice_condition(actor)).scalar_subquery()


def payment_condition(actor: Actor, payment_id_column):
    """Payments the actor's session may see: those that paid something on a linked invoice."""
    if not actor.is_link_session:
        return true()
    paid_linked = select(PaymentAllocation.payment_id).where(
        col(PaymentAllocation.invoice_id).in_(_linked_invoice_ids(actor))
    )
    return col(payment_id_column).in_(paid_linked.scalar_subquery())


def document_condition(actor: Actor):
    """Documents the actor's session may see: those attached to a linked invoice or quote."""
    if not actor.is_link_session:
        return true()
    on_quote = Document.quote_id == actor.link_id if actor.link_type == "quote" else false()
    return (col(Document.invoice_id).in_(_linked_invoice_ids(actor))) | on_quote


def saved_cards_condition(actor: Actor):
    """Saved cards the actor's session may see or pay with: none from an e-mailed link (a
    forwarded link must not charge the client's cards; a new card is fine)."""
    return false() if actor.is_link_session else true()
