"""The cyclic garbage collector tuned for a backend worker (issue 25).

CPython collects its youngest generation every 700 allocations (net of frees) and every
older generation after ten of the one below. A worker's event allocates tens of thousands of
short-lived objects (SQLAlchemy's parameters and rows, Reflex's state and its delta, the JSON
of the update), so the collector ran many times per event, scanning whatever was young at
that moment: `bench/load.py` (one worker, 200 clients, think 0) spent about a quarter of the
worker's CPU per action there (5.8 -> 4.3 ms per action with the young threshold at 100,000;
bench/README.md, 2026-12-07). Reference counting still frees everything that is not in a
cycle at once; only cyclic garbage waits longer, at most YOUNG_THRESHOLD allocations.

What the process built at start-up (modules, the compiled app, the route table) lives as long
as the process: `gc.freeze()` moves it out of the collector's view, so an older generation's
collection no longer walks it.
"""

from __future__ import annotations

import gc

# Allocations between collections of the youngest generation (CPython: 700), and how many
# collections of each generation before one of the next (CPython: 10 and 10).
YOUNG_THRESHOLD = 100_000
OLDER_THRESHOLDS = (20, 20)


def tune_collector() -> None:
    """Freeze the objects built so far and collect young objects less often: called once per
    backend process, after the app is built (portal_app/portal_app.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
