"""EmailedLinkMixin: the State of a page that opens an emailed invoice or quote link.

The page sets `ENTITY` ("invoice" or "quote"): services.invitations refuses a key of another
kind, and a valid key hands the browser a link session and sends it on to that record.

The key is the bearer credential, so opening the link in any browser is expected; what it
must never do is replace, unasked, the session a browser already has with another account's
(someone could send their own link to plant their account in a victim's browser). So:

- no session in this browser: open a link session for this browser (bound to its sign-in
  binding, like every handoff) and go to the document;
- a full session (password or code) of the link's own client: keep it and just go to the
  document, which that session sees anyway (no weaker link session replaces it);
- a link session of the same client: replace it with the new link's (same account);
- a session of another client, another company, or a staff preview: ask first. The page
  names the account signed in here; "Sign out and open" (a click) ends that session and opens
  the link, "Stay signed in" goes back to the portal and changes nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

import reflex as rx

from portal_app.core import routes
from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError
from portal_app.core.settings import get_settings
from portal_app.services.identity import auth, invitations, preview
from portal_app.services.identity.actor import Actor
from portal_app.state.signin_binding import (
    came_back_unbound,
    fetch_binding,
    handshake_cookie,
    signin_binding,
)

_RECORD_URLS = {"invoice": routes.invoice_url, "quote": routes.quote_url}

OPEN, GO, ASK = "open", "go", "ask"


def link_decision(current: Actor | None, target: invitations.LinkTarget) -> str:
    """What opening a link does in a browser signed in as `current` (see the module doc)."""
    if current is None:
        return OPEN
    same_client = (current.company_id, current.client_id) == (
        target.company_id,
        target.client_id,
    )
    if not same_client or current.is_preview:
        return ASK
    return OPEN if current.is_link_session else GO


@dataclass(frozen=True, slots=True)
class _LinkRequest:
    entity: str
    key: str
    token: str | None
    binding: str | None
    ip: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the page does next: go to `url`, hand off `handoff_code` then go to `url`, ask
    (naming `signed_in_as`), or first fetch a binding (`needs_binding`)."""

    url: str = ""
    handoff_code: str = ""
    ask: bool = False
    signed_in_as: str = ""
    needs_binding: bool = False


class EmailedLinkMixin(rx.State, mixin=True):
    """Open the link in the URL once the page loads; `invalid` when the key is refused."""

    ENTITY: ClassVar[str]
    invalid: bool = False
    # Signed in here as another account: the question instead of a silent switch.
    other_account: bool = False
    other_account_name: str = ""
    switching: bool = False
    cookies_needed: bool = False

    def _link_request(self) -> _LinkRequest:
        return _LinkRequest(
            entity=self.ENTITY,
            key=self._path_arg(),
            token=handshake_cookie(self, get_settings().session_cookie_name),
            binding=signin_binding(self),
            ip=self._client_ip(),
            user_agent=self.router.headers.user_agent or "",
        )

    @rx.event(background=True)
    async def open_link(self):
        async with self:
            self.invalid = self.other_account = self.switching = self.cookies_needed = False
            request = self._link_request()
        return await self._go(request, switch=False)

    @rx.event(background=True)
    async def switch_account(self):
        """The click on "Sign out and open": end this browser's other session, open the link."""
        async with self:
            if self.switching:
                return
            self.switching = True
            request = self._link_request()
        return await self._go(request, switch=True)

    async def _go(self, request: _LinkRequest, *, switch: bool):
        try:
            plan = await asyncio.to_thread(_plan, request, switch)
        except NotFoundError:
            async with self:
                self.invalid, self.other_account, self.switching = True, False, False
            return
        async with self:
            return self._follow(plan)

    def _follow(self, plan: _Plan):
        if plan.url and not plan.handoff_code:
            return rx.redirect(plan.url, replace=True)
        if plan.handoff_code:
            return self._handoff_script(plan.handoff_code, plan.url)
        self.switching = False
        if plan.ask:
            self.other_account = True
            self.other_account_name = plan.signed_in_as
        if plan.needs_binding or (plan.ask and signin_binding(self) is None):
            # The click (or the opening itself) will need a binding: get it now.
            if came_back_unbound(self):
                self.cookies_needed = True
                return None
            return fetch_binding(self, self._backend_base())
        return None


def _plan(request: _LinkRequest, switch: bool) -> _Plan:
    """Decide, and when the link is to be opened here, open it (one transaction)."""
    with session_scope() as db:
        target = invitations.link_target(db, key=request.key, entity_type=request.entity)
        url = _RECORD_URLS[request.entity](target.entity_id)
        current = auth.resolve_actor(db, token=request.token, ip=request.ip)
        decision = link_decision(current, target)
        if decision == GO:
            return _Plan(url=url)
        if decision == ASK and not switch:
            identity = auth.portal_identity(db, actor=current)
            who = f"{identity.contact_name} ({identity.client_name})"
            return _Plan(ask=True, signed_in_as=who)
        if request.binding is None:
            return _Plan(needs_binding=True, ask=decision == ASK)
        if decision == ASK:
            # Confirmed by the click: the other account's session ends here first.
            if current.is_preview:
                preview.end_preview(db, token=request.token)
            else:
                auth.sign_out(db, token=request.token)
        opened = invitations.open_invitation(
            db,
            key=request.key,
            ip=request.ip,
            user_agent=request.user_agent,
            entity_type=request.entity,
            binding=request.binding,
        )
        return _Plan(url=url, handoff_code=opened.new_session.handoff_code)
