"""StaffState: the base of every signed-in staff console page.

Like PortalState on the client side, each handler that touches data resolves the HttpOnly
staff cookie (its own name, settings.staff_session_cookie_name) against the session table;
a client cookie never resolves here. Subclasses call `self._begin()` first in `on_load` and
`self._staff_actor()` in every other handler, and pass the actor to services.
"""

from __future__ import annotations

from typing import ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app.core import i18n
from portal_app.core.db import session_or_scope, session_scope
from portal_app.services.company.locale import company_today
from portal_app.services.console.work_queue import queue_counts
from portal_app.services.identity import language, staff_auth
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_roles import ROLE_LABELS, StaffAction, allowed_actions
from portal_app.state import browser_js
from portal_app.state.session import CLIENT_SIDE, STAFF_SIDE, SessionSide, SessionStateMixin
from portal_app.state.staff_nav import nav_counts, visible_staff_nav_items
from portal_app.state.ui_language import UiLanguageState


class StaffState(SessionStateMixin, UiLanguageState):
    """Shell data for signed-in staff pages and the session check every handler uses; the
    console's language (UiLanguageState, the parent) is the staff user's own, never a client's."""

    SIDE: ClassVar[SessionSide] = STAFF_SIDE

    staff_signed_in: bool = False
    staff_name: str = ""
    staff_email: str = ""
    staff_role: str = ""
    # The role's name in the console's language (staff_roles.ROLE_LABELS).
    staff_role_label: str = ""
    staff_company_name: str = ""
    staff_logo_url: str = ""
    # Sidebar routes left after the company's switched-off modules are taken out.
    staff_nav_routes: list[str] = []
    # The work queue's badge per sidebar route (only routes with something waiting).
    staff_nav_counts: dict[str, int] = {}
    # What the signed-in role may do (staff_roles.allowed_actions): pages hide the buttons
    # of the others (the services refuse them anyway).
    staff_allowed: list[str] = []
    # Owners and admins change settings; the "staff" role reads them.
    staff_can_admin: bool = False
    staff_api_base: str = ""

    def _staff_actor(self, db: Session | None = None) -> StaffActor | None:
        """The signed-in staff user for this event, or None (checked against the database),
        in the caller's database session `db` when given."""
        # Server-side text of this event (gettext in services and handlers) in the console's
        # language: every staff handler passes through here.
        i18n.set_language(self.lang)
        with session_or_scope(db) as session:
            return staff_auth.resolve_staff_actor(
                session, token=self._session_token(), ip=self._client_ip()
            )

    def _staff_login_redirect(self):
        """To the staff sign-in page (the name the staff pages call)."""
        return self._login_redirect()

    def _load_staff_shell(self, actor: StaffActor, db: Session | None = None) -> None:
        with session_or_scope(db) as session:
            identity = staff_auth.staff_identity(session, actor=actor)
            allowed = allowed_actions(identity.role)
            visible = visible_staff_nav_items(identity.enabled_modules, allowed)
            counts = queue_counts(
                session, actor=actor, today=company_today(session, actor.company_id)
            )
        self.staff_signed_in = True
        self.staff_name = identity.name
        self.staff_email = identity.email
        self.staff_role = identity.role
        self.staff_company_name = identity.company_name
        self.staff_logo_url = identity.company_logo_url
        self.staff_nav_routes = [item.route for item in visible]
        self.staff_nav_counts = nav_counts(visible, counts)
        self.staff_allowed = allowed
        self.staff_can_admin = actor.may(StaffAction.EDIT_SETTINGS)
        self.staff_api_base = self._backend_base()
        self._apply_identity_language(identity)
        self.staff_role_label = i18n.gettext(ROLE_LABELS.get(identity.role, identity.role))

    def _apply_identity_language(self, identity: staff_auth.StaffIdentity) -> None:
        self._apply_language(
            i18n.choose_language(
                contact_choice=identity.language,
                accept_language=self.router.headers.accept_language,
                company_locale=identity.company_locale,
            )
        )

    def _apply_staff_language(self, actor: StaffActor, db: Session | None = None) -> None:
        """The console's language for a page that does not load the shell (sign-out)."""
        with session_or_scope(db) as session:
            self._apply_identity_language(staff_auth.staff_identity(session, actor=actor))

    def _clear_staff_shell(self) -> None:
        self.staff_signed_in = False
        self.staff_name = self.staff_email = self.staff_role = self.staff_company_name = ""
        self.staff_can_admin = False
        self.staff_allowed = []
        self.staff_nav_routes = []
        self.staff_nav_counts = {}

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

    def _client_handoff_script(self, handoff_code: str, next_path: str) -> rx.event.EventSpec:
        """Through the client handoff route: a staff preview opens a client-side session."""
        return self._handoff_via(CLIENT_SIDE.handoff_route, handoff_code, next_path)

    @rx.event
    def choose_language(self, lang: str):
        """The staff shell's switcher: remember the staff user's console language and reload
        the page in it (texts its load built on the server follow)."""
        if lang not in i18n.SHIPPED_LANGUAGES:
            return None
        with session_scope() as db:
            actor = self._staff_actor(db)
            if actor is None:
                return self._staff_login_redirect()
            language.set_staff_language(db, actor=actor, language=lang)
        self._apply_language(lang)
        return rx.call_script(browser_js.call(browser_js.NAVIGATION, "reload"))

    @rx.event
    def staff_sign_out(self):
        """Leave by a POST (from this click) to the HTTP route that revokes the session and
        clears the staff cookie. Opening a URL never signs out (see pages/staff/logout.py)."""
        self._clear_staff_shell()
        return self._logout_script()
