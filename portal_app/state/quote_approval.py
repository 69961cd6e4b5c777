"""QuoteApprovalMixin: the approve dialog's vars and steps, shared by the quote list and detail.

The steps are: terms (when the company asks) → signature (when asked) → PO number and confirm.
Everything the browser sends is checked again by services.quotes.approve_quotes; the drawn
signature is decoded and checked on the server as soon as it arrives and kept in a backend-only
var, never sent back. The dialog's own handlers live here (Reflex copies a mixin's handlers
onto each State that lists it); each page keeps `open_approve` and `confirm_approve`, which
differ in what is approved and where the client goes next, and calls the helpers here.
"""

from __future__ import annotations

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, SOURCE_LANGUAGE, gettext, ngettext, use_language
from portal_app.schemas.quote import ApprovalResult
from portal_app.services.billing import quotes
from portal_app.state.signature_pad import CLEAR_PAD_SCRIPT, signature_script

MAX_TYPED_NAME = 80


def approval_sentence(count: int, *, converts: bool) -> str:
    """What the approve dialog says it is about to do, in the contact's language."""
    if converts:
        text = ngettext(
            "You are approving this quote. An invoice is created from it for payment.",
            "You are approving %(num)d quotes. An invoice is created from each for payment.",
            count,
        )
    else:
        text = ngettext("You are approving this quote.", "You are approving %(num)d quotes.", count)
    return text % {"num": count}


def approved_notice(count: int, made: int) -> str:
    """The notice after approving `count` quotes that became `made` invoices."""
    text = ngettext("%(num)d quote approved.", "%(num)d quotes approved.", count) % {"num": count}
    if made:
        text += " " + ngettext(
            "%(num)d invoice was created: pay it from Invoices.",
            "%(num)d invoices were created: pay them from Invoices.",
            made,
        ) % {"num": made}
    return text


class QuoteApprovalMixin(rx.State, mixin=True):
    """Vars of the approve dialog and the steps between them."""

    approve_open: bool = False
    approve_step: str = ""  # terms | sign | confirm
    approve_count: int = 0
    approve_total: str = ""
    approve_sentence: str = ""
    require_terms: bool = False
    require_signature: bool = False
    converts: bool = True
    allow_decline: bool = True
    terms_text: str = ""
    terms_accepted: bool = False
    typed_name: str = ""
    po_number: str = ""
    approve_error: str = ""
    terms_error: str = ""
    signature_error: str = ""
    po_error: str = ""
    approving: bool = False
    _approve_ids: list[int] = []
    _terms_version: int = 0
    _signature_png: bytes | None = None

    def _load_rules(self, actor) -> None:
        """The company's approval rules for the dialog (terms text, what is required)."""
        with session_scope() as db:
            rules = quotes.approval_rules(db, actor=actor)
        self.require_terms = rules.require_terms
        self.require_signature = rules.require_signature
        self.converts = rules.converts
        self.allow_decline = rules.allow_decline
        self.terms_text = rules.terms
        self._terms_version = rules.terms_version

    def _open_approval(self, ids: list[int], total: str) -> None:
        """Start the dialog for these quotes (ids are checked again when approving)."""
        self._approve_ids = list(ids)[: quotes.MAX_QUOTES_PER_ACTION]
        self.approve_count = len(self._approve_ids)
        self.approve_total = total
        # In the contact's language (PortalState.lang) whichever handler opened the dialog.
        with use_language(getattr(self, "lang", SOURCE_LANGUAGE)):
            self.approve_sentence = approval_sentence(self.approve_count, converts=self.converts)
        self.terms_accepted = False
        self.typed_name = ""
        self.po_number = ""
        self._signature_png = None
        self.approve_error = self.terms_error = self.signature_error = self.po_error = ""
        self.approving = False
        if self.require_terms:
            self.approve_step = "terms"
        elif self.require_signature:
            self.approve_step = "sign"
        else:
            self.approve_step = "confirm"
        self.approve_open = self.approve_count > 0

    def _said(self, message: str) -> str:
        """`message` (a msgid) in the contact's language: these handlers run without the
        session check that sets the event's language."""
        with use_language(getattr(self, "lang", SOURCE_LANGUAGE)):
            return gettext(message)

    def _close_approval(self) -> None:
        self.approve_open = False
        self.approve_step = ""
        self._approve_ids = []
        self._signature_png = None

    def _after_terms(self) -> None:
        if not self.terms_accepted:
            self.terms_error = self._said(N_("Accept the terms to go on."))
            return
        self.terms_error = ""
        self.approve_step = "sign" if self.require_signature else "confirm"

    def _signature_request(self, callback):
        """The script that reads the signature canvas (or draws the typed name) for `callback`."""
        self.signature_error = ""
        return rx.call_script(signature_script(self.typed_name), callback=callback)

    def _take_signature(self, data_url: object) -> None:
        """Check the PNG the canvas gave; keep it on the server and go on, or say what is wrong."""
        try:
            self._signature_png = quotes.decode_signature(
                data_url if isinstance(data_url, str) else ""
            )
        except ValidationError as exc:
            self._signature_png = None
            self.signature_error = exc.message
            return
        self.signature_error = ""
        self.approve_step = "confirm"

    def _set_typed_name(self, value: object) -> None:
        self.typed_name = str(value or "")[:MAX_TYPED_NAME]

    def _set_po(self, value: object) -> None:
        self.po_number = str(value or "")[: quotes.MAX_PO_LENGTH + 1]
        self.po_error = ""

    def _approve(self, actor, user_agent: str) -> ApprovalResult | None:
        """Approve the dialog's quotes in one transaction; None with a message when refused."""
        if not self.approve_open or not self._approve_ids:
            return None  # a second click after the dialog closed: nothing left to approve
        self.approve_error = self.po_error = ""
        try:
            # The exception leaves the `with` block: session_scope rolls everything back.
            with session_scope() as db:
                result = quotes.approve_quotes(
                    db,
                    actor=actor,
                    quote_ids=self._approve_ids,
                    terms_accepted=self.terms_accepted,
                    terms_version=self._terms_version,
                    signature_png=self._signature_png,
                    po_number=self.po_number,
                    user_agent=user_agent,
                )
        except NotFoundError:
            self.approve_error = self._said(N_("This quote is not available any more."))
            return None
        except ReadOnlyError:
            self.approve_error = self._said(N_("A staff preview cannot approve quotes."))
            return None
        except ValidationError as exc:
            if exc.field == "po_number":
                self.po_error = exc.message
            elif exc.field == "terms":
                self.approve_step = "terms"
                self.terms_error = exc.message
            elif exc.field == "signature":
                self.approve_step = "sign"
                self.signature_error = exc.message
            else:
                self.approve_error = exc.message
            return None
        self._close_approval()
        return result

    @rx.event
    def set_approve_open(self, is_open: bool):
        if not is_open:
            self._close_approval()

    @rx.event
    def set_terms_accepted(self, checked: bool):
        self.terms_accepted = checked is True
        self.terms_error = ""

    @rx.event
    def terms_continue(self):
        self._after_terms()

    @rx.event
    def sign_continue(self):
        return self._signature_request(type(self).signature_taken)

    @rx.event
    def signature_taken(self, data_url: str):
        self._take_signature(data_url)

    @rx.event
    def clear_signature(self):
        self.typed_name = ""
        return rx.call_script(CLEAR_PAD_SCRIPT)

    @rx.event
    def set_typed_name(self, value: str):
        self._set_typed_name(value)

    @rx.event
    def set_po_number(self, value: str):
        self._set_po(value)
