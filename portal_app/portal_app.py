"""The Reflex app: theme, the HTTP routes, and the page modules (importing registers them)."""

import reflex as rx

from portal_app.api.routes import api

app = rx.App(
    api_transformer=api,
    head_components=[rx.el.link(rel="icon", href="/favicon.ico")],
)

from portal_app.pages import client as _client_pages  # noqa: E402,F401  (registers @rx.page routes)
