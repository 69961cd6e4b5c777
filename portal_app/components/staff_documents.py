"""UI of the staff invoice, quote and credit pages: list, form with dynamic lines, detail.

Each builder takes the page's State class (which lists the matching mixin of
state/staff_documents.py and defines the handlers named below) and the kind's words.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.common import (
    download_button,
    empty_state,
    field_error,
    keyed_badge,
    link_button,
    loading_block,
    page_heading,
)
from portal_app.core.i18n import N_
from portal_app.core.money import SUPPORTED_CURRENCIES
from portal_app.schemas.staff_documents import StaffDocDetail, StaffQuoteAnswer
from portal_app.state.translate import _, fill

# The status filter's words (English msgids, shown through _()).
STATUS_FILTER_LABELS = {
    "all": N_("All"),
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "partial": N_("Partly paid"),
    "paid": N_("Paid"),
    "cancelled": N_("Cancelled"),
    "approved": N_("Approved"),
    "converted": N_("Converted"),
    "expired": N_("Expired"),
    "declined": N_("Declined"),
    "applied": N_("Applied"),
}
# Badge colours by stored status key: the label is in the staff user's language.
_STATUS_COLORS = {
    "draft": "gray",
    "sent": "amber",
    "partial": "blue",
    "paid": "green",
    "cancelled": "gray",
    "approved": "green",
    "converted": "green",
    "expired": "gray",
    "declined": "red",
    "applied": "green",
    "pending": "amber",
    "completed": "green",
    "failed": "red",
    "refunded": "gray",
    "partly_refunded": "blue",
}


@dataclass(frozen=True, slots=True)
class KindWords:
    """How the pages name one kind of document."""

    name: str  # invoice | quote | credit
    title: str  # Invoice
    plural: str  # Invoices
    list_route: str
    new_route: str
    statuses: tuple[str, ...]
    due_label: str = N_("Due date")  # "" for a kind without one (credits)
    # Whole phrases per kind (English msgids marked in components/staff_kinds.py), so no
    # sentence is joined from a translated noun.
    new_label: str = ""  # New invoice
    edit_label: str = ""  # Edit invoice
    empty_title: str = ""  # No invoices
    not_found_title: str = ""  # Invoice not found
    not_found_text: str = ""  # This invoice does not exist.
    email_label: str = ""  # E-mail invoice
    pdf_preview_label: str = ""  # Preview the invoice PDF (opens in a new tab)
    back_label: str = ""  # ← All invoices
    heading: str = ""  # Invoice %(number)s


def staff_status_badge(label, key) -> rx.Component:
    """The record's status `label` (translated), coloured by its stored status `key`."""
    return keyed_badge(label, key, _STATUS_COLORS)


def labelled_select(options: list[tuple[str, str]], *, value, on_change, label: str, **props):
    """A select whose trigger carries an accessible name (rx.select's shorthand drops it)."""
    return rx.select.root(
        rx.select.trigger(aria_label=label),
        rx.select.content(*[rx.select.item(text, value=key) for key, text in options]),
        value=value,
        on_change=on_change,
        **props,
    )


# -- list --------------------------------------------------------------------------------------


def doc_list(state, words: KindWords) -> rx.Component:
    """Filter, search, the table of rows and the pager."""

    def row(item) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(
                rx.link(
                    item.number,
                    href=f"/staff/{words.name}s/" + item.id.to_string(),
                    weight="medium",
                )
            ),
            rx.table.cell(item.client_name),
            rx.table.cell(staff_status_badge(item.status_label, item.status)),
            rx.table.cell(item.issue_date, white_space="nowrap"),
            *([rx.table.cell(item.due_date, white_space="nowrap")] if words.due_label else []),
            rx.table.cell(item.amount, text_align="end", white_space="nowrap"),
            rx.table.cell(item.balance, text_align="end", white_space="nowrap"),
        )

    table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label, text_align=align)
                    for label, align in (
                        (_("Number"), "start"),
                        (_("Client"), "start"),
                        (_("Status"), "start"),
                        (_("Date"), "start"),
                        *([(_(words.due_label), "start")] if words.due_label else []),
                        (_("Amount"), "end"),
                        (_("Balance"), "end"),
                    )
                ]
            )
        ),
        rx.table.body(rx.foreach(state.rows, row)),
        width="100%",
        variant="surface",
    )
    return rx.vstack(
        rx.hstack(
            page_heading(_(words.plural)),
            rx.spacer(),
            link_button(
                rx.icon("plus", size=16, aria_hidden="true"),
                _(words.new_label),
                href=words.new_route,
                link_props={"id": f"new-{words.name}"},
            ),
            width="100%",
            align="start",
        ),
        rx.hstack(
            labelled_select(
                [(status, _(STATUS_FILTER_LABELS[status])) for status in words.statuses],
                value=state.status_filter,
                on_change=state.set_filter,
                label=_("Status"),
            ),
            rx.input(
                placeholder=_("Search number or client"),
                default_value=state.search,
                on_blur=state.set_search,
                aria_label=_("Search number or client"),
                width="18em",
            ),
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            state.loading,
            loading_block(),
            rx.cond(
                state.rows.length() > 0,
                rx.box(table, width="100%", overflow_x="auto"),
                empty_state(_(words.empty_title), _("Nothing matches these filters.")),
            ),
        ),
        rx.hstack(
            rx.button(
                _("Previous"),
                on_click=state.previous_page,
                disabled=state.page <= 1,
                variant="soft",
            ),
            rx.text(fill(_("Page %(page)s"), page=state.page.to_string())),
            rx.button(
                _("Next"), on_click=state.next_page, disabled=~state.has_next, variant="soft"
            ),
            align="center",
            spacing="3",
        ),
        width="100%",
        spacing="4",
    )


# -- form --------------------------------------------------------------------------------------


def labelled_field(label: str, control: rx.Component, error) -> rx.Component:
    """A label above `control`, with the field's error below it."""
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium"),
        control,
        field_error(error),
        spacing="1",
        width="100%",
    )


def text_field(state, name: str, label: str, **props) -> rx.Component:
    """An input bound to `state.form_<name>` through `state.set_field`."""
    return labelled_field(
        label,
        rx.input(
            value=getattr(state, f"form_{name}"),
            on_change=lambda value: state.set_field(name, value),
            aria_label=label,
            id=f"field-{name.replace('_', '-')}",
            **props,
        ),
        state.form_errors[name],
    )


def area_field(state, name: str, label: str) -> rx.Component:
    """A text area bound to `state.form_<name>` through `state.set_field`."""
    return labelled_field(
        label,
        rx.text_area(
            value=getattr(state, f"form_{name}"),
            on_change=lambda value: state.set_field(name, value),
            aria_label=label,
            id=f"field-{name.replace('_', '-')}",
            rows="3",
        ),
        state.form_errors[name],
    )


def line_row(state, line, index) -> rx.Component:
    """One editable line (`state.set_line`, `state.remove_line`) with its errors."""

    def cell(name: str, label: str, width: str, **props) -> rx.Component:
        return rx.table.cell(
            rx.input(
                value=line[name],
                on_change=lambda value: state.set_line(index, name, value),
                aria_label=label,
                class_name=f"line-{name.replace('_', '-')}",
                **props,
            ),
            field_error(line[f"err_{name}"]),
            min_width=width,
        )

    return rx.table.row(
        cell("description", _("Description"), "14em"),
        cell("quantity", _("Quantity"), "5em", input_mode="decimal"),
        cell("unit_price", _("Unit price"), "7em", input_mode="decimal"),
        cell("tax_name", _("Tax name"), "6em"),
        cell("tax_rate", _("Tax rate %"), "5em", input_mode="decimal"),
        rx.table.cell(
            rx.icon_button(
                rx.icon("trash-2", size=16),
                on_click=state.remove_line(index),
                variant="ghost",
                color_scheme="red",
                aria_label=_("Remove line"),
                type="button",
            )
        ),
    )


def form_error_callout(state) -> rx.Component:
    """The form-wide error (`form_errors["form"]`), shown above the fields when there is one."""
    return rx.cond(
        state.form_errors["form"] != "",
        callout(state.form_errors["form"], icon="triangle-alert", color_scheme="red", role="alert"),
    )


def client_field(state) -> rx.Component:
    """The client select of a new form; fixed (disabled) when editing."""
    return labelled_field(
        _("Client"),
        rx.select.root(
            # No placeholder: Radix's grey placeholder text fails contrast checks.
            rx.select.trigger(aria_label=_("Client")),
            rx.select.content(
                rx.foreach(
                    state.client_choices,
                    lambda option: rx.select.item(option.label, value=option.value),
                )
            ),
            value=state.form_client_id,
            on_change=lambda value: state.set_field("client_id", value),
            disabled=state.form_is_edit,
            name="client_id",
        ),
        state.form_errors["client_id"],
    )


def currency_field(state) -> rx.Component:
    """The currency select; "default" stands for the client's currency (an empty value)."""
    return labelled_field(
        _("Currency"),
        labelled_select(
            [("default", _("The client's currency"))]
            + [(code, code) for code in SUPPORTED_CURRENCIES],
            value=rx.cond(state.form_currency == "", "default", state.form_currency),
            on_change=lambda value: state.set_field("currency", value),
            label=_("Currency"),
        ),
        state.form_errors["currency"],
    )


def lines_editor(state) -> tuple[rx.Component, ...]:
    """The "Lines" heading, its error, the editable line table and "Add line", to splat into
    the form's vstack (so its spacing applies to each)."""
    lines_table = rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label)
                    for label in (
                        _("Description"),
                        _("Qty"),
                        _("Unit price"),
                        _("Tax"),
                        _("Rate %"),
                        "",
                    )
                ]
            )
        ),
        rx.table.body(
            rx.foreach(state.form_lines, lambda line, index: line_row(state, line, index))
        ),
        width="100%",
        variant="surface",
    )
    return (
        rx.heading(_("Lines"), size="4", as_="h2"),
        field_error(state.form_errors["lines"]),
        rx.box(lines_table, width="100%", overflow_x="auto"),
        rx.button(
            rx.icon("plus", size=16, aria_hidden="true"),
            _("Add line"),
            on_click=state.add_line,
            variant="soft",
            type="button",
            id="add-line",
        ),
    )


def doc_form(state, words: KindWords) -> rx.Component:
    """The new/edit form: client, currency, dates, (deposit), texts, lines; errors by field."""
    is_invoice = words.name == "invoice"
    body = rx.vstack(
        form_error_callout(state),
        rx.grid(
            client_field(state),
            currency_field(state),
            text_field(state, "issue_date", _("Issue date"), type="date"),
            *(
                [text_field(state, "due_date", _(words.due_label), type="date")]
                if words.name != "credit"
                else []
            ),
            *(
                [
                    text_field(state, "partial", _("Deposit (optional)"), input_mode="decimal"),
                    text_field(state, "partial_due_date", _("Deposit due"), type="date"),
                ]
                if is_invoice
                else []
            ),
            *([text_field(state, "po_number", _("PO number"))] if words.name != "credit" else []),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        *lines_editor(state),
        rx.grid(
            area_field(state, "public_notes", _("Notes for the client")),
            *(
                [area_field(state, "terms", _("Terms")), area_field(state, "footer", _("Footer"))]
                if words.name != "credit"
                else []
            ),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
        ),
        rx.hstack(
            rx.button(
                rx.cond(state.form_saving, rx.spinner(size="2"), rx.icon("save", size=16)),
                _("Save draft"),
                on_click=state.save,
                disabled=state.form_saving,
                id="save-document",
            ),
            rx.link(_("Cancel"), href=words.list_route),
            align="center",
            spacing="4",
        ),
        rx.text(
            _("Totals are worked out from the lines when you save. Only drafts can be edited."),
            size="2",
            color_scheme="gray",
        ),
        spacing="4",
        width="100%",
    )
    return rx.vstack(
        page_heading(rx.cond(state.form_is_edit, _(words.edit_label), _(words.new_label))),
        rx.cond(
            state.form_not_found,
            empty_state(_(words.not_found_title), _(words.not_found_text)),
            rx.cond(state.form_loading, loading_block(), body),
        ),
        width="100%",
    )


# -- detail ------------------------------------------------------------------------------------


def summary_row(label: str, value) -> rx.Component:
    """A grey label and its value on one line."""
    return rx.hstack(
        rx.text(label, color_scheme="gray", size="2"),
        rx.spacer(),
        rx.text(value, size="2", weight="medium"),
        width="100%",
    )


def detail_lines(doc) -> rx.Component:
    """The read-only table of a document's (or schedule's) lines."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label, text_align=align)
                    for label, align in (
                        (_("Description"), "start"),
                        (_("Qty"), "end"),
                        (_("Unit price"), "end"),
                        (_("Tax"), "start"),
                        (_("Net"), "end"),
                    )
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                doc.lines,
                lambda line: rx.table.row(
                    rx.table.cell(line.description),
                    rx.table.cell(line.quantity, text_align="end"),
                    rx.table.cell(line.unit_price, text_align="end"),
                    rx.table.cell(line.tax),
                    rx.table.cell(line.net, text_align="end"),
                ),
            )
        ),
        width="100%",
        variant="surface",
    )


def _actions(state, words: KindWords, doc) -> rx.Component:
    busy = state.doc_busy
    buttons = [
        rx.cond(
            doc.can_edit,
            link_button(
                rx.icon("pencil", size=16, aria_hidden="true"),
                _("Edit"),
                href=f"/staff/{words.name}s/" + doc.id.to_string() + "/edit",
                variant="soft",
            ),
        ),
        rx.cond(
            doc.can_send,
            rx.button(
                _("Mark sent"),
                on_click=state.mark_sent,
                variant="soft",
                disabled=busy,
                id="mark-sent",
            ),
        ),
    ]
    if words.name == "invoice":
        buttons.append(
            rx.cond(
                doc.can_cancel,
                rx.button(
                    _("Cancel invoice"),
                    on_click=state.cancel_doc,
                    variant="soft",
                    color_scheme="red",
                    disabled=busy,
                    id="cancel-invoice",
                ),
            )
        )
    email_box = rx.cond(
        doc.can_email,
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label=_("Contact to e-mail")),
                rx.select.content(
                    rx.foreach(
                        doc.contacts,
                        lambda option: rx.select.item(option.label, value=option.value),
                    )
                ),
                value=state.email_contact,
                on_change=state.set_email_contact,
            ),
            rx.button(
                rx.cond(busy, rx.spinner(size="2"), rx.icon("mail", size=16)),
                _(words.email_label),
                on_click=state.email_doc,
                disabled=busy,
                id="email-document",
            ),
            align="center",
            wrap="wrap",
        ),
    )
    paid_box = (
        rx.cond(
            doc.can_mark_paid,
            rx.hstack(
                rx.input(
                    value=state.paid_reference,
                    on_change=state.set_paid_reference,
                    placeholder=_("Reference (e.g. bank transfer)"),
                    aria_label=_("Payment reference"),
                    max_length=100,
                ),
                rx.button(
                    rx.icon("check", size=16),
                    _("Mark paid"),
                    on_click=state.mark_paid,
                    disabled=busy,
                    id="mark-paid",
                ),
                align="center",
                wrap="wrap",
            ),
        )
        if words.name == "invoice"
        else rx.fragment()
    )
    return rx.vstack(
        rx.hstack(*buttons, spacing="3", wrap="wrap"),
        email_box,
        paid_box,
        spacing="3",
        width="100%",
    )


def pdf_links(state, words: KindWords) -> rx.Component:
    """Download the document's PDF as the client gets it, or open it in a new tab."""
    return rx.hstack(
        download_button(_("Download PDF"), state.pdf_url, "download-pdf"),
        rx.button(
            rx.link(
                rx.icon("file-search", size=16, aria_hidden="true"),
                _("Preview PDF"),
                href=state.pdf_preview_url,
                is_external=True,
                id="preview-pdf",
                aria_label=_(words.pdf_preview_label),
            ),
            as_child=True,
            variant="soft",
        ),
        rx.text(_("As the client gets it."), size="2", color_scheme="gray"),
        align="center",
        spacing="3",
        wrap="wrap",
    )


def _answer_row(label: str, value) -> rx.Component:
    return rx.cond(value != "", summary_row(label, value))


def quote_answer_panel(state) -> rx.Component:
    """The client's answer to a quote (`state.answer`, a StaffQuoteAnswer): who approved or
    declined it, when, from where, under which terms, the signature and the invoice it
    became. What was not recorded is said, not guessed."""
    answer = state.answer.to(StaffQuoteAnswer)
    approved = rx.vstack(
        rx.text(fill(_("Approved on %(date)s"), date=answer.answered_at), weight="medium"),
        _answer_row(_("Approved by"), answer.contact),
        _answer_row(_("From address"), answer.address),
        _answer_row(_("Through"), answer.via),
        _answer_row(_("Browser"), answer.browser),
        _answer_row(_("Terms"), answer.terms),
        _answer_row(_("PO number"), answer.po_number),
        rx.cond(
            state.signature_url != "",
            rx.vstack(
                rx.text(_("Signature"), color_scheme="gray", size="2"),
                rx.image(
                    src=state.signature_url,
                    alt=fill(_("Signature of %(name)s"), name=answer.contact),
                    max_width="20em",
                    max_height="8em",
                    background_color="white",
                    border="1px solid var(--gray-6)",
                    border_radius="var(--radius-2)",
                    id="quote-signature",
                ),
                spacing="1",
            ),
        ),
        rx.cond(
            answer.invoice_id > 0,
            rx.hstack(
                rx.text(_("Became invoice"), color_scheme="gray", size="2"),
                rx.spacer(),
                rx.link(
                    answer.invoice_number,
                    href="/staff/invoices/" + answer.invoice_id.to_string(),
                    id="quote-invoice",
                    size="2",
                ),
                width="100%",
            ),
        ),
        rx.cond(
            ~answer.recorded,
            rx.text(
                _(
                    "No approval record was kept for this quote: who approved it and from where "
                    "is not known."
                ),
                size="2",
                color_scheme="gray",
            ),
        ),
        width="100%",
        spacing="2",
    )
    declined = rx.vstack(
        rx.text(fill(_("Declined on %(date)s"), date=answer.answered_at), weight="medium"),
        _answer_row(_("Declined by"), answer.contact),
        _answer_row(_("From address"), answer.address),
        summary_row(
            _("Reason"),
            rx.cond(answer.decline_reason != "", answer.decline_reason, _("None given")),
        ),
        rx.cond(
            ~answer.recorded,
            rx.text(
                _("No record names who declined it or from where."), size="2", color_scheme="gray"
            ),
        ),
        width="100%",
        spacing="2",
    )
    return rx.cond(
        state.answer,
        rx.card(
            rx.vstack(
                rx.heading(_("The client's answer"), size="4", as_="h2"),
                rx.match(
                    answer.answer,
                    ("approved", approved),
                    ("declined", declined),
                    rx.text(_("Not answered yet."), size="2", color_scheme="gray"),
                ),
                width="100%",
                spacing="3",
            ),
            width="100%",
            max_width="40em",
            id="quote-answer",
        ),
    )


def doc_detail(state, words: KindWords, extra: rx.Component | None = None) -> rx.Component:
    """The document, its actions and their outcome; `extra` goes below (e.g. uploads)."""
    doc = state.doc.to(StaffDocDetail)
    body = rx.vstack(
        rx.hstack(
            rx.heading(fill(_(words.heading), number=doc.number), size="7", as_="h1"),
            staff_status_badge(doc.status_label, doc.status),
            align="center",
            spacing="3",
        ),
        rx.link(doc.client_name, href="/staff/clients/" + doc.client_id.to_string()),
        rx.cond(
            state.doc_notice != "",
            callout(
                state.doc_notice, icon="check", color_scheme="green", role="status", id="doc-notice"
            ),
        ),
        rx.cond(
            state.doc_error != "",
            callout(
                state.doc_error,
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
                id="doc-error",
            ),
        ),
        _actions(state, words, doc),
        pdf_links(state, words),
        rx.grid(
            rx.vstack(
                summary_row(_("Issued"), doc.issue_date),
                *([summary_row(_(words.due_label), doc.due_date)] if words.due_label else []),
                rx.cond(doc.partial != "", summary_row(_("Deposit"), doc.partial)),
                rx.cond(doc.partial != "", summary_row(_("Deposit due"), doc.partial_due_date)),
                rx.cond(doc.po_number != "", summary_row(_("PO number"), doc.po_number)),
                width="100%",
            ),
            rx.vstack(
                summary_row(_("Subtotal"), doc.subtotal),
                summary_row(_("Tax"), doc.tax),
                summary_row(_("Total"), doc.total),
                # A quote is an offer: nothing is paid on it (its invoice is).
                *(
                    [summary_row(_("Paid"), doc.paid), summary_row(_("Balance"), doc.balance)]
                    if words.name != "quote"
                    else []
                ),
                width="100%",
                id="doc-totals",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="6",
            width="100%",
        ),
        rx.box(detail_lines(doc), width="100%", overflow_x="auto"),
        rx.cond(
            doc.terms != "",
            rx.text(fill(_("Terms: %(terms)s"), terms=doc.terms), size="2", white_space="pre-wrap"),
        ),
        rx.cond(
            doc.public_notes != "",
            rx.text(
                fill(_("Notes: %(notes)s"), notes=doc.public_notes),
                size="2",
                white_space="pre-wrap",
            ),
        ),
        extra if extra is not None else rx.fragment(),
        spacing="4",
        width="100%",
    )
    return rx.vstack(
        rx.link(_(words.back_label), href=words.list_route),
        rx.cond(
            state.doc_not_found,
            empty_state(_(words.not_found_title), _(words.not_found_text)),
            rx.cond(state.doc, body, loading_block()),
        ),
        width="100%",
        spacing="4",
    )
