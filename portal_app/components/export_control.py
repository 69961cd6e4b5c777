"""The "Export" control of the invoices, payments and credits lists: a popover with a date
range and a format (CSV or XLSX) whose button downloads the file (state/export.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.common import download_button
from portal_app.state.api_link import api_url
from portal_app.state.export import ExportState
from portal_app.state.translate import _


def _error(key) -> rx.Component:
    """The message for an error key of ExportState, next to its field (announced)."""
    return rx.cond(
        key != "",
        rx.text(
            rx.match(
                key,
                ("start_missing", _("Enter a start date.")),
                ("end_missing", _("Enter an end date.")),
                ("end_before_start", _("The end date must not be before the start date.")),
                ("too_long", _("Choose at most 10 years.")),
                _("Enter a date as YYYY-MM-DD."),
            ),
            color_scheme="red",
            size="2",
            role="alert",
        ),
    )


def _date_field(label, element_id: str, value, on_change, error) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=element_id),
        rx.input(
            type="date",
            id=element_id,
            value=value,
            on_change=on_change.debounce(300),
            aria_invalid=error != "",
        ),
        _error(error),
        spacing="1",
        width="100%",
    )


def export_control(kind: str, list_state=None) -> rx.Component:
    """The Export button and its popover for the `kind` list ("invoices", "payments" or
    "credits"); `list_state` (invoices) gives the list's filter, search and sort."""
    filters = (
        (list_state.status, list_state.search, list_state.sort, list_state.descending)
        if list_state is not None
        else ("", "", "", True)
    )
    field_id = f"export-{kind}"
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("file-spreadsheet", size=16, aria_hidden="true"),
                _("Export"),
                variant="soft",
                size="2",
                id=f"{field_id}-open",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.heading(_("Export"), size="3", as_="h2"),
                rx.text(
                    _("The invoices this list shows, issued between these dates.")
                    if kind == "invoices"
                    else _("Everything in this list dated between these dates."),
                    size="2",
                    color_scheme="gray",
                ),
                _date_field(
                    _("From"),
                    f"{field_id}-start",
                    ExportState.export_start,
                    ExportState.set_export_start,
                    ExportState.export_start_error,
                ),
                _date_field(
                    _("To"),
                    f"{field_id}-end",
                    ExportState.export_end,
                    ExportState.set_export_end,
                    ExportState.export_end_error,
                ),
                rx.vstack(
                    rx.text(_("Format"), size="2", weight="medium", as_="label"),
                    rx.select.root(
                        rx.select.trigger(aria_label=_("File format"), id=f"{field_id}-format"),
                        rx.select.content(
                            rx.select.item("CSV", value="csv"),
                            rx.select.item(_("XLSX (Excel)"), value="xlsx"),
                        ),
                        value=ExportState.export_format,
                        on_change=ExportState.set_export_format,
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.cond(
                    ExportState.export_path != "",
                    download_button(
                        _("Download"), api_url(ExportState.export_path), f"{field_id}-download"
                    ),
                    rx.button(
                        rx.icon("download", size=16, aria_hidden="true"),
                        _("Download"),
                        disabled=True,
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            # A phone is 360 px wide: the popover never overflows it.
            width="20em",
            max_width="calc(100vw - 2em)",
        ),
        on_open_change=lambda is_open: ExportState.opened(is_open, kind, *filters),
    )
