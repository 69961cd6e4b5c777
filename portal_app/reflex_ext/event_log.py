"""One log line per Reflex event handled by this backend worker, with the event's id.

HTTP requests get their access line from logging_setup.RequestIdMiddleware; websocket events
never pass through it. Reflex runs every event in its own asyncio task with its EventContext
set (the context's `txid` is the event id that logging_setup stamps on each line), and calls
the app's event middlewares' `preprocess` at the start of that task, under the state lock. This
middleware only notes the start time there and lets the task's completion write the line:
`event <state>.<handler> ok|error|cancelled`, with `event`, `path`, `tab`, `duration_ms`.

What is never logged: the payload (passwords, form fields) and the query string (one-time
codes). `tab` is a short hash of the tab's Reflex token, enough to follow one tab's events
without writing the token itself (which addresses the tab's state).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

import reflex as rx
from reflex_base.event.context import EventContext

log = logging.getLogger("portal_app.events")


def short_event_name(name: str) -> str:
    """'reflex___state____state.….pages___client___invoices____invoices_state.next_page'
    becomes 'invoices_state.next_page'; frontend-only names come back unchanged."""
    state_path, _, handler = name.rpartition(".")
    if not state_path:
        return name
    state = state_path.rpartition(".")[2].rpartition("____")[2]
    return f"{state}.{handler}"


def tab_hint(token: str) -> str:
    """A short, non-reversible label for a tab's Reflex token."""
    return hashlib.sha256(token.encode()).hexdigest()[:10] if token else "-"


class EventLogMiddleware(rx.Middleware):
    """Writes the per-event line when the task running the event finishes."""

    async def preprocess(self, app, state, event):
        """Arrange the completion line; never changes the event or its outcome."""
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - Reflex always runs events in a task
            return None
        started = time.perf_counter()
        fields = {
            "event": short_event_name(event.name),
            "path": _path(state, event),
            "tab": tab_hint(_token(state)),
        }

        def done(finished: asyncio.Task) -> None:
            if finished.cancelled():
                outcome, level = "cancelled", logging.INFO
            elif finished.exception() is not None:
                outcome, level = "error", logging.WARNING
            else:
                outcome, level = "ok", logging.INFO
            duration = round((time.perf_counter() - started) * 1000, 1)
            log.log(
                level,
                "event %s %s",
                fields["event"],
                outcome,
                extra={**fields, "outcome": outcome, "duration_ms": duration},
            )

        # A done callback runs in a copy of this task's context, so the line carries the
        # event's id like every other line the event wrote.
        task.add_done_callback(done)
        return None


def _context():
    try:
        return EventContext.get()
    except LookupError:  # pragma: no cover - Reflex sets it for every event
        return None


def _path(state, event) -> str:
    # The path only (never the query string): it says which page the tab was on. A chained
    # event carries no router data of its own and inherits its producer's through the context.
    context = _context()
    router_data = event.router_data or (context.router_data if context else None) or {}
    return str(router_data.get("pathname") or "")


def _token(state) -> str:
    context = _context()
    return context.token if context else ""
