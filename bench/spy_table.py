"""The profile table of bench/README.md from `bench/load.py --py-spy DIR` output.

Usage:
    .venv/bin/python bench/spy_table.py "/tmp/spy-before/*.txt" "/tmp/spy-after/*.txt"
    .venv/bin/python bench/spy_table.py --top 25 "/tmp/spy-after/*.txt"

Each argument is a glob of py-spy raw collapsed-stack files (one column each). Only the
event-loop thread's samples count (every handler runs there; idle pool threads waiting on
their queue and the loop's own select are left out); a row is the share of those samples
whose stack holds a frame matching its pattern (inclusive: nested rows overlap).
`--top N` lists instead, per glob, the N frames with the most samples of their own (self) and
the N with the most samples below them (inclusive; the process's start-up frames left out).
"""

import collections
import glob
import re
import sys

PATTERNS = [
    ("Event processing `_execute_event`", r"^BaseStateEventProcessor\._execute_event \("),
    (
        "Invoice list events (`InvoicesState.load`, `next_page`)",
        r"^(InvoicesState\.load|PagedListMixin\.next_page) \(",
    ),
    ("  `list_invoices`", r"^list_invoices \("),
    ("Invoice page event `InvoiceDetailState.load`", r"^InvoiceDetailState\.load \("),
    ("  `open_invoice`", r"^open_invoice \("),
    ("Session check `PortalState._actor`", r"^PortalState\._actor \("),
    (
        "  its query `_check_session` / `resolve_actor`'s query",
        r"^(_check_session \(|Session\.exec \(sqlmodel.*)",
    ),
    ("  change channel read `current_generation`", r"^current_generation \("),
    ("Shell reload `PortalState._load_shell`", r"^PortalState\._load_shell \("),
    ("Ledger stamp `ledger_stamp`", r"^ledger_stamp \("),
    # reflex_ext/redis_round_trips.py (after 22b377f) reads in `_acquire_and_read`/`_tree_from`
    # and writes in `_save_and_release`: counted with Reflex's own.
    (
        "Reflex state read `StateManagerRedis.get_state` (all)",
        r"^(StateManagerRedis\.get_state|_acquire_and_read|_tree_from) \(",
    ),
    (
        "  a second read in the event `BaseState._get_state_from_redis`",
        r"^BaseState\._get_state_from_redis \(",
    ),
    (
        "Reflex state write `StateManagerRedis.set_state`",
        r"^(StateManagerRedis\.set_state|_save_and_release) \(",
    ),
    ("  pickling `BaseState._serialize`", r"^BaseState\._serialize \("),
    ("  unpickling `BaseState._deserialize`", r"^BaseState\._deserialize \("),
    ("Reflex delta `BaseState.get_delta`", r"^BaseState\.get_delta \("),
    (
        "Reflex lock `_try_modify_state` minus read/write",
        r"^(StateManagerRedis|two_round_trip_modify_state\.<locals>)\._try_modify_state \(",
    ),
    ("Redis commands (all) `Redis.execute_command`", r"^Redis\.execute_command \("),
    ("Commit `Session.commit`", r"^Session\.commit \(sqlalchemy"),
    # psycopg's BEGIN before a transaction's first statement (a blocking round trip).
    ("BEGIN `BaseConnection._start_query`", r"^BaseConnection\._start_query \(psycopg"),
    ("psycopg waiting `Connection.wait`", r"^Connection\.wait \(psycopg"),
    ("JSON log line (event_log.py)", r"\(portal_app/reflex_ext/event_log\.py"),
]


def load(path_glob):
    stacks = collections.Counter()
    for f in glob.glob(path_glob):
        with open(f) as lines:
            raw = lines.read().splitlines()
        for line in raw:
            if not line:
                continue
            stack, _, n = line.rpartition(" ")
            # The event loop's thread only (every handler runs there); idle pool threads
            # waiting on their queue are not work.
            if not stack.startswith("_run_module_as_main"):
                continue
            if (
                stack.endswith(
                    ("select (selectors.py:468)", "BaseSelector.select (selectors.py:468)")
                )
                or "EpollSelector.select" in stack.rsplit(";", 1)[-1]
            ):
                continue
            stacks[stack] += int(n)
    return stacks


def shares(stacks):
    total = sum(stacks.values())
    out = {}
    for name, pat in PATTERNS:
        rx = re.compile(pat)
        if name.startswith("  its query"):
            c = sum(
                n
                for s, n in stacks.items()
                if re.search(
                    r"(_check_session|resolve_actor) \(portal_app/services/identity/auth.py:\d+\);"
                    r"Session\.exec",
                    s,
                )
            )
        else:
            c = sum(n for s, n in stacks.items() if any(rx.search(fr) for fr in s.split(";")))
        out[name] = 100.0 * c / total if total else 0
    return total, out


def top(stacks, n: int) -> None:
    """The `n` costliest frames of `stacks`, self and inclusive (line numbers dropped)."""
    total = sum(stacks.values())
    own, below = collections.Counter(), collections.Counter()
    for stack, count in stacks.items():
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        own[frames[-1]] += count
        for frame in set(frames):
            below[frame] += count
    everywhere = {frame for frame, count in below.items() if count == total}
    print(f"samples {total}\n\n| self | frame |\n|---:|---|")
    for frame, count in own.most_common(n):
        print(f"| {100.0 * count / total:.1f}% | `{frame}` |")
    print("\n| inclusive | frame |\n|---:|---|")
    kept = [(f, c) for f, c in below.most_common() if f not in everywhere and "asyncio/" not in f]
    for frame, count in kept[:n]:
        print(f"| {100.0 * count / total:.1f}% | `{frame}` |")


def main() -> None:
    cols = sys.argv[1:]
    if cols[:1] == ["--top"]:
        for path_glob in cols[2:]:
            print(f"\n{path_glob}")
            top(load(path_glob), int(cols[1]))
        return
    res = [shares(load(g)) for g in cols]
    names = [c.split("/")[-2] if "/" in c else c for c in cols]
    print("| cost (share of the worker's event-loop samples) | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(cols))
    for name, _ in PATTERNS:
        print(f"| {name} | " + " | ".join(f"{r[1][name]:.1f}%" for r in res) + " |")
    print("| samples | " + " | ".join(str(r[0]) for r in res) + " |")


if __name__ == "__main__":
    main()
