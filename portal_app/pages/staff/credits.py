"""/staff/credits: the company's credits, drafts included, filtered and searched, paged."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from portal_app.components.staff_documents import doc_list
from portal_app.components.staff_kinds import CREDIT_WORDS
from portal_app.services.billing.staff_records import CREDIT, Kind
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocListMixin


class StaffCreditsState(StaffDocListMixin, StaffState):
    """The credit list; every change reloads through the service (which re-checks the actor)."""

    KIND: ClassVar[Kind] = CREDIT


def staff_credits_page() -> rx.Component:
    return doc_list(StaffCreditsState, CREDIT_WORDS)
