"""Before/after in one run: the same benchmark code drives two checkouts, alternated.

`compare(...)` starts the calling script twice as a worker (`--worker`), once with the portal
code of the "before" checkout (e.g. `git worktree add /tmp/wt-before <rev>`) and once with this
checkout's, each importing `portal_app` from the folder in BENCH_CODE_ROOT (`code_root`). The
workers build the same data with the same benchmark code, then time one job per request;
requests alternate between the two (which goes first swaps every round), so background load
on a shared machine hits both alike. A worker's protocol lines go to its original stdout; what
the code prints goes to stderr.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

ENV = "BENCH_CODE_ROOT"
ARMS = ("before", "after")
Arm = TypeVar("Arm")


def code_root(default: Path) -> str:
    """The checkout whose `portal_app` this process imports (BENCH_CODE_ROOT, else `default`)."""
    return os.environ.get(ENV) or str(default)


@dataclass
class Timing:
    """Wall and thread-CPU milliseconds of each timed call."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def row(self) -> str:
        """'median | p95 | cpu median' cells."""
        return f"{statistics.median(self.wall):.1f} | {p95(self.wall):.1f} | " + (
            f"{statistics.median(self.cpu):.1f}"
        )


def p95(values: list[float]) -> float:
    """The 95th percentile (inclusive method)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def timed(job: Callable[[], object]) -> tuple[float, float]:
    """Wall and thread-CPU milliseconds of one call, the garbage collector paused."""
    gc.collect()
    gc.disable()
    try:
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        job()
        return (time.perf_counter() - wall0) * 1000, (time.thread_time() - cpu0) * 1000
    finally:
        gc.enable()


def serve(jobs: dict[str, Callable[[], object]]) -> None:
    """Worker side: announce the job names, then time the job named on each input line."""
    protocol: IO[str] = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything the code prints goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    protocol.write(json.dumps(list(jobs)) + "\n")
    protocol.flush()
    for line in sys.stdin:
        wall, cpu = timed(jobs[line.strip()])
        protocol.write(f"{wall} {cpu}\n")
        protocol.flush()


class _Worker:
    def __init__(self, root: Path, script: Path, args: list[str]):
        self.proc = subprocess.Popen(  # noqa: S603 - our own script and interpreter
            [sys.executable, str(script), "--worker", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, ENV: str(root)},
            cwd=root,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.jobs: list[str] = json.loads(self.stdout.readline())

    def run(self, job: str) -> tuple[float, float]:
        self.stdin.write(job + "\n")
        self.stdin.flush()
        wall, cpu = self.stdout.readline().split()
        return float(wall), float(cpu)

    def close(self) -> None:
        self.stdin.close()
        self.proc.wait()


def in_turn(arms: dict[str, Arm], rounds: int) -> Iterator[tuple[int, str, Arm]]:
    """(round, name, arm) for every arm in each of `rounds` rounds, one process's arms in turn:
    the first arm first in even rounds and last in odd ones, so background load on a shared
    machine hits each alike (what `compare` does between two checkouts)."""
    for r in range(rounds):
        order = list(arms.items())
        for name, arm in order if r % 2 == 0 else order[::-1]:
            yield r, name, arm


def compare(
    before: Path, after: Path, script: Path, args: list[str], runs: int
) -> dict[tuple[str, str], Timing]:
    """{(job, arm): Timing} of every job the workers announce, `runs` timed calls per job and
    arm after one warm-up call each, alternated between the arms."""
    workers = {"before": _Worker(before, script, args), "after": _Worker(after, script, args)}
    try:
        jobs = workers["after"].jobs
        assert workers["before"].jobs == jobs, "both workers must offer the same jobs"
        results = {(job, arm): Timing() for job in jobs for arm in ARMS}
        for run in range(runs + 1):  # run 0 warms up (first parse, imports, caches)
            order = ARMS if run % 2 else ARMS[::-1]
            for job in jobs:
                for arm in order:
                    wall, cpu = workers[arm].run(job)
                    if run:
                        results[job, arm].wall.append(wall)
                        results[job, arm].cpu.append(cpu)
            print(f"run {run}/{runs}", file=sys.stderr)
        return results
    finally:
        for worker in workers.values():
            worker.close()


def print_table(title: str, results: dict[tuple[str, str], Timing]) -> None:
    """The before/after markdown table: median, p95 and CPU median per arm, and the ratio."""
    jobs = list(dict.fromkeys(job for job, _ in results))
    print(f"| {title} | before median | before p95 | before cpu | after median | after p95 "
          "| after cpu | after/before (cpu) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for job in jobs:
        before, after = results[job, "before"], results[job, "after"]
        ratio = statistics.median(after.wall) / statistics.median(before.wall)
        cpu_ratio = statistics.median(after.cpu) / statistics.median(before.cpu)
        print(f"| {job} | {before.row()} | {after.row()} | {ratio:.2f} ({cpu_ratio:.2f}) |")
