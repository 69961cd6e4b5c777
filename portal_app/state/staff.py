"""StaffState: the base of every signed-in staff console page.

Like PortalState on the client side, each handler that touches data resolves the HttpOnly
staff cookie (its own name, settings.staff_session_cookie_name) against the session table;
a client cookie never resolves here. Subclasses call `self._begin()` first in `on_load` and
`self._staff_actor()` in every other handler, and pass the actor to services.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session

from portal_app.core import routes
from portal_app.core.db import session_or_scope
from portal_app.core.settings import get_settings
from portal_app.layout.staff_nav import visible_staff_nav_items
from portal_app.services.identity import staff_auth
from portal_app.services.identity.actor import StaffActor
from portal_app.state.event_address import event_client_address
from portal_app.state.portal import _js_string, _same_origin, post_script


class StaffState(rx.State):
    """Shell data for signed-in staff pages and the session check every handler uses."""

    staff_signed_in: bool = False
    staff_name: str = ""
    staff_email: str = ""
    staff_role: str = ""
    staff_company_name: str = ""
    staff_logo_url: str = ""
    # Sidebar routes left after the company's switched-off modules are taken out.
    staff_nav_routes: list[str] = []
    # Owners and admins change settings; the "staff" role reads them.
    staff_can_admin: bool = False
    staff_api_base: str = ""

    def _cookie(self, name: str) -> str | None:
        raw = self.router.headers.cookie or ""
        try:
            jar = SimpleCookie()
            jar.load(raw)
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None

    def _staff_token(self) -> str | None:
        return self._cookie(get_settings().staff_session_cookie_name)

    def _client_ip(self) -> str:
        """The client's address, through trusted proxies (state/event_address.py)."""
        return event_client_address(self.router)

    def _staff_actor(self, db: Session | None = None) -> StaffActor | None:
        """The signed-in staff user for this event, or None (checked against the database),
        in the caller's database session `db` when given."""
        with session_or_scope(db) as session:
            return staff_auth.resolve_staff_actor(
                session, token=self._staff_token(), ip=self._client_ip()
            )

    def _backend_base(self) -> str:
        """Where our HTTP routes live as seen from the browser ('' when one origin serves all)."""
        page_origin = self.router.url.origin or ""
        api_url = rx.config.get_config().api_url.rstrip("/")
        if not page_origin or _same_origin(page_origin, api_url):
            return ""
        return api_url

    def _path_arg(self) -> str:
        """The last segment of the page's path: the [id] of a dynamic route."""
        path = (self.router.url.path or "").rstrip("/")
        return path.rsplit("/", 1)[-1] if "/" in path else ""

    def _staff_login_redirect(self):
        path = self.router.url.path if self.router.url else ""
        query = self.router.url.query if self.router.url else ""
        target = path + (f"?{query}" if query else "")
        return rx.redirect(routes.staff_login_url(target), replace=True)

    def _login_redirect(self):
        # The name PagedListMixin calls, so staff list pages reuse it unchanged.
        return self._staff_login_redirect()

    def _load_staff_shell(self, actor: StaffActor, db: Session | None = None) -> None:
        with session_or_scope(db) as session:
            identity = staff_auth.staff_identity(session, actor=actor)
        self.staff_signed_in = True
        self.staff_name = identity.name
        self.staff_email = identity.email
        self.staff_role = identity.role
        self.staff_company_name = identity.company_name
        self.staff_logo_url = identity.company_logo_url
        self.staff_nav_routes = [
            item.route for item in visible_staff_nav_items(identity.enabled_modules)
        ]
        self.staff_can_admin = actor.may_change_settings
        self.staff_api_base = self._backend_base()

    def _clear_staff_shell(self) -> None:
        self.staff_signed_in = False
        self.staff_name = self.staff_email = self.staff_role = self.staff_company_name = ""
        self.staff_can_admin = False
        self.staff_nav_routes = []

    def _begin(self, db: Session | None = None) -> StaffActor | None:
        """Start a page load: the staff actor with the shell filled in; None when signed out.

        The caller returns `self._staff_login_redirect()` when this is None. Pass the event's
        database session as `db` to do it without a session of its own.
        """
        actor = self._staff_actor(db)
        if actor is None:
            self._clear_staff_shell()
            return None
        self._load_staff_shell(actor, db)
        return actor

    def _staff_handoff_script(self, handoff_code: str, next_path: str) -> rx.event.EventSpec:
        """Send the browser through the route that turns a staff handoff code into a cookie."""
        return self._handoff_via(routes.API_STAFF_AUTH_HANDOFF, handoff_code, next_path)

    def _client_handoff_script(self, handoff_code: str, next_path: str) -> rx.event.EventSpec:
        """The same through the client route (a staff preview opens a client-side session)."""
        return self._handoff_via(routes.API_AUTH_HANDOFF, handoff_code, next_path)

    def _handoff_via(self, route: str, handoff_code: str, next_path: str) -> rx.event.EventSpec:
        base = self._backend_base()
        page_origin = self.router.url.origin or ""
        target = next_path if not base else page_origin.rstrip("/") + next_path
        url = f"{base}{route}?{urlencode({'code': handoff_code, 'next': target})}"
        return rx.call_script(f"window.location.replace({_js_string(url)})")

    @rx.event
    def staff_sign_out(self):
        """Leave by a POST (from this click) to the HTTP route that revokes the session and
        clears the staff cookie. Opening a URL never signs out (see pages/staff/logout.py)."""
        self._clear_staff_shell()
        return rx.call_script(post_script(self._backend_base() + routes.API_STAFF_AUTH_LOGOUT))
