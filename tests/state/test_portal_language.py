"""A client handler's server-side text is in the tab's language (issue 20).

Every signed-in client handler passes through PortalState._actor; a page load also sets the
language in `_begin`, but a later handler (pay, choose card, save) runs in a new event whose
language is whatever the worker used last, so the check sets it too.
"""

from __future__ import annotations

import contextvars
from datetime import timedelta
from types import SimpleNamespace

import reflex as rx
from reflex.istate.data import RouterData

from portal_app.core import i18n
from portal_app.services.identity import auth
from portal_app.state.portal import PortalState

HELPERS = ("_actor", "_session_token", "_client_ip")


def _event(*, cookie: str, lang: str):
    """A PortalState event of a tab in `lang` sending `cookie`, run by the state's own code."""
    origin = rx.config.get_config().api_url.rstrip("/")
    router = RouterData.from_router_data(
        {"headers": {"origin": origin, "cookie": cookie}, "asPath": "/client/invoices"}
    )
    helpers = {name: getattr(PortalState, name) for name in HELPERS}
    event_type = type("Event", (SimpleNamespace,), {"SIDE": PortalState.SIDE, **helpers})
    return event_type(router=router, lang=lang)


def test_a_client_handler_speaks_the_language_of_its_tab(make, session):
    contact = make.contact(make.client(make.company()))
    opened = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1)
    )
    event = _event(cookie=f"portal_session={opened.token}", lang="de")

    def handler():
        i18n.set_language("en")  # the event this worker ran before, for another tab
        actor = event._actor(session)
        return actor, i18n.gettext("Checking amounts…")

    actor, text = contextvars.copy_context().run(handler)
    assert actor is not None and actor.contact_id == contact.id
    assert text == "Beträge werden geprüft…"
