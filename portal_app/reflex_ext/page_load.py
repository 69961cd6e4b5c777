"""A page's on_load handlers run inside the navigation event that asks for them.

Reflex answers a navigation (the front end's `on_load_internal` event, also chained after the
`hydrate_and_load` of a fresh connection) by queueing the page's on_load handlers and then
`set_is_hydrated` as events of their own. Each queued event takes the tab's state lock and
reads and writes the tab's state in Redis again, so a page view cost three events where one
does the work; bench/load.py measured the two extra ones as about a third of a worker's time.

`InlinePageLoadMiddleware` runs those handlers in the `on_load_internal` event itself, under
the lock Reflex already holds, through Reflex's own `process_event`: same handlers, same
payloads, their updates and the events they return (a redirect, a chained event) sent as
Reflex would send them. The tab is then marked hydrated in the same event. Pages still declare
`on_load` the usual way (`rx.page(on_load=...)`, through layout/shell.py's helpers), and a
page whose load includes a background handler is left to Reflex unchanged.

Differences from Reflex's queueing, on purpose: the handlers of one navigation run back to back
without another event of the same tab in between (they used to be separate queue entries), and
`is_hydrated` is not set to false on the server before they run (the front end already sets it
when it navigates; an update carrying `is_hydrated: false` would make the browser skip the
cookies a load handler sets, as the emailed-link sign-in does).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import suppress
from typing import TypeVar

import reflex as rx
from reflex.state import OnLoadInternalState, StateUpdate
from reflex_base.constants import CompileVars
from reflex_base.event import Event
from reflex_base.event.context import EventContext
from reflex_base.event.processor.base_state_processor import chain_updates, process_event
from reflex_base.registry import RegistrationContext
from reflex_base.utils.format import format_event_handler

_State = TypeVar("_State", bound=type)

# The other states a page state's load handlers read (`await self.get_state(...)`), by that
# state (`load_reads`).
_LOAD_READS: dict[type, tuple[type, ...]] = {}


def load_reads(*states: type) -> Callable[[_State], _State]:
    """Class decorator of a page's state: its on_load handlers also read `states` (with
    `get_state`). They then come with the navigation's first Redis read too
    (`navigation_states`), not with a Redis read of their own in the event."""

    def declare(cls: _State) -> _State:
        _LOAD_READS[cls] = (*_LOAD_READS.get(cls, ()), *states)
        return cls

    return declare


@functools.cache
def navigation_event_name() -> str:
    """The full name of Reflex's navigation event (`...on_load_internal_state.on_load_internal`)."""
    return format_event_handler(OnLoadInternalState.event_handlers["on_load_internal"])


def navigation_states(app):
    """A function of an event: for a navigation to a page whose foreground on_load handlers
    this middleware will run, the states those handlers belong to and those they declare they
    read (`load_reads`), else nothing. Given to
    redis_round_trips.PREFETCH, so the navigation's first Redis read also brings the page's
    states instead of a second read when `preprocess` asks for them."""
    from reflex.istate.data import _url_from_router_data

    def states(event) -> list[type]:
        if event.name != navigation_event_name():
            return []
        router_data = event.router_data or _context_router_data()
        # The path as the tab's router will have it (Reflex's own parse of asPath).
        load_events = app.get_load_events(_url_from_router_data(router_data).path)
        if not load_events:
            return []
        registry = RegistrationContext.get().event_handlers
        handlers = [registry[ev.name] for ev in Event.from_event_type(load_events)]
        if any(registered.handler.is_background for registered in handlers):
            return []
        owners = [registered.states[0] for registered in handlers]
        return [*owners, *(read for owner in owners for read in _LOAD_READS.get(owner, ()))]

    return states


def _context_router_data() -> dict:
    # A chained event carries no router data of its own; its context has its producer's.
    try:
        return EventContext.get().router_data or {}
    except LookupError:
        return {}


class InlinePageLoadMiddleware(rx.Middleware):
    """Runs the page's on_load handlers in the navigation event instead of queueing them.

    Add it after the other middlewares: an update it returns ends Reflex's middleware chain.
    """

    async def preprocess(self, app, state, event):
        """For a navigation to a page with foreground on_load handlers, run them here."""
        if event.name != navigation_event_name():
            return None
        load_events = app.get_load_events(state.router.url.path)
        if not load_events:
            return None  # Reflex marks the tab hydrated in the event itself
        events = Event.from_event_type(load_events)
        registry = RegistrationContext.get().event_handlers
        handlers = [registry[ev.name] for ev in events]
        if any(registered.handler.is_background for registered in handlers):
            return None  # a background load keeps Reflex's own queueing
        root = state._get_root_state()
        try:
            for ev, registered in zip(events, handlers, strict=True):
                await process_event(
                    handler=registered.handler,
                    payload=ev.payload,
                    state=await root.get_state(registered.states[0]),
                    root_state=root,
                )
        except Exception:
            # As when set_is_hydrated was an event of its own: the failed load still ends
            # the navigation; Reflex's backend exception handler then reports the error.
            with suppress(Exception):
                await _mark_hydrated(root)
            raise
        await _mark_hydrated(root)
        # Any update ends Reflex's handling of the event: on_load_internal must not queue
        # the handlers that already ran. Everything was sent by _mark_hydrated.
        return StateUpdate()


async def _mark_hydrated(root) -> None:
    """Set the tab's `is_hydrated` and send it with what the page loads changed, now."""
    root.is_hydrated = True
    # Sent even when the server's flag was already true: the front end set its own to false
    # when it navigated and waits for this one.
    root.dirty_vars.add(CompileVars.IS_HYDRATED)
    await chain_updates(None, handler_name="page_load", root_state=root)
