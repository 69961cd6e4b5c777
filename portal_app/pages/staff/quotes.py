"""/staff/quotes: the company's quotes, drafts included, filtered and searched, paged."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_list
from portal_app.components.staff_kinds import QUOTE_WORDS
from portal_app.services.billing.staff_records import QUOTE, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocListMixin


class StaffQuotesState(StaffDocListMixin, StaffState):
    """The quote list; every change reloads through the service (which re-checks the actor)."""

    KIND: ClassVar[Kind] = QUOTE


def staff_quotes_page() -> rx.Component:
    return doc_list(StaffQuotesState, QUOTE_WORDS)
