"""The JSON log line's cost: every pattern on every string, or the quick search first.

Usage:
    .venv/bin/python bench/log_line.py [--lines 20000] [--rounds 5]

`logging_setup.JsonFormatter.format` on the lines a worker writes most: the per-event line of
reflex_ext/event_log.py (one per Reflex event), an HTTP access line, and a line that holds a
secret (Reflex's "lock held too long" warning with a tab token, which takes the slow path in
both arms). Two arms alternate in rounds in one process: **each pattern** (`mask_each_pattern`,
what `mask_secrets` was until issue 25: seven substitutions on every string) and **quick search**
(`mask_secrets`: one search, the substitutions only when it finds something). Printed: process
CPU µs per formatted line, median of the rounds.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _compare import in_turn  # noqa: E402

from portal_app import logging_setup  # noqa: E402


def _record(name: str, level: int, msg: str, args: tuple, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


RECORDS = {
    "event line": _record(
        "portal_app.events",
        logging.INFO,
        "event %s %s",
        ("invoices_state.next_page", "ok"),
        request_id="3f9a1c0b7d2e",
        event="invoices_state.next_page",
        path="/client/invoices",
        tab="9c1e4b7a2f",
        outcome="ok",
        duration_ms=12.4,
    ),
    "HTTP access line": _record(
        "portal_app.http",
        logging.INFO,
        "%s %s %s",
        ("GET", "/api/invoices/1001/qr/pay", 200),
        request_id="5d0c8e2a9b7f4e1d8c6b5a4f3e2d1c0b",
        http_status=200,
        duration_ms=3.1,
    ),
    "line with a tab token": _record(
        "reflex.istate.manager.redis",
        logging.WARNING,
        "Lock for token %s was held too long time_taken=1.2s, this is not good",
        ("5f1c9a52-1b2c-4d5e-8f90-123456789abc_reflex___state____state",),
        request_id="3f9a1c0b7d2e",
    ),
}


def _time(formatter: logging.Formatter, record: logging.LogRecord, lines: int) -> float:
    c0 = time.process_time()
    for _ in range(lines):
        formatter.format(record)
    return (time.process_time() - c0) / lines * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    arms = {
        "each pattern": logging_setup.mask_each_pattern,
        "quick search": logging_setup.mask_secrets,
    }
    formatter = logging_setup.JsonFormatter()
    outputs: dict[str, list[str]] = {}
    for arm, mask in arms.items():  # warm-up, and both arms must write the same lines
        logging_setup.mask_secrets = mask  # type: ignore[assignment]  # what format() calls
        outputs[arm] = [formatter.format(record) for record in RECORDS.values()]
    assert outputs["each pattern"] == outputs["quick search"]
    cpu: dict[str, dict[str, list[float]]] = {arm: {k: [] for k in RECORDS} for arm in arms}
    for _round, arm, mask in in_turn(arms, args.rounds):
        logging_setup.mask_secrets = mask  # type: ignore[assignment]
        for key, record in RECORDS.items():
            cpu[arm][key].append(_time(formatter, record, args.lines))
    logging_setup.mask_secrets = arms["quick search"]  # type: ignore[assignment]

    print(f"{args.rounds} rounds x {args.lines} lines, alternated; CPU µs per line, median")
    print()
    print("| line | each pattern | quick search | quick/each |")
    print("|---|---:|---:|---:|")
    for key in RECORDS:
        before = statistics.median(cpu["each pattern"][key])
        after = statistics.median(cpu["quick search"][key])
        print(f"| {key} | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
