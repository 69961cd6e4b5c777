"""/client/statement: the client's statement for a date range, previewed per currency, as PDF."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import date

import reflex as rx

from portal_app.components.common import (
    download_button,
    empty_state,
    field_error,
    loading_block,
    native_select,
    page_heading,
    plain_text,
)
from portal_app.components.records import (
    AT_END,
    FROM_SM,
    NO_WRAP,
    ROW_CLASS,
    ROW_HEADER_CLASS,
    plain_table,
    row_cell,
    row_phone_label,
    summary_row,
)
from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.i18n import N_, gettext, use_language
from portal_app.core.locale import format_count
from portal_app.reflex_ext.deferred import mounted_later
from portal_app.schemas.statement import AgingBucketView, StatementRowView, StatementView
from portal_app.services.billing import statement_files, statements
from portal_app.services.billing.generated_files import GeneratedFile
from portal_app.services.identity.actor import Actor
from portal_app.state.portal import PortalState
from portal_app.state.translate import _, fill, pgettext

log = logging.getLogger(__name__)

STATUS_LABELS = {"all": "All", "paid": "Paid", "unpaid": "Unpaid"}
# The choices' words, with the list filters' context (one English word, several meanings).
STATUS_CONTEXT = "invoice filter"
# How often the background build copies its progress into the page (seconds).
BUILD_POLL_SECONDS = 0.3
BUILD_FAILED = N_("The PDF could not be built. Please try again.")
# Lines per currency on one screen: a statement of 10,000 lines is paged, never sent whole.
PREVIEW_ROWS = 100
# PDF builds drawing at once in this worker; more wait their turn, so many tabs asking for
# long statements cannot take every thread (and core) from the other pages.
_BUILD_SLOTS = asyncio.Semaphore(2)


class _BuildCancelled(Exception):
    """Raised inside the PDF renderer's progress callback when the build was cancelled."""


class _BuildProgress:
    """Shared between the rendering thread (writes) and the background event (reads)."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0
        self.cancelled = threading.Event()

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.cancelled.is_set():
            raise _BuildCancelled


def _build_file(
    actor: Actor, choices: dict, progress: _BuildProgress, language: str
) -> GeneratedFile:
    """Read the statement (one short transaction), then draw it into a private file, both in
    the page's `language` (the PDF reads like the page)."""
    with use_language(language):
        with session_scope() as db:
            filename, doc = statement_files.prepare_statement(db, actor=actor, **choices)
        progress(0, sum(len(view.rows) for view in doc.views))
        return statement_files.write_statement_file(
            actor=actor, filename=filename, doc=doc, progress=progress
        )


class StatementState(PortalState):
    """The range and choices; every change re-checks the session and recomputes on the server."""

    preset: str = "this_year"
    start: str = ""
    end: str = ""
    status: str = "all"
    show_payments: bool = True
    show_credits: bool = True
    show_aging: bool = True
    views: list[StatementView] = []
    start_error: str = ""
    end_error: str = ""
    loading: bool = True
    unavailable: bool = False
    row_page: int = 0
    row_total: int = 0
    # "Lines 1–100 of 2,000" and the build's progress text, in the page's language, set by the
    # handlers that change their numbers: computed vars reading `lang` made every event of
    # every page load this state from Redis (reflex_ext/state_deps.py, issue 25).
    row_range: str = ""
    build_label: str = ""
    # The PDF build: "" | building | done | failed | cancelled. Only counts and the signed URL
    # reach the browser, never the document.
    build_status: str = ""
    build_done: int = 0
    build_total: int = 0
    build_url: str = ""
    build_filename: str = ""
    build_message: str = ""
    _build_generation: int = 0

    def _reload(self, *, keep_page: bool = False):
        actor = self._begin()
        if actor is None:
            return self._login_redirect()
        if not keep_page:
            self.row_page = 0
        self.start_error = self.end_error = ""
        if self.build_status != "building":
            self._clear_build()  # a finished PDF belongs to the old choices
        try:
            start = statements.parse_day(self.start, "start")
            end = statements.parse_day(self.end, "end")
            with session_scope() as db:
                self.views = statements.statement(
                    db,
                    actor=actor,
                    start=start,
                    end=end,
                    status=self.status,
                    show_payments=self.show_payments,
                    show_credits=self.show_credits,
                    show_aging=self.show_aging,
                    row_offset=self.row_page * PREVIEW_ROWS,
                    row_limit=PREVIEW_ROWS,
                )
            self.row_total = max((view.row_count for view in self.views), default=0)
            self.unavailable = False
        except ValidationError as exc:
            self.views = []
            self.row_total = 0
            if exc.field == "start":
                self.start_error = exc.message
            else:
                self.end_error = exc.message
        except NotFoundError:
            self.views = []
            self.row_total = 0
            self.unavailable = True
        self._set_row_range()
        self.loading = False
        return None

    def _apply_preset(self, preset: str) -> None:
        found = statements.preset_range(preset, date.today())
        if found is None:
            self.preset = "custom"
            return
        self.preset = preset
        self.start, self.end = found[0].isoformat(), found[1].isoformat()

    @rx.event
    def load(self):
        self.loading = True
        if not self.start or not self.end:
            self._apply_preset("this_year")
        return self._reload()

    @rx.event
    def choose_preset(self, preset: str):
        self._apply_preset(preset if preset in statements.PRESETS else "custom")
        return self._reload()

    @rx.event
    def set_start_date(self, value: str):
        self.start = value[:10]
        self.preset = "custom"
        return self._reload()

    @rx.event
    def set_end_date(self, value: str):
        self.end = value[:10]
        self.preset = "custom"
        return self._reload()

    @rx.event
    def choose_status(self, value: str):
        self.status = value if value in STATUS_LABELS else "all"
        return self._reload()

    @rx.event
    def toggle_payments(self, checked: bool):
        self.show_payments = bool(checked)
        return self._reload()

    @rx.event
    def toggle_credits(self, checked: bool):
        self.show_credits = bool(checked)
        return self._reload()

    @rx.event
    def toggle_aging(self, checked: bool):
        self.show_aging = bool(checked)
        return self._reload()

    @rx.event
    def next_rows(self):
        if (self.row_page + 1) * PREVIEW_ROWS < self.row_total:
            self.row_page += 1
        return self._reload(keep_page=True)

    @rx.event
    def previous_rows(self):
        self.row_page = max(0, self.row_page - 1)
        return self._reload(keep_page=True)

    def _said(self, message: str) -> str:
        """`message` (a msgid) in the page's language (background handlers run without the
        session check that sets the event's language)."""
        with use_language(self.lang):
            return gettext(message)

    def _set_row_range(self) -> None:
        first = self.row_page * PREVIEW_ROWS
        last = min(self.row_total, first + PREVIEW_ROWS)
        with use_language(self.lang):
            self.row_range = gettext("Lines %(first)s–%(last)s of %(total)s") % {
                "first": format_count(first + 1, self.lang),
                "last": format_count(last, self.lang),
                "total": format_count(self.row_total, self.lang),
            }

    @rx.var
    def has_next_rows(self) -> bool:
        return (self.row_page + 1) * PREVIEW_ROWS < self.row_total

    @rx.var
    def has_error(self) -> bool:
        return self.start_error != "" or self.end_error != ""

    # -- the PDF, built in the background ----------------------------------------------------

    def _clear_build(self) -> None:
        self.build_status = self.build_url = self.build_filename = self.build_message = ""
        self.build_done = self.build_total = 0
        self._set_build_label()

    def _choices(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "show_payments": self.show_payments,
            "show_credits": self.show_credits,
            "show_aging": self.show_aging,
        }

    def _send(self, path: str, filename: str):
        """Start the download: same origin as a link click, else a navigation to the
        backend's origin (two-port development)."""
        if not self.api_base:
            return rx.download(url=path, filename=filename)
        return rx.call_script(f"window.location.assign({json.dumps(self.api_base + path)})")

    @rx.event(background=True)
    async def build_pdf(self):
        """Build the statement PDF off the event loop with progress, then download it from a
        short-lived signed URL. A statement of 10,000 lines takes a few seconds: the page
        stays usable, shows how far it got and can cancel."""
        async with self:
            if self.build_status == "building":
                return None  # a double click
            actor = self._actor()
            if actor is None:
                return self._login_redirect()
            if self.has_error or self.unavailable:
                return None
            choices = self._choices()
            language = self.lang
            self._build_generation += 1
            generation = self._build_generation
            self._clear_build()
            self.build_status = "building"
        progress = _BuildProgress()
        async with _BUILD_SLOTS:
            async with self:
                if self._build_generation != generation:
                    return None  # cancelled while waiting for a slot
            build = asyncio.to_thread(_build_file, actor, choices, progress, language)
            task = asyncio.ensure_future(build)
            while not task.done():
                await asyncio.wait([task], timeout=BUILD_POLL_SECONDS)
                async with self:
                    if self._build_generation != generation:
                        progress.cancelled.set()  # cancelled or started again: stop drawing
                    else:
                        self.build_done, self.build_total = progress.done, progress.total
                        self._set_build_label()
        message = ""
        try:
            built = task.result()
        except _BuildCancelled:
            return None
        except ValidationError as exc:
            message = exc.message
        except NotFoundError:
            message = self._said(N_("Statements are not available."))
        except Exception:
            log.exception("statement PDF build failed")
            message = self._said(BUILD_FAILED)
        async with self:
            if self._build_generation != generation:
                return None
            if message:
                self.build_status, self.build_message = "failed", message
                return None
            self.build_status = "done"
            self.build_done = self.build_total = progress.total
            self._set_build_label()
            path = routes.file_url(built.token)
            self.build_url = self.api_base + path
            self.build_filename = built.filename
            return self._send(path, built.filename)

    @rx.event
    def cancel_build(self):
        """Stop a running build; the rendering thread stops at its next progress report."""
        if self.build_status == "building":
            self._build_generation += 1
            self._clear_build()
            self.build_status = "cancelled"
            self.build_message = self._said(N_("PDF cancelled."))

    @rx.var
    def build_percent(self) -> int:
        if self.build_total <= 0:
            return 0
        return min(100, self.build_done * 100 // self.build_total)

    def _set_build_label(self) -> None:
        with use_language(self.lang):
            if self.build_total <= 0:
                self.build_label = gettext("Reading the statement…")
            elif self.build_done >= self.build_total:
                self.build_label = gettext("Saving the PDF…")
            else:
                self.build_label = gettext("Drawing line %(done)s of %(total)s (%(percent)s%%)") % {
                    "done": format_count(self.build_done, self.lang),
                    "total": format_count(self.build_total, self.lang),
                    "percent": min(100, self.build_done * 100 // self.build_total),
                }


def _preset_labels() -> dict[str, rx.Var]:
    """The period presets' names (statements.PRESETS' keys) in the contact's language."""
    return {
        "this_month": pgettext("statement period", "This month"),
        "last_month": pgettext("statement period", "Last month"),
        "this_quarter": pgettext("statement period", "This quarter"),
        "this_year": pgettext("statement period", "This year"),
        "last_year": pgettext("statement period", "Last year"),
        "custom": pgettext("statement period", "Custom"),
    }


# The statement's controls as native elements (components/common.native_select, a native
# checkbox), styled once by the shell (layout/sidebar.main_area): Radix's Select renders its
# items into a hidden fragment and both it and Radix's Checkbox render again from their layout
# effects after mounting (the checkbox's indicator reads the computed style, a forced style
# recalculation of the whole page), which was much of the statement's first render. A native
# <select> and checkbox do the same for the keyboard and for screen readers (each has its
# <label>), with the sizes and colours of Radix's size 2.
# Chromium draws a date field's calendar button with an SVG data: URL from its own stylesheet,
# which the page's load fetches as one more request (Lighthouse counts it: the statement's
# 16th). The same button drawn with a border (a box with a thick top edge, the field's
# text colour): no image, same place, same size, still opens the picker.
DATE_PICKER_ICON = {
    "& input[type=date]::-webkit-calendar-picker-indicator": {
        "background_image": "none",
        "width": "12px",
        "height": "12px",
        "box_sizing": "border-box",
        "border": "1.5px solid currentColor",
        "border_top_width": "4px",
        "border_radius": "2px",
        "opacity": "0.7",
        "cursor": "pointer",
    },
}
# The name of the condition that mounts the currencies' cards after the rest of the page.
VIEWS_LATER = "statement views"
FIELD_CLASS = "rt-Flex rx-Stack rt-r-fd-column rt-r-ai-start rt-r-gap-1"


def _field_label(text, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, class_name="rt-Text rt-r-size-2 rt-r-weight-medium")


def _select(element_id: str, label, options, value, on_change, **props) -> rx.Component:
    """A labelled native <select>; `options` are (value, text) pairs."""
    return rx.el.div(
        _field_label(label, element_id),
        native_select(options, value, on_change, id=element_id, **props),
        class_name=FIELD_CLASS,
    )


def _check(label, checked, on_change) -> rx.Component:
    """A native checkbox inside its label: the server's value shown."""
    return rx.el.label(
        rx.el.input(type="checkbox", checked=checked, on_change=on_change),
        label,
        class_name="portal-check rt-Text rt-r-size-2",
    )


def _controls() -> rx.Component:
    return rx.flex(
        _select(
            "statement-preset",
            _("Period"),
            [(key, _preset_labels()[key]) for key in statements.PRESETS],
            StatementState.preset,
            StatementState.choose_preset,
        ),
        rx.el.div(
            _field_label(pgettext("statement period", "From"), "statement-start"),
            rx.input(
                type="date",
                id="statement-start",
                value=StatementState.start,
                on_change=StatementState.set_start_date.debounce(400),
                aria_invalid=StatementState.start_error != "",
            ),
            field_error(StatementState.start_error),
            class_name=FIELD_CLASS,
        ),
        rx.el.div(
            _field_label(pgettext("statement period", "To"), "statement-end"),
            rx.input(
                type="date",
                id="statement-end",
                value=StatementState.end,
                on_change=StatementState.set_end_date.debounce(400),
                aria_invalid=StatementState.end_error != "",
            ),
            field_error(StatementState.end_error),
            class_name=FIELD_CLASS,
        ),
        _select(
            "statement-status",
            _("Invoices"),
            [(key, pgettext(STATUS_CONTEXT, label)) for key, label in STATUS_LABELS.items()],
            StatementState.status,
            StatementState.choose_status,
            aria_label=_("Invoices to include"),
        ),
        rx.el.div(
            _check(
                _("Show payments"), StatementState.show_payments, StatementState.toggle_payments
            ),
            _check(_("Show credits"), StatementState.show_credits, StatementState.toggle_credits),
            _check(_("Show aging"), StatementState.show_aging, StatementState.toggle_aging),
            class_name=FIELD_CLASS,
        ),
        wrap="wrap",
        spacing="4",
        align="start",
        width="100%",
        style=DATE_PICKER_ICON,
    )


def _row(row: StatementRowView) -> rx.Component:
    # Plain cells with Radix's classes (components/records.row_cell): a statement shows up to
    # a hundred lines per currency, and a Radix cell with a style of its own each was most of
    # the page's first render.
    return rx.el.tr(
        row_cell(row.date, columns=NO_WRAP),
        rx.el.th(row.reference, scope="row", class_name=ROW_HEADER_CLASS),
        row_cell(row.description, columns=FROM_SM),
        # On a phone the row is a card (layout/sidebar.main_area): each amount says what it is.
        row_cell(row_phone_label(_("Amount")), row.amount, columns=f"{AT_END} {NO_WRAP}"),
        row_cell(
            row_phone_label(pgettext("running balance", "Balance")),
            row.balance,
            columns=f"{AT_END} {NO_WRAP}",
        ),
        class_name=ROW_CLASS,
        data_testid="statement-row",
    )


def _bucket(bucket: AgingBucketView) -> rx.Component:
    # Plain elements with Radix's classes (a column, at the end): five per currency.
    return rx.el.div(
        plain_text(bucket.label, size="1", color="gray"),
        plain_text(bucket.amount, size="2", weight="medium"),
        class_name="rt-Flex rx-Stack rt-r-fd-column rt-r-ai-end rt-r-gap-0",
    )


def _view(view: StatementView) -> rx.Component:
    # Radix's card as its element and classes (rx.card's defaults: size 1, surface), as
    # wide as the column (what width="100%" did).
    return rx.el.div(
        rx.vstack(
            rx.heading(
                fill(_("Statement in %(currency)s"), currency=view.currency), size="4", as_="h2"
            ),
            summary_row(_("Opening balance"), view.opening),
            rx.cond(
                view.is_empty,
                plain_text(_("No activity in this period."), color="gray"),
                plain_table(
                    [
                        (_("Date"), "", ""),
                        (_("Reference"), "", ""),
                        (_("Description"), FROM_SM, ""),
                        (_("Amount"), AT_END, ""),
                        (pgettext("running balance", "Balance"), AT_END, ""),
                    ],
                    rx.foreach(view.rows, _row),
                ),
            ),
            summary_row(_("Invoices"), view.invoices_total),
            summary_row(_("Payments"), view.payments_total),
            summary_row(_("Credits"), view.credits_total),
            rx.box(
                summary_row(_("Closing balance"), view.closing, strong=True),
                width="100%",
                data_testid="statement-closing",
            ),
            rx.cond(
                view.show_aging,
                # Columns as wide as the screen allows, each bucket in one piece.
                rx.grid(
                    rx.foreach(view.aging, _bucket),
                    columns="repeat(auto-fill, minmax(6.5em, 1fr))",
                    gap="3",
                    width="100%",
                ),
            ),
            width="100%",
            spacing="3",
        ),
        class_name="rt-reset rt-BaseCard rt-Card rt-r-size-1 rt-variant-surface rt-r-as-stretch",
        data_testid="statement-" + view.currency,
    )


def _pager() -> rx.Component:
    """Previous/next over a long statement's lines (each currency shows the same window)."""
    return rx.hstack(
        rx.button(
            _("Previous"),
            on_click=StatementState.previous_rows,
            disabled=StatementState.row_page == 0,
            variant="soft",
            size="1",
        ),
        rx.text(StatementState.row_range, size="2", data_testid="statement-lines"),
        rx.button(
            _("Next"),
            on_click=StatementState.next_rows,
            disabled=~StatementState.has_next_rows,
            variant="soft",
            size="1",
        ),
        align="center",
        spacing="3",
    )


def _pdf_controls() -> rx.Component:
    """The PDF button, the build's progress and cancel, then the finished file's link."""
    building = StatementState.build_status == "building"
    return rx.vstack(
        rx.button(
            rx.icon("file-down", size=16, aria_hidden="true"),
            _("Download PDF"),
            id="download-statement",
            on_click=StatementState.build_pdf,
            loading=building,
            disabled=building,
        ),
        rx.cond(
            building,
            rx.vstack(
                rx.progress(
                    value=StatementState.build_percent,
                    max=100,
                    width="100%",
                    aria_label=_("PDF progress"),
                    id="statement-progress",
                ),
                rx.hstack(
                    rx.text(
                        StatementState.build_label,
                        size="2",
                        aria_live="polite",
                        data_testid="statement-progress-label",
                    ),
                    rx.button(
                        _("Cancel"),
                        on_click=StatementState.cancel_build,
                        variant="soft",
                        color_scheme="gray",
                        size="1",
                        id="cancel-statement",
                    ),
                    align="center",
                    spacing="3",
                ),
                width="100%",
                max_width="28em",
                spacing="2",
            ),
        ),
        rx.cond(
            StatementState.build_status == "done",
            rx.hstack(
                rx.text(_("Your PDF is ready."), size="2", data_testid="statement-ready"),
                download_button(
                    _("Download again"), StatementState.build_url, "statement-file", size="1"
                ),
                rx.text(_("(link valid for a few minutes)"), size="1", color_scheme="gray"),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
        ),
        rx.cond(
            StatementState.build_message != "",
            rx.text(
                StatementState.build_message,
                size="2",
                color_scheme=rx.cond(StatementState.build_status == "failed", "red", "gray"),
                role="status",
                data_testid="statement-build-message",
            ),
        ),
        spacing="2",
        width="100%",
    )


def statement_page() -> rx.Component:
    return rx.vstack(
        page_heading(_("Statement")),
        rx.cond(
            StatementState.unavailable,
            empty_state(
                _("Not available"), _("Your portal does not include statements."), icon="lock"
            ),
            rx.vstack(
                _controls(),
                rx.cond(
                    StatementState.loading,
                    loading_block(),
                    rx.cond(
                        StatementState.has_error,
                        rx.fragment(),
                        rx.vstack(
                            _pdf_controls(),
                            rx.cond(StatementState.row_total > PREVIEW_ROWS, _pager()),
                            # Each currency's card and lines (most of the page, below the
                            # controls) in a commit of their own, after the rest of it.
                            rx.cond(
                                mounted_later(VIEWS_LATER),
                                rx.foreach(StatementState.views, _view),
                            ),
                            width="100%",
                            spacing="4",
                        ),
                    ),
                ),
                width="100%",
                spacing="4",
            ),
        ),
        width="100%",
        spacing="4",
        align="start",
    )
