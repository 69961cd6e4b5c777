"""/staff/credits: the company's credits, drafts included, filtered and searched, paged."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.components.staff_documents import doc_list
from portal_app.components.staff_kinds import CREDIT_WORDS
from portal_app.layout.staff_shell import staff_page
from portal_app.services.staff_records import CREDIT
from portal_app.state.staff import StaffState
from portal_app.state.staff_documents import StaffDocListMixin


class StaffCreditsState(StaffDocListMixin, StaffState):
    """The credit list; every change reloads through the service (which re-checks the actor)."""

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        return self._load_list(CREDIT)

    @rx.event
    def set_filter(self, value: str):
        self._set_filter(value)
        return self._load_list(CREDIT)

    @rx.event
    def set_search(self, value: str):
        self._set_search(value)
        return self._load_list(CREDIT)

    @rx.event
    def next_page(self):
        self._turn(1)
        return self._load_list(CREDIT)

    @rx.event
    def previous_page(self):
        self._turn(-1)
        return self._load_list(CREDIT)


@staff_page(routes.STAFF_CREDITS, "Credits", on_load=StaffCreditsState.load)
def staff_credits_page() -> rx.Component:
    return doc_list(StaffCreditsState, CREDIT_WORDS)
