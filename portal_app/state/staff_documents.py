"""Mixins for the staff invoice, quote and credit pages: list, form and detail.

Each mixin gives every page State that lists it its own copy of the vars, the helpers and the
@rx.event handlers (Reflex copies a mixin's handlers onto each State, so each is bound to its
page). A page State only sets `KIND` (INVOICE, QUOTE or CREDIT) and adds what is its own.
Everything the browser sends (ids, field names, values) is checked here or again by the
services.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.schemas.staff_documents import OptionView, StaffDocDetail, StaffDocRow
from portal_app.services.billing import staff_lists, staff_mail, staff_records
from portal_app.services.billing.document_forms import MAX_LINES, DocumentForm, FormErrors, LineForm
from portal_app.services.billing.staff_records import Kind
from portal_app.services.payments import staff_payments

MAX_VALUE = 4000
FORM_FIELDS = (
    "client_id",
    "currency",
    "issue_date",
    "due_date",
    "partial",
    "partial_due_date",
    "po_number",
    "terms",
    "public_notes",
    "footer",
)
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_name", "tax_rate")


def blank_line() -> dict[str, str]:
    """An empty line as a page holds it: quantity 1, no errors."""
    line = {name: "" for name in LINE_FIELDS}
    line["quantity"] = "1"
    line.update({f"err_{name}": "" for name in LINE_FIELDS})
    return line


def _blank_errors() -> dict[str, str]:
    return {name: "" for name in (*FORM_FIELDS, "lines", "form")}


def path_segments(state) -> list[str]:
    """The non-empty parts of the page's URL path."""
    path = (state.router.url.path or "").strip("/")
    return [p for p in path.split("/") if p]


def lines_from_forms(lines: list[LineForm]) -> list[dict[str, str]]:
    """A form's lines as a page holds them (text, no errors); one blank line when none."""
    return [
        {**blank_line(), **{name: str(getattr(line, name) or "") for name in LINE_FIELDS}}
        for line in lines
    ] or [blank_line()]


def line_forms(lines: list[dict[str, str]]) -> list[LineForm]:
    """The page's lines as the services take them."""
    return [LineForm(**{name: line.get(name, "") for name in LINE_FIELDS}) for line in lines]


def with_line_value(
    lines: list[dict[str, str]], index: int, name: str, value: str
) -> list[dict[str, str]] | None:
    """A copy of `lines` with one value set (cut to MAX_VALUE); None when the browser named no
    such line or field."""
    if name not in LINE_FIELDS or not isinstance(index, int):
        return None
    if not 0 <= index < len(lines):
        return None
    changed = [dict(line) for line in lines]
    changed[index][name] = str(value)[:MAX_VALUE]
    return changed


def with_line_added(lines: list[dict[str, str]]) -> list[dict[str, str]] | None:
    """`lines` and a blank one; None when MAX_LINES are there already."""
    if len(lines) < MAX_LINES:
        return [*lines, blank_line()]
    return None


def without_line(lines: list[dict[str, str]], index: int) -> list[dict[str, str]] | None:
    """`lines` less the one at `index`; None when there is no such line or it is the last
    (a document or schedule needs at least one)."""
    if isinstance(index, int) and len(lines) > 1 and 0 <= index < len(lines):
        return [line for i, line in enumerate(lines) if i != index]
    return None


def save_form(state, errors: dict[str, str], write: Callable[[Session], str]):
    """Run `write` (which saves the typed form and returns the saved record's URL) in one
    transaction and go there; on FormErrors show each message by its field ("lines.<i>.<field>"
    on that line, a known field on it, anything else on the whole form), on a refusal above
    the form, and "not found" for a record that went away. `errors` is the form's blank
    errors; the caller has set `form_saving`, which is cleared here."""
    lines = [{**line, **{f"err_{n}": "" for n in LINE_FIELDS}} for line in state.form_lines]
    try:
        with session_scope() as db:
            target = write(db)
    except FormErrors as exc:
        for key, message in exc.errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
                index = int(parts[1])
                if index < len(lines):
                    lines[index][f"err_{parts[2]}"] = message
            else:
                errors[key if key in errors else "form"] = message
        state.form_errors = errors
        state.form_lines = lines
        state.form_saving = False
        return None
    except (ValidationError, ReadOnlyError) as exc:
        errors["form"] = getattr(exc, "message", str(exc))
        state.form_errors = errors
        state.form_saving = False
        return None
    except NotFoundError:
        state.form_not_found = True
        state.form_saving = False
        return None
    state.form_saving = False
    return rx.redirect(target)


class StaffDocListMixin(rx.State, mixin=True):
    """A staff list of invoices, quotes or credits, paged on the server."""

    KIND: ClassVar[Kind]
    rows: list[StaffDocRow] = []
    status_filter: str = "all"
    search: str = ""
    page: int = 1
    has_next: bool = False
    loading: bool = True

    def _load_list(self, kind: Kind):
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        if self.status_filter not in staff_lists.STATUS_FILTERS[kind.name]:
            self.status_filter = "all"
        with session_scope() as db:
            result = staff_lists.list_records(
                db,
                actor=actor,
                kind=kind,
                status=self.status_filter,
                search=self.search,
                page=self.page,
            )
        self.rows = result.rows
        self.page = result.page
        self.has_next = result.has_next
        self.loading = False
        return None

    def _set_filter(self, value: str) -> None:
        self.status_filter = str(value)[:20]
        self.page = 1

    def _set_search(self, value: str) -> None:
        self.search = str(value)[: staff_lists.MAX_SEARCH]
        self.page = 1

    def _turn(self, step: int) -> None:
        if step > 0 and self.has_next:
            self.page += 1
        elif step < 0:
            self.page = max(1, self.page - 1)

    @rx.event
    def load(self):
        self.loading = True
        self.page = 1
        return self._load_list(self.KIND)

    @rx.event
    def set_filter(self, value: str):
        self._set_filter(value)
        return self._load_list(self.KIND)

    @rx.event
    def set_search(self, value: str):
        self._set_search(value)
        return self._load_list(self.KIND)

    @rx.event
    def next_page(self):
        self._turn(1)
        return self._load_list(self.KIND)

    @rx.event
    def previous_page(self):
        self._turn(-1)
        return self._load_list(self.KIND)


class StaffDocFormMixin(rx.State, mixin=True):
    """The new/edit form of a document with dynamic lines; errors by field."""

    KIND: ClassVar[Kind]
    form_client_id: str = ""
    form_currency: str = ""
    form_issue_date: str = ""
    form_due_date: str = ""
    form_partial: str = ""
    form_partial_due_date: str = ""
    form_po_number: str = ""
    form_terms: str = ""
    form_public_notes: str = ""
    form_footer: str = ""
    form_lines: list[dict[str, str]] = []
    form_errors: dict[str, str] = {}
    client_choices: list[OptionView] = []
    form_is_edit: bool = False
    form_not_found: bool = False
    form_saving: bool = False
    form_loading: bool = True
    _record_id: int = 0

    def _load_form(self, kind: Kind):
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        self.form_errors = _blank_errors()
        self.form_saving = False
        self.form_not_found = False
        segments = path_segments(self)
        self.form_is_edit = len(segments) >= 4 and segments[-1] == "edit"
        with session_scope() as db:
            self.client_choices = staff_lists.client_options(db, actor=actor)
            if self.form_is_edit:
                try:
                    form = staff_records.edit_form(
                        db, actor=actor, kind=kind, record_id=segments[-2]
                    )
                    row = staff_records.get_record(
                        db, actor=actor, kind=kind, record_id=segments[-2]
                    )
                except NotFoundError:
                    self.form_not_found = True
                    self.form_loading = False
                    return None
                if row.status != "draft":
                    return rx.redirect(routes.staff_record_url(kind.name, row.id))
                self._record_id = row.id
            else:
                self._record_id = 0
                form = DocumentForm(lines=[LineForm()])
                wanted = self.router.url.query_parameters.get("client", "")
                if any(option.value == wanted for option in self.client_choices):
                    form.client_id = wanted
                form.issue_date = date.today().isoformat()
        for name in FORM_FIELDS:
            setattr(self, f"form_{name}", str(getattr(form, name) or ""))
        self.form_lines = lines_from_forms(form.lines)
        self.form_loading = False
        return None

    def _set_field(self, name: str, value: str) -> None:
        if name == "currency" and value == "default":
            value = ""  # the select's word for "the client's currency"
        if name in FORM_FIELDS:
            setattr(self, f"form_{name}", str(value)[:MAX_VALUE])

    def _set_line(self, index: int, name: str, value: str) -> None:
        lines = with_line_value(self.form_lines, index, name, value)
        if lines is not None:
            self.form_lines = lines

    def _add_line(self) -> None:
        lines = with_line_added(self.form_lines)
        if lines is not None:
            self.form_lines = lines

    def _remove_line(self, index: int) -> None:
        lines = without_line(self.form_lines, index)
        if lines is not None:
            self.form_lines = lines

    def _typed_form(self) -> DocumentForm:
        return DocumentForm(
            **{name: getattr(self, f"form_{name}") for name in FORM_FIELDS},
            lines=line_forms(self.form_lines),
        )

    def _save(self, kind: Kind):
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        if self.form_saving:
            return None
        self.form_saving = True

        def write(db) -> str:
            if self.form_is_edit:
                row = staff_records.update_record(
                    db, actor=actor, kind=kind, record_id=self._record_id, form=self._typed_form()
                )
            else:
                row = staff_records.create_record(
                    db, actor=actor, kind=kind, form=self._typed_form()
                )
            return routes.staff_record_url(kind.name, row.id)

        return save_form(self, _blank_errors(), write)

    @rx.event
    def load(self):
        self.form_loading = True
        return self._load_form(self.KIND)

    @rx.event
    def set_field(self, name: str, value: str):
        self._set_field(name, value)

    @rx.event
    def set_line(self, index: int, name: str, value: str):
        self._set_line(index, name, value)

    @rx.event
    def add_line(self):
        self._add_line()

    @rx.event
    def remove_line(self, index: int):
        self._remove_line(index)

    @rx.event
    def save(self):
        return self._save(self.KIND)


class StaffDocDetailMixin(rx.State, mixin=True):
    """One document and its actions (mark sent, e-mail, mark paid, cancel)."""

    KIND: ClassVar[Kind]
    doc: StaffDocDetail | None = None
    doc_not_found: bool = False
    doc_loading: bool = True
    doc_notice: str = ""
    doc_error: str = ""
    email_contact: str = ""
    paid_reference: str = ""
    doc_busy: bool = False
    # The document's PDF as the client gets it: download, and shown in a new tab.
    pdf_url: str = ""
    pdf_preview_url: str = ""
    _doc_id: int = 0

    def _doc_loaded(self, actor) -> None:
        """Called after the document was (re)loaded; a page State adds its own reads here."""

    def _load_doc(self, kind: Kind, *, keep_messages: bool = False):
        actor = self._begin()
        if actor is None:
            return self._staff_login_redirect()
        if not keep_messages:
            self.doc_notice = self.doc_error = ""
        self.doc_not_found = False
        segments = path_segments(self)
        try:
            with session_scope() as db:
                view = staff_lists.record_detail(
                    db, actor=actor, kind=kind, record_id=segments[-1] if segments else ""
                )
        except NotFoundError:
            self.doc = None
            self.doc_not_found = True
            self.doc_loading = False
            return None
        self.doc = view
        self._doc_id = view.id
        base = self.staff_api_base
        self.pdf_url = base + routes.staff_pdf_url(kind.name, view.id)
        self.pdf_preview_url = base + routes.staff_pdf_url(kind.name, view.id, inline=True)
        self._doc_loaded(actor)
        if not any(c.value == self.email_contact for c in view.contacts):
            self.email_contact = view.contacts[0].value if view.contacts else ""
        self.doc_loading = False
        return None

    def _refresh_doc(self, kind: Kind, actor) -> None:
        with session_scope() as db:
            self.doc = staff_lists.record_detail(db, actor=actor, kind=kind, record_id=self._doc_id)
        self._doc_loaded(actor)

    def _act(self, kind: Kind, action: str):
        """Run one action on the loaded document; the outcome shows above it."""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        self.doc_notice = self.doc_error = ""
        try:
            with session_scope() as db:
                if action == "mark_sent":
                    staff_records.mark_sent(db, actor=actor, kind=kind, record_id=self._doc_id)
                    self.doc_notice = gettext(
                        "Marked as sent: the client sees it in the portal now."
                    )
                elif action == "mark_paid" and kind.name == "invoice":
                    payment = staff_payments.mark_paid(
                        db, actor=actor, invoice_id=self._doc_id, reference=self.paid_reference
                    )
                    self.doc_notice = gettext("Marked as paid: payment %(number)s recorded.") % {
                        "number": payment.number
                    }
                    self.paid_reference = ""
                elif action == "cancel" and kind.name == "invoice":
                    staff_payments.cancel_invoice(db, actor=actor, invoice_id=self._doc_id)
                    self.doc_notice = gettext("The invoice was cancelled.")
                else:
                    return None
        except (ValidationError, ReadOnlyError) as exc:
            self.doc_error = getattr(exc, "message", str(exc))
        except NotFoundError:
            self.doc_not_found = True
            self.doc = None
            return None
        self._refresh_doc(kind, actor)
        return None

    def _email_done(self, kind: Kind, actor, outcome: tuple[str, str, bool]) -> None:
        """Show what send_document_email returned and reload the document."""
        self.doc_notice, self.doc_error, missing = outcome
        self.doc_busy = False
        if missing:
            self.doc_not_found = True
            self.doc = None
            return
        self._refresh_doc(kind, actor)

    @rx.event
    def load(self):
        self.doc_loading = True
        return self._load_doc(self.KIND)

    @rx.event
    def set_email_contact(self, value: str):
        self.email_contact = str(value)[:20]

    @rx.event
    def mark_sent(self):
        return self._act(self.KIND, "mark_sent")

    @rx.event(background=True)
    async def email_doc(self):
        """Send the e-mail off the event loop; the button shows a spinner meanwhile."""
        async with self:
            kind = self.KIND
            if self.doc_busy:
                return
            actor = self._staff_actor()
            if actor is None:
                self.doc_error = gettext("Your staff session ended; sign in again.")
                return
            self.doc_busy = True
            self.doc_notice = self.doc_error = ""
            doc_id, contact = self._doc_id, self.email_contact
        outcome = await asyncio.to_thread(send_document_email, actor, kind, doc_id, contact)
        async with self:
            self._email_done(kind, actor, outcome)


def send_document_email(actor, kind: Kind, doc_id: int, contact_id: str) -> tuple[str, str, bool]:
    """E-mail a document in its own transaction (run off the event loop): (notice, error,
    not_found)."""
    try:
        with session_scope() as db:
            sent = staff_mail.email_document(
                db, actor=actor, kind=kind, record_id=doc_id, contact_id=contact_id
            )
    except (ValidationError, ReadOnlyError) as exc:
        return "", getattr(exc, "message", str(exc)), False
    except NotFoundError:
        return "", "", True
    return (
        gettext(
            "E-mail to %(email)s queued; it is marked as sent. Follow its delivery under E-mails."
        )
        % {"email": sent.email},
        "",
        False,
    )
