"""/staff: the console's home, the work queue (what waits for a person), or sign-in.

Each section lists one kind from services.console.work_queue with a link to where it is
handled (a cancellation request is approved or declined on the client's page).
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import empty_state, page_heading
from portal_app.core.db import session_scope, utcnow
from portal_app.services.console.work_queue import QueueItem, work_queue
from portal_app.state.staff import StaffState

SECTIONS = (
    ("recurring_cancellation", "Recurring invoices to stop", "repeat"),
    ("subscription_cancellation", "Subscriptions to cancel", "calendar-x"),
    ("unapplied_payment", "Payments to apply", "banknote"),
    ("failed_charge", "Failed auto-bills and renewals", "circle-alert"),
    ("quote_answered", "Quotes answered today", "file-check"),
    ("client_upload", "Client uploads (last 7 days)", "upload"),
)


class StaffHomeState(StaffState):
    items: list[QueueItem] = []
    counts: dict[str, int] = {}
    loading: bool = True

    @rx.event
    def on_load(self):
        with session_scope() as db:
            actor = self._begin(db)
            if actor is None:
                return self._staff_login_redirect()
            queue = work_queue(db, actor=actor, today=utcnow().date())
        self.items = queue.items
        self.counts = queue.counts
        self.loading = False


def _item(item: QueueItem, kind: str) -> rx.Component:
    return rx.cond(
        item.kind == kind,
        rx.table.row(
            rx.table.cell(rx.text(item.title, weight="medium")),
            rx.table.cell(item.client_name),
            rx.table.cell(item.detail),
            rx.table.cell(item.when, white_space="nowrap"),
            rx.table.cell(rx.link(item.action, href=item.href)),
            data_testid="queue-item",
        ),
    )


def _section(kind: str, title: str, icon: str) -> rx.Component:
    count = StaffHomeState.counts.get(kind, 0)
    return rx.cond(
        count > 0,
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=18, aria_hidden="true"),
                rx.heading(title, as_="h2", size="4"),
                rx.badge(count, radius="full"),
                align="center",
                spacing="2",
            ),
            rx.table.root(
                rx.table.body(rx.foreach(StaffHomeState.items, lambda i: _item(i, kind))),
                width="100%",
                variant="surface",
                size="1",
            ),
            width="100%",
            spacing="2",
            data_testid=f"queue-{kind}",
        ),
    )


def staff_home_page() -> rx.Component:
    return rx.vstack(
        page_heading("Work queue", "What is waiting for someone in the business."),
        rx.cond(
            StaffHomeState.loading,
            rx.center(rx.spinner(), role="status", padding="3em"),
            rx.cond(
                StaffHomeState.items.length() > 0,
                rx.vstack(*[_section(*section) for section in SECTIONS], width="100%", spacing="5"),
                empty_state("Nothing waiting", "No request, payment or upload needs you now."),
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
