"""EmailedLinkMixin: the State of a page that opens an emailed invoice or quote link.

The page sets `ENTITY` ("invoice" or "quote"): services.invitations refuses a key of another
kind, and a valid key hands the browser a link session and sends it on to that record.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import reflex as rx

from portal_app import routes
from portal_app.db import session_scope
from portal_app.services import invitations
from portal_app.services.errors import NotFoundError

_RECORD_URLS = {"invoice": routes.invoice_url, "quote": routes.quote_url}


class EmailedLinkMixin(rx.State, mixin=True):
    """Open the link in the URL once the page loads; `invalid` when the key is refused."""

    ENTITY: ClassVar[str]
    invalid: bool = False

    @rx.event(background=True)
    async def open_link(self):
        async with self:
            self.invalid = False
            entity = self.ENTITY
            key = self._path_arg()
            ip = self._client_ip()
            user_agent = self.router.headers.user_agent or ""
        try:
            opened = await asyncio.to_thread(_open, entity, key, ip, user_agent)
        except NotFoundError:
            async with self:
                self.invalid = True
            return
        async with self:
            return self._handoff_script(
                opened.new_session.handoff_code, _RECORD_URLS[entity](opened.entity_id)
            )


def _open(entity: str, key: str, ip: str, user_agent: str) -> invitations.OpenedLink:
    with session_scope() as db:
        return invitations.open_invitation(
            db, key=key, ip=ip, user_agent=user_agent, entity_type=entity
        )
