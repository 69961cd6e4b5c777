"""`_()` for component code: the text in the page's language, as a front-end var.

Page functions run once, when the front end is compiled, so a page cannot call gettext for the
visitor: `_("Invoices")` here is a lookup of "Invoices" in UiLanguageState.ui_text, the catalog
of the language the shell's session check chose (a contact's in the portal, the staff user's in
the staff console; core.i18n.translated_strings), falling back to the English msgid (English
itself sends an empty dict). `pybabel extract` finds these calls like
any other `_()`; see docs/extending.md, "Languages". Text built on the server (sentences with
numbers or names, plural forms, statuses from services) uses core.i18n's gettext instead.
"""

from __future__ import annotations

import reflex as rx

from portal_app.state.ui_language import UiLanguageState


def _(message: str) -> rx.Var:
    """`message` translated into the page's language (a var for components)."""
    return UiLanguageState.ui_text.get(message, message)


translate = _


def pgettext(context: str, message: str) -> rx.Var:
    """`message` in the meaning `context` (core.i18n.pgettext's front-end twin), translated into
    the page's language: catalog entries with a context reach `ui_text` keyed
    "context\\x04message", gettext's own spelling."""
    return UiLanguageState.ui_text.get(f"{context}\x04{message}", message)


def fill(text: rx.Var, **values) -> rx.Var:
    """A translated `text` (from `_()` above) with each named placeholder `%(name)s` replaced
    by its value (a var or a str): the whole sentence is translated, never joined from parts."""
    filled = text
    for name, value in values.items():
        filled = filled.replace(f"%({name})s", value)
    return filled
