"""Links to our own HTTP routes (PDFs, ZIPs, exports), built in the browser.

The backend's address is the shell's `PortalState.api_base` (the browser reaches the HTTP
routes there; two-port development has them on another origin). A page joins it to a path in
the component, as a front-end expression: a computed var of a page state reading `api_base`
would make Reflex load and write that page's state with every event of every signed-in page
(reflex_ext/state_deps.py, issue 25).
"""

from __future__ import annotations

import reflex as rx

from portal_app.state.portal import PortalState


def api_url(path: str | rx.Var) -> rx.Var:
    """The absolute address of one of our routes, `path` (a string or a string Var), in the
    browser."""
    return PortalState.api_base + path


def api_url_or_empty(path: rx.Var) -> rx.Var:
    """As `api_url`, but "" while `path` is "" (no document loaded, nothing selected)."""
    return rx.cond(path != "", PortalState.api_base + path, "")
