"""/client/quote/[key]: the emailed link that opens one quote without a password.

The session it opens is a link session: it may view, approve or decline the quote and pay
the invoice it becomes (see services.quotes for why approving is allowed from a link).
"""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.emailed_link import link_card
from portal_app.state.emailed_link import EmailedLinkMixin
from portal_app.state.portal import PortalState


class QuoteLinkState(EmailedLinkMixin, PortalState):
    ENTITY: ClassVar[str] = "quote"


def quote_link_page() -> rx.Component:
    return link_card(QuoteLinkState, "quote")
