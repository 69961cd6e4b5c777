"""/client/quote/[key]: the emailed link that opens one quote without a password.

The session it opens is a link session: it may view, approve or decline the quote and pay
the invoice it becomes (see services.quotes for why approving is allowed from a link).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from portal_app import routes
from portal_app.db import session_scope
from portal_app.layout.shell import public_page
from portal_app.services import invitations
from portal_app.services.errors import NotFoundError
from portal_app.state.portal import PortalState


class QuoteLinkState(PortalState):
    invalid: bool = False

    @rx.event(background=True)
    async def open_link(self):
        async with self:
            self.invalid = False
            key = self._path_arg()
            ip = self._client_ip()
            user_agent = self.router.headers.user_agent or ""
        try:
            opened = await asyncio.to_thread(_open, key, ip, user_agent)
        except NotFoundError:
            async with self:
                self.invalid = True
            return
        async with self:
            return self._handoff_script(
                opened.new_session.handoff_code, routes.quote_url(opened.entity_id)
            )


def _open(key: str, ip: str, user_agent: str) -> invitations.OpenedLink:
    with session_scope() as db:
        return invitations.open_invitation(
            db, key=key, ip=ip, user_agent=user_agent, entity_type="quote"
        )


@public_page(routes.CLIENT_QUOTE_LINK, "Your quote", on_load=QuoteLinkState.open_link)
def quote_link_page() -> rx.Component:
    return rx.card(
        rx.cond(
            QuoteLinkState.invalid,
            rx.vstack(
                rx.icon("link-2-off", size=32, aria_hidden="true"),
                rx.heading("This link is not valid", size="5", as_="h1"),
                rx.text(
                    "It may have expired or been replaced by a newer one. Sign in to see your "
                    "quotes, or ask for a new link.",
                    color_scheme="gray",
                ),
                rx.link(rx.button("Sign in"), href=routes.CLIENT_LOGIN),
                spacing="3",
                align="center",
                role="alert",
            ),
            rx.hstack(rx.spinner(), rx.text("Opening your quote…"), role="status"),
        ),
        size="3",
    )
