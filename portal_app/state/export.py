"""The list pages' "Export" control: a date range and a format, turned into the download
address of GET /api/export/{kind} (services/payments/export.py).

One State for the invoices, payments and credits pages: opening the control tells it which
list and that list's filter, search and sort at that moment (the popover covers the list, so
they cannot change while it is open). Nothing here reads data: the route authenticates the
cookie and checks every parameter again, so this State only keeps the choices and says which
field is wrong before the browser asks.
"""

from __future__ import annotations

from datetime import date

import reflex as rx

from portal_app.core import routes
from portal_app.core.db import utcnow
from portal_app.core.errors import ValidationError
from portal_app.services.billing import export as export_rules
from portal_app.state.portal import PortalState

KINDS = ("invoices", "payments", "credits")
# Which message the control shows next to a field (the component words them, translated).
ERROR_KEYS = {
    "Enter a start date.": "start_missing",
    "Enter an end date.": "end_missing",
    "Enter a date as YYYY-MM-DD.": "bad_date",
    "The end date must not be before the start date.": "end_before_start",
    "Choose at most 10 years.": "too_long",
}


class ExportState(PortalState):
    """The export control's choices; the path it downloads from is computed from them."""

    export_kind: str = "invoices"
    export_start: str = ""
    export_end: str = ""
    export_format: str = "csv"
    # The list's filter, search and sort (invoices only) as the route's query parameters.
    export_filters: dict[str, str] = {}

    @rx.event
    def opened(
        self,
        is_open: bool,
        kind: str,
        status: str = "",
        search: str = "",
        sort: str = "",
        descending: bool = True,
    ):
        """The popover opened (or closed): remember the list and its filters; the range
        starts as this year to date."""
        if not is_open:
            return
        self.export_kind = kind if kind in KINDS else "invoices"
        self.export_filters = (
            {
                "status": str(status or ""),
                "q": str(search or "")[:100],
                "sort": str(sort or ""),
                "desc": "1" if descending else "0",
            }
            if self.export_kind == "invoices"
            else {}
        )
        if not self.export_start or not self.export_end:
            today = utcnow().date()
            self.export_start = date(today.year, 1, 1).isoformat()
            self.export_end = today.isoformat()

    @rx.event
    def set_export_start(self, value: str):
        self.export_start = str(value or "")[:10]

    @rx.event
    def set_export_end(self, value: str):
        self.export_end = str(value or "")[:10]

    @rx.event
    def set_export_format(self, value: str):
        self.export_format = value if value in export_rules.FORMATS else "csv"

    def _range_error(self) -> tuple[str, str]:
        """(field, message key) of what is wrong with the range, or ("", "")."""
        try:
            export_rules.parse_range(self.export_start, self.export_end)
        except ValidationError as exc:
            return exc.field, ERROR_KEYS.get(exc.message, "bad_date")
        return "", ""

    @rx.var
    def export_start_error(self) -> str:
        field, key = self._range_error()
        return key if field == "start" else ""

    @rx.var
    def export_end_error(self) -> str:
        field, key = self._range_error()
        return key if field == "end" else ""

    @rx.var
    def export_path(self) -> str:
        """The download path, or "" while the range is wrong; the control joins it to
        PortalState.api_base in the browser (state/api_link.py: reading api_base here made
        every event of every page load this state, issue 25)."""
        if self._range_error()[0]:
            return ""
        return routes.export_url(
            self.export_kind,
            self.export_start,
            self.export_end,
            self.export_format,
            **self.export_filters,
        )
