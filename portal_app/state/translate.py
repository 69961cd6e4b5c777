"""`_()` for component code: the text in the contact's language, as a front-end var.

Page functions run once, when the front end is compiled, so a page cannot call gettext for the
visitor: `_("Invoices")` here is a lookup of "Invoices" in PortalState.ui_text, the catalog of
the language the session check chose (core.i18n.translated_strings), falling back to the
English msgid (English itself sends an empty dict). `pybabel extract` finds these calls like
any other `_()`; see docs/extending.md, "Languages". Text built on the server (sentences with
numbers or names, plural forms, statuses from services) uses core.i18n's gettext instead.
"""

from __future__ import annotations

import reflex as rx

from portal_app.state.portal import PortalState


def _(message: str) -> rx.Var:
    """`message` translated into the signed-in contact's language (a var for components)."""
    return PortalState.ui_text.get(message, message)


translate = _
