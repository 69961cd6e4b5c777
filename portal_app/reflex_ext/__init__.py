"""The only place for code that touches Reflex internals (anything beyond `rx.*`'s documented
API: its endpoint constants, how `App.__call__` assembles the backend, what its upload
endpoint does with a body, its Redis state lock, how an event is processed), so a Reflex
upgrade is reviewed here and nowhere else:

- asgi.py: our HTTP routes, the upload guard and the security headers around Reflex's backend;
- page_load.py: a page's on_load handlers run inside the navigation event;
- redis_lock_fix.py: the Redis state lock survives a cancelled event;
- redis_round_trips.py: an event's Redis lock and state I/O in two round trips instead of four;
- event_log.py: one log line per websocket event, with its id;
- socket_json.py: outgoing Socket.IO packets (state updates) encoded by orjson, Reflex's output;
- tab_push.py: live money pages refreshed through Reflex's event processor.
- vendor_chunk.py: a Reflex plugin giving the front-end build one vendor chunk (its Vite config).
- radix_css.py: Reflex's Radix Themes plugin with the CSS of the colour scales the portal uses.
- ui_catalog.py: the front end's `_()` and the plugin writing its per-language static catalogs.

Version-guarded. `install(app)` installs each patch and middleware only on a Reflex series in
SUPPORTED_SERIES; on any other it refuses, patch by patch, and says so in the log (the portal
still runs, without that patch). asgi.py is the exception: it carries the security headers, so
on an unknown Reflex it refuses to start (`check_reflex_version`). An upgrade is a deliberate
act: re-read what each module relies on (its docstring says), run tests/reflex_ext (the canary
tests), then add the series to SUPPORTED_SERIES.
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from typing import Any

log = logging.getLogger(__name__)

# (major, minor) series of Reflex this package was checked against.
SUPPORTED_SERIES = ((0, 10),)
REFLEX_VERSION = version("reflex")


def reflex_series(text: str) -> tuple[int, int]:
    """(major, minor) of a version string such as "0.10.1" or "0.10.2a1"."""
    major, minor = text.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def _supported_text() -> str:
    return ", ".join(f"{a}.{b}.x" for a, b in SUPPORTED_SERIES)


def check_reflex_version(text: str) -> None:
    """Raise RuntimeError unless `text` is a Reflex version this package was checked against."""
    if reflex_series(text) not in SUPPORTED_SERIES:
        raise RuntimeError(
            f"portal_app.reflex_ext was written against Reflex {_supported_text()}, not {text}: "
            "re-check the Reflex internals its modules name, run tests/reflex_ext, then add "
            "the new series to SUPPORTED_SERIES"
        )


def allow_patch(name: str, reflex_version: str = REFLEX_VERSION) -> bool:
    """Whether patch `name` may be installed on this Reflex; a refusal is logged."""
    if reflex_series(reflex_version) in SUPPORTED_SERIES:
        return True
    log.error(
        "not installing %s: written against Reflex %s, found %s; re-check it, run "
        "tests/reflex_ext, then add the series to SUPPORTED_SERIES",
        name,
        _supported_text(),
        reflex_version,
    )
    return False


def install(app: Any, *, ledger_push: Any, reflex_version: str = REFLEX_VERSION) -> list[str]:
    """Install the Reflex patches and middleware on `app`, each only on a tested Reflex.

    Returns the names of what was installed (the rest was refused and logged).
    """
    from portal_app.reflex_ext import redis_lock_fix, redis_round_trips, socket_json
    from portal_app.reflex_ext.event_log import EventLogMiddleware
    from portal_app.reflex_ext.page_load import InlinePageLoadMiddleware, navigation_states
    from portal_app.reflex_ext.tab_push import TabPageMiddleware

    installed: list[str] = []
    # Reflex 0.10.1 can leak a tab's Redis state lock when it cancels an event (10 s stalls).
    if allow_patch("redis lock fix", reflex_version):
        redis_lock_fix.install()
        installed.append("redis lock fix")
    # Lock + read, then write + unlock: two Redis scripts per event instead of four commands.
    if allow_patch("redis round trips", reflex_version):
        redis_round_trips.install()
        installed.append("redis round trips")
    # State updates encoded by orjson (same output); an app without a socket server has none.
    if allow_patch("socket json", reflex_version) and socket_json.install(app):
        installed.append("socket json")
    # One log line per websocket event, with the event's id.
    if allow_patch("event log", reflex_version):
        app.add_middleware(EventLogMiddleware())
        installed.append("event log")
    # Which page each tab is on, so a live money page stops being refreshed when the tab
    # leaves; refreshes go through this app's event processor.
    if allow_patch("tab push", reflex_version):
        app.add_middleware(TabPageMiddleware())
        ledger_push.bind(app)
        installed.append("tab push")
    # A page's on_load handlers run in the navigation event itself; last, as it may end the
    # chain.
    if allow_patch("inline page load", reflex_version):
        app.add_middleware(InlinePageLoadMiddleware())
        installed.append("inline page load")
        # Its handlers' states come with the navigation's first Redis read.
        if "redis round trips" in installed:
            redis_round_trips.PREFETCH = navigation_states(app)
    return installed
