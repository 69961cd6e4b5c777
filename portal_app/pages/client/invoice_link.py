"""/client/invoice/[key]: the emailed link that opens one invoice without a password."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.emailed_link import link_card
from portal_app.state.emailed_link import EmailedLinkMixin
from portal_app.state.portal import PortalState


class InvoiceLinkState(EmailedLinkMixin, PortalState):
    ENTITY: ClassVar[str] = "invoice"


def invoice_link_page() -> rx.Component:
    return link_card(InvoiceLinkState, "invoice")
