"""PortalState: the base of every signed-in client page.

Identity never lives only in Reflex state: each handler that touches data resolves the
HttpOnly session cookie (sent with the websocket handshake) against the session table.
Everything the server needs to remember privately is in backend-only `_vars`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

import reflex as rx
from reflex_base.utils.format import format_event_handler
from sqlmodel import Session

from portal_app.branding import accent
from portal_app.core import i18n, routes
from portal_app.core.db import session_or_scope, session_scope
from portal_app.reflex_ext.tab_push import LedgerPush, Watcher
from portal_app.services.identity import auth, language
from portal_app.services.identity.actor import Actor
from portal_app.services.payments import ledger_stamp
from portal_app.state import browser_js
from portal_app.state.nav import visible_nav_items
from portal_app.state.session import CLIENT_SIDE, SessionSide, SessionStateMixin, post_script
from portal_app.state.ui_language import UiLanguageState

if TYPE_CHECKING:
    from reflex.istate.data import RouterData


class PortalState(SessionStateMixin, UiLanguageState):
    """Shell data for signed-in pages, and the session check every page handler uses."""

    SIDE: ClassVar[SessionSide] = CLIENT_SIDE

    signed_in: bool = False
    contact_name: str = ""
    client_name: str = ""
    company_name: str = ""
    company_logo_url: str = ""
    # The company colour (validated #rrggbb), text drawn on it and its hover shade.
    accent_color: str = accent(None).color
    accent_foreground: str = accent(None).foreground
    accent_hover: str = accent(None).hover
    # The brand mark (the current page in the navigation) on the light and the dark sidebar.
    accent_mark_light: str = accent(None).mark_light
    accent_mark_dark: str = accent(None).mark_dark
    nav_routes: list[str] = []
    is_link_session: bool = False
    is_preview: bool = False
    # Where the preview banner's "Back to staff console" link leads (the client's staff page).
    preview_back_href: str = ""
    api_base: str = ""
    # The portal language (core.i18n.choose_language) with lang, html_lang and text_dir live
    # in the parent, UiLanguageState; the front end's `_()` reads lang (state/translate.py).
    # The language this browser chose before signing in (the sign-in page's switcher or
    # ?lang=), in a cookie: the negotiation puts it before Accept-Language (choose_language).
    visitor_lang: str = rx.Cookie(
        "", name=i18n.LANGUAGE_COOKIE, path="/", max_age=365 * 24 * 3600, same_site="lax"
    )

    def _actor(self, db: Session | None = None, router: RouterData | None = None) -> Actor | None:
        """The signed-in contact for this event, or None (checked against the database), in
        the caller's database session `db` when given (one session for the whole event);
        `router`: this event's `self.router` when the caller already read it."""
        # Server-side text of this event (refusals, "Checking amounts…") in the tab's language:
        # every client handler passes through here, not only page loads (`_begin`).
        i18n.set_language(self.lang)
        # Read once: each `self.router` builds Reflex's RouterData anew (~10 µs).
        router = router or self.router
        token, ip = self._session_token(router), self._client_ip(router)
        with session_or_scope(db) as session:
            return auth.resolve_actor(session, token=token, ip=ip)

    def _load_shell(self, actor: Actor, db: Session | None = None) -> None:
        with session_or_scope(db) as session:
            identity = auth.portal_identity(session, actor=actor)
        self.signed_in = True
        self.contact_name = identity.contact_name
        self.client_name = identity.client_name
        self.company_name = identity.company_name
        self.company_logo_url = identity.company_logo_url
        shade = accent(identity.primary_color)
        self.accent_color, self.accent_foreground, self.accent_hover = (
            shade.color,
            shade.foreground,
            shade.hover,
        )
        self.accent_mark_light, self.accent_mark_dark = shade.mark_light, shade.mark_dark
        self.nav_routes = [item.route for item in visible_nav_items(identity.enabled_modules)]
        self.is_link_session = actor.is_link_session
        self.is_preview = actor.is_preview
        # Back through the route that ends the preview and clears the client cookie.
        self.preview_back_href = (
            self._backend_base() + routes.API_STAFF_PREVIEW_END if actor.is_preview else ""
        )
        self.api_base = self._backend_base()
        self._apply_language(
            i18n.choose_language(
                contact_choice=identity.contact_language,
                visitor_choice=self.visitor_lang,
                accept_language=self.router.headers.accept_language,
                company_locale=identity.company_locale,
            )
        )

    def _clear_shell(self) -> None:
        self._watch_client = ""
        self.signed_in = False
        self.contact_name = self.client_name = self.company_name = ""
        self.nav_routes = []
        self._shell_key = ""

    # What the shell was last loaded for (auth session + websocket connection) and when:
    # paging and in-app navigation reuse it instead of reloading names, branding and nav on
    # every event. A full page load (new connection) or SHELL_MAX_AGE seconds reload it, so a
    # module staff switch off leaves the nav soon; the services enforce modules regardless.
    _shell_key: str = ""
    _shell_loaded_at: float = 0.0

    def _begin(self, db: Session | None = None) -> Actor | None:
        """Start a page load: the actor, with the shell filled in; None when signed out.

        Pass the event's database session as `db` to do it without a session of its own."""
        router = self.router
        actor = self._actor(db, router)
        if actor is None:
            self._clear_shell()
            return None
        watch_client = f"{actor.company_id}:{actor.client_id}"
        if self._watch_client != watch_client:
            self._watch_client = watch_client
        key = f"{actor.session_id}:{router.session.session_id or ''}"
        now = time.time()
        fresh = 0 <= now - self._shell_loaded_at < SHELL_MAX_AGE
        if not (self.signed_in and key == self._shell_key and fresh):
            self._load_shell(actor, db)
            self._shell_key = key
            self._shell_loaded_at = now
        # Server-side text of this event (gettext in services and handlers) in the shell's language.
        i18n.set_language(self.lang)
        return actor

    # Whose ledger a live page follows ("company_id:client_id" of the signed-in actor, set by
    # `_begin`), and the ledger stamp the page read just before its data (`_note_ledger`).
    _watch_client: str = ""
    _watch_seen: str = ""

    def _note_ledger(self, db: Session, actor: Actor) -> None:
        """Read the client's ledger stamp for `_watch_here`; call it in the page load's
        database session before reading the page's data, so any change after that read,
        even one before the registration, is noticed."""
        self._watch_seen = ledger_stamp.ledger_stamp(db, actor=actor)

    def _live_stamp(self) -> str:
        """The client's ledger stamp as this tab's live page knows it (at most one poll
        interval old: a newer one is already sending the page its refresh), without reading
        the database; "" when the page is not watched in this worker (see `_watch_here`)."""
        company_id, _, client_id = self._watch_client.partition(":")
        if not (company_id.isdigit() and client_id.isdigit()):
            return ""
        router = self.router
        return LEDGER_PUSH.seen_stamp(
            router.session.client_token,
            client=(int(company_id), int(client_id)),
            path=router.url.path,
        )

    def _watch_here(self, refresh) -> None:
        """Keep this page live: when the client's invoices or payments change elsewhere (a
        webhook, another tab), the worker's LEDGER_PUSH sends this tab the `refresh` event
        while it stays on this page (see reflex_ext/tab_push.py). Called by a page load after
        `_note_ledger` and its data."""
        company_id, _, client_id = self._watch_client.partition(":")
        if not (company_id.isdigit() and client_id.isdigit()):
            return
        router = self.router
        LEDGER_PUSH.watch(
            router.session.client_token,
            Watcher(
                client=(int(company_id), int(client_id)),
                path=router.url.path,
                event_name=format_event_handler(refresh),
                seen=self._watch_seen,
                until=time.monotonic() + WATCH_MINUTES * 60,
            ),
        )

    @rx.event
    def leave_preview(self):
        """Leave a staff preview: a POST (from this click) to the HTTP route that ends it and
        clears the cookie; the browser follows its answer (a full page load)."""
        if not self.preview_back_href:
            return None
        return rx.call_script(post_script(self.preview_back_href))

    def _apply_visitor_language(self, company_locale: str) -> None:
        """A page for someone not signed in (sign-in, password reset, registration, sign-up):
        ?lang= (kept like the switcher's choice), else the portal_lang cookie, else the
        browser's Accept-Language, else the company's language (`company_locale`)."""
        params = self.router.url.query_parameters
        if params.get(i18n.LANGUAGE_PARAM) in i18n.SHIPPED_LANGUAGES:
            self.visitor_lang = params[i18n.LANGUAGE_PARAM]
        self._apply_language(
            i18n.choose_language(
                contact_choice=None,
                visitor_choice=self.visitor_lang,
                accept_language=self.router.headers.accept_language,
                company_locale=company_locale,
            )
        )

    @rx.event
    def choose_language(self, lang: str):
        """The switcher: remember the contact's language and reload the page in it (a staff
        preview switches only this tab and saves nothing)."""
        if lang not in i18n.SHIPPED_LANGUAGES:
            return None
        with session_scope() as db:
            actor = self._actor(db)
            if actor is None:
                return self._login_redirect()
            language.set_contact_language(db, actor=actor, language=lang)
        self._apply_language(lang)
        if not actor.is_preview:
            # This browser's sign-in page follows too, after signing out.
            self.visitor_lang = lang
        if actor.is_preview:
            return None
        # Texts the page's load built on the server (sentences with numbers, statuses) follow.
        return rx.call_script(browser_js.call(browser_js.NAVIGATION, "reload"))

    @rx.event
    def sign_out(self):
        """Leave by a POST (from this click) to the HTTP route that revokes the session and
        clears the cookie. Opening a URL never signs out (see pages/client/logout.py)."""
        self._clear_shell()
        return self._logout_script()


WATCH_SECONDS = 3
# A tab left open on a live page stops being refreshed after this; any page load renews it.
WATCH_MINUTES = 30
LEDGER_PUSH = LedgerPush(WATCH_SECONDS)
# How long a loaded shell (names, branding, nav) is reused within one connection.
SHELL_MAX_AGE = 60
