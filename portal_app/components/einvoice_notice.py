"""The e-invoice notice on a staff invoice or credit page: which Factur-X profile the
document's PDF carries and, for the lighter BASIC-WL, which settings the full EN 16931 lacks;
and the format it was last e-mailed in (the client's e-invoice format then).

Use `einvoice_notice(kind, doc)` with the page's StaffDocDetail Var; it mounts
StaffEInvoiceState (state/staff_einvoice.py). `client_einvoice_format(client_id)` is the
client's format picker on the staff client page (StaffEInvoiceFormatState).
"""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.schemas.einvoice import FORMAT_LABELS, PROFILE_BASIC_WL, EInvoiceProfileView
from portal_app.schemas.staff_documents import StaffDocDetail
from portal_app.state.staff_einvoice import StaffEInvoiceFormatState, StaffEInvoiceState
from portal_app.state.translate import _, fill


def _notice(info: rx.Var) -> rx.Component:
    return rx.cond(
        info.profile == PROFILE_BASIC_WL,
        callout(
            rx.text(
                fill(
                    _(
                        "E-invoice: Factur-X BASIC-WL (no line items). For the full EN 16931 "
                        "profile, fill in: %(fields)s."
                    ),
                    fields=info.missing.join(", "),
                ),
            ),
            icon="triangle-alert",
            color_scheme="amber",
            id="einvoice-profile",
        ),
        callout(
            _("E-invoice: Factur-X EN 16931 (full profile)."),
            icon="file-check",
            color_scheme="gray",
            id="einvoice-profile",
        ),
    )


def _sent_format(info: rx.Var) -> rx.Component:
    return rx.text(
        fill(
            _("Last e-mailed as: %(format)s"),
            format=rx.cond(info.sent_format != "", info.sent_format, _("not e-mailed yet")),
        ),
        size="2",
        color_scheme="gray",
        id="einvoice-sent-format",
    )


def einvoice_notice(kind: str, doc) -> rx.Component:
    """The notice for the page's invoice ("invoice") or credit note ("credit")."""
    doc = doc.to(StaffDocDetail)
    info = StaffEInvoiceState.einvoice.to(EInvoiceProfileView)
    return rx.box(
        rx.cond(
            StaffEInvoiceState.einvoice,
            rx.vstack(_notice(info), _sent_format(info), spacing="2", width="100%"),
        ),
        on_mount=StaffEInvoiceState.show(kind, doc.id),
        width="100%",
    )


def client_einvoice_format(client_id) -> rx.Component:
    """The client's e-invoice format: what its invoice and credit note downloads and e-mail
    attachments are. Saved as soon as another is chosen."""
    S = StaffEInvoiceFormatState
    return rx.vstack(
        rx.heading(_("E-invoice format"), size="4", as_="h2"),
        rx.text(
            _("What this client's invoice and credit note downloads and e-mail attachments are."),
            size="2",
            color_scheme="gray",
            id="einvoice-format-help",
        ),
        rx.select.root(
            rx.select.trigger(
                id="einvoice-format",
                aria_label=_("E-invoice format"),
                aria_describedby="einvoice-format-help",
                min_width="16em",
            ),
            rx.select.content(
                *[rx.select.item(label, value=value) for value, label in FORMAT_LABELS.items()]
            ),
            value=S.einvoice_format,
            on_change=S.choose,
        ),
        rx.cond(
            S.format_notice != "",
            rx.text(S.format_notice, size="2", color_scheme="green", role="status"),
        ),
        rx.cond(
            S.format_error != "",
            rx.text(S.format_error, size="2", color_scheme="red", role="alert"),
        ),
        on_mount=S.show(client_id),
        spacing="2",
        align="start",
        width="100%",
    )
