"""`_()` for component code: the text in the page's language, as a front-end var.

Page functions run once, when the front end is compiled, so a page cannot call gettext for the
visitor: `_("Invoices")` here is a lookup of "Invoices" in the browser's catalog of the language
the shell's session check chose (UiLanguageState.lang: a contact's in the portal, the staff
user's in the staff console), falling back to the English msgid. The catalog is a static file
per language holding only the msgids the pages use, fetched once and cached by the browser
(reflex_ext/ui_catalog.py); nothing of it travels with the tab's state. `pybabel extract`
finds these calls like any other `_()`; see docs/extending.md, "Languages". Text built on the
server (sentences with numbers or names, plural forms, statuses from services) uses core.i18n's
gettext instead.
"""

from __future__ import annotations

import reflex as rx

from portal_app.reflex_ext import ui_catalog
from portal_app.state.ui_language import UiLanguageState


def _(message: str) -> rx.Var:
    """`message` translated into the page's language (a var for components)."""
    return ui_catalog.text(message, message, UiLanguageState.lang)


translate = _


def pgettext(context: str, message: str) -> rx.Var:
    """`message` in the meaning `context` (core.i18n.pgettext's front-end twin), translated into
    the page's language: catalog entries with a context are keyed "context\\x04message",
    gettext's own spelling."""
    return ui_catalog.text(f"{context}\x04{message}", message, UiLanguageState.lang)


def fill(text: rx.Var, **values) -> rx.Var:
    """A translated `text` (from `_()` above) with each named placeholder `%(name)s` replaced
    by its value (a var or a str): the whole sentence is translated, never joined from parts."""
    filled = text
    for name, value in values.items():
        filled = filled.replace(f"%({name})s", value)
    return filled
