"""StaffCancellationsState: the open cancellation requests box on a staff client page.

The page mounts it with `show(client_id)`; the client id is kept in a backend-only var and
every approve/decline goes through services.staff_cancellations, which checks the staff
session, the company and that the request is still open, whatever the browser sends.
Approving may refund through the gateway, so it runs in a background event off the loop.
"""

from __future__ import annotations

import asyncio
from datetime import date

import reflex as rx

from portal_app.core.db import session_scope
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.gateways.base import GatewayError
from portal_app.gateways.factory import get_gateway
from portal_app.services.subscriptions import staff_cancellations
from portal_app.services.subscriptions.staff_cancellations import CancellationRequestView
from portal_app.state.staff import StaffState

GONE = N_("This request is no longer open.")


class StaffCancellationsState(StaffState):
    """Open requests of one client, with approve and decline."""

    requests: list[CancellationRequestView] = []
    cancel_notice: str = ""
    cancel_error: str = ""
    deciding: bool = False
    _client_id: int = 0

    def _reload(self, actor) -> None:
        with session_scope() as db:
            self.requests = staff_cancellations.open_requests(
                db, actor=actor, client_id=self._client_id
            )

    @rx.event
    def show(self, client_id: int):
        """Point the box at a client of the staff user's company and list its open requests."""
        self.cancel_notice = self.cancel_error = ""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        try:
            self._client_id = int(client_id)
            self._reload(actor)
        except (TypeError, ValueError, NotFoundError):
            self._client_id = 0
            self.requests = []
        return None

    @rx.event(background=True)
    async def approve(self, kind: str, record_id: int):
        """Approve one request (a subscription may be refunded through the gateway)."""
        async with self:
            actor = self._staff_actor()
            if actor is None:
                return self._staff_login_redirect()
            if self.deciding or not self._client_id:
                return None
            self.deciding = True
            self.cancel_notice = self.cancel_error = ""
        try:
            outcome = await asyncio.to_thread(_approve, actor, kind, record_id)
            message, failed = outcome.message, False
        except (ValidationError, ReadOnlyError) as exc:
            message, failed = getattr(exc, "message", "") or str(exc), True
        except NotFoundError:
            message, failed = gettext(GONE), True
        except GatewayError:
            message = gettext("The refund could not be made; nothing changed. Try again.")
            failed = True
        async with self:
            self.deciding = False
            if failed:
                self.cancel_error = message
            else:
                self.cancel_notice = message
            self._reload(actor)
        return None

    @rx.event
    def decline(self, kind: str, record_id: int):
        """Decline one request: it is cleared and the client's subscription or schedule runs on."""
        actor = self._staff_actor()
        if actor is None:
            return self._staff_login_redirect()
        if self.deciding or not self._client_id:
            return None
        self.cancel_notice = self.cancel_error = ""
        try:
            with session_scope() as db:
                outcome = staff_cancellations.decline_request(
                    db, actor=actor, kind=kind, record_id=record_id, today=date.today()
                )
            self.cancel_notice = outcome.message
        except (ValidationError, ReadOnlyError) as exc:
            self.cancel_error = getattr(exc, "message", "") or str(exc)
        except NotFoundError:
            self.cancel_error = gettext(GONE)
        self._reload(actor)
        return None


def _approve(actor, kind, record_id) -> staff_cancellations.DecisionOutcome:
    return staff_cancellations.approve_request(
        session_scope,
        actor=actor,
        gateway=get_gateway(),
        kind=kind,
        record_id=record_id,
        today=date.today(),
    )
