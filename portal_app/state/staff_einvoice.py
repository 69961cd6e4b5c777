"""E-invoicing on staff pages: StaffEInvoiceState, the profile notice on the invoice and
credit pages, and StaffEInvoiceFormatState, the client's e-invoice format on its page.

Each is mounted with the record's id (`show`); the services check the record is the staff
user's company's on every call, so a forged call reaches nothing of another company.
"""

from __future__ import annotations

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.schemas.einvoice import EInvoiceProfileView
from portal_app.services.billing import einvoice_format, staff_einvoice
from portal_app.services.billing.staff_records import CREDIT, INVOICE
from portal_app.state.staff import StaffState

_KINDS = {"invoice": INVOICE, "credit": CREDIT}


class StaffEInvoiceState(StaffState):
    """The shown document's e-invoice profile; None until loaded or when not available."""

    einvoice: EInvoiceProfileView | None = None

    @rx.event
    def show(self, kind: str, record_id: int):
        """Load the profile of the page's invoice ("invoice") or credit note ("credit")."""
        self.einvoice = None
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        document_kind = _KINDS.get(str(kind))
        if document_kind is None:
            return None
        try:
            with session_scope() as db:
                self.einvoice = staff_einvoice.einvoice_profile(
                    db, actor=actor, kind=document_kind, record_id=record_id
                )
        except NotFoundError:
            self.einvoice = None
        return None


class StaffEInvoiceFormatState(StaffState):
    """The client's e-invoice format: shown, and saved as soon as staff choose another."""

    einvoice_format: str = ""
    format_notice: str = ""
    format_error: str = ""
    _format_client_id: int = 0

    @rx.event
    def show(self, client_id: int):
        """Load the format of the page's client."""
        self.format_notice = self.format_error = ""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        try:
            with session_scope() as db:
                self.einvoice_format = einvoice_format.staff_client_format(
                    db, actor=actor, client_id=client_id
                )
            self._format_client_id = int(client_id)
        except (NotFoundError, TypeError, ValueError):
            self.einvoice_format = ""
            self._format_client_id = 0
        return None

    @rx.event
    def choose(self, value: str):
        """Save the chosen format (checked again by the service)."""
        self.format_notice = self.format_error = ""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        try:
            with session_scope() as db:
                client = einvoice_format.set_client_format(
                    db, actor=actor, client_id=self._format_client_id, value=value
                )
                self.einvoice_format = client.einvoice_format
        except ValidationError as exc:
            self.format_error = exc.message
            return None
        except (NotFoundError, ReadOnlyError) as exc:
            self.format_error = getattr(exc, "message", "") or str(exc)
            return None
        self.format_notice = gettext("E-invoice format saved.")
        return None
