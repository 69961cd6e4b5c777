"""Load benchmark: simulated clients sign in and page through invoices over Reflex's websocket.

Usage:
    .venv/bin/python bench/load.py [--workers 1,2] [--clients 50,200] [--duration 30]
        [--think 1,0] [--redis-url redis://127.0.0.1:6379/5] [--pg-url postgresql+psycopg://...]

For each worker count it starts the portal the way scripts/prod.sh does (Granian, one port,
`--workers N`, Redis state manager, PostgreSQL), on a fresh database made for the run (dropped
at the end). For each client count it opens that many tabs with tests/helpers/reflex_protocol
(a Python client of Reflex's event protocol, no browser), signs each in through the real login
event and HTTP handoff, then for `--duration` seconds every tab repeats, with a random pause of
`--think` seconds on average between actions (each think time of the list is a run of its
own; 0 means no pause, the most the layout can serve):

    next page of the invoice list (until the last page, then back to the list: page 1),
    every third action: open an invoice's detail page, then go back to the list.

An action's latency is from sending the event to receiving the update that answers it, as a
browser would see it. The loop is closed (a tab waits for the answer before its next pause),
so below saturation throughput is the offered load, clients / (think + latency), whatever the
worker count: compare worker counts at think 0. Reported per run: actions/s, p50/p95/p99
latency, sign-in time, the serialized Reflex state per tab in Redis (sum of its keys) and the
mean update size.

The load generator runs on the same machine and shares its CPUs with the server: on a 2-core
machine it takes a noticeable share, so figures are a lower bound of what the server can do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import psutil  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

import portal_app.models  # noqa: E402, F401  (registers tables)
from portal_app.models import Client, ClientContact, Company  # noqa: E402
from portal_app.services.identity.passwords import hash_password  # noqa: E402
from tests.helpers.factories import add_invoice  # noqa: E402
from tests.helpers.reflex_protocol import (  # noqa: E402
    INVOICE_DETAIL,
    INVOICES,
    PORTAL,
    Tab,
    sign_in,
)

PASSWORD = "bench-load-password-1"
LIST = "/client/invoices"
THREAD = f"{PORTAL}.portal_app___state___document_thread____document_thread_state"
INVOICES_PER_CLIENT = 60  # three pages of 25
DEFAULT_PG = os.environ.get(
    "PORTAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# --------------------------------------------------------------------------- setup


def create_database(admin_url: str) -> tuple[str, str]:
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    subprocess.run(
        [sys.executable, "-m", "portal_app.cli", "migrate"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "PORTAL_ENV": "test"},
        check=True,
        capture_output=True,
    )
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, clients: int) -> list[str]:
    """`clients` clients of one company, each with one contact and its invoices; the e-mails."""
    engine = create_engine(url)
    hashed = hash_password(PASSWORD)
    emails = []
    with Session(engine) as session:
        company = Company(name="Load test company")
        session.add(company)
        session.flush()
        for n in range(clients):
            client = Client(company_id=company.id, name=f"Load client {n}")
            session.add(client)
            session.flush()
            email = f"load-{n}@example.test"
            session.add(
                ClientContact(
                    company_id=company.id,
                    client_id=client.id,
                    email=email,
                    first_name="Load",
                    last_name=str(n),
                    password_hash=hashed,
                )
            )
            for i in range(INVOICES_PER_CLIENT):
                add_invoice(session, client, number=f"L{n}-{i:03d}", status="sent")
            emails.append(email)
        session.commit()
    engine.dispose()
    return emails


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    base_url: str

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server and its worker processes."""
        total = 0.0
        with suppress(psutil.NoSuchProcess):
            root = psutil.Process(self.proc.pid)
            for proc in [root, *root.children(recursive=True)]:
                with suppress(psutil.NoSuchProcess):
                    times = proc.cpu_times()
                    total += times.user + times.system
        return total

    def stop(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)


def start_server(database_url: str, redis_url: str, workers: int, workdir: Path) -> Server:
    """Granian with `workers` processes on one port, as scripts/prod.sh runs the backend."""
    port = free_port()
    base_url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PORTAL_ENV": "test",
        "PORTAL_WORKERS": str(workers),
        "PORTAL_BASE_URL": base_url,
        "REFLEX_API_URL": base_url,
        "PORTAL_LOG_FORMAT": "json",
        # Every tab signs in from 127.0.0.1, --sign-in-concurrency at a time: the throttle lets
        # only PORTAL_LOGIN_MAX_FAILURES sign-ins from one address be checked at once.
        "PORTAL_LOGIN_MAX_FAILURES": "1000",
        "REFLEX_ENV_MODE": "prod",
        "__REFLEX_SKIP_COMPILE": "true",
        "REFLEX_WEB_WORKDIR": str(workdir / "web"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
    }
    env.pop("REFLEX_REDIS_URL", None)
    log = (workdir / f"server-{workers}.log").open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "portal_app.portal_app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(f"{base_url}/ping", timeout=2):  # noqa: S310
            return Server(proc, base_url)
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise SystemExit(f"server did not start; see {log.name}")


def profile_workers(server: Server, args, label: str) -> list[subprocess.Popen]:
    """With --py-spy DIR: sample each worker process for the measured period (py-spy's raw
    collapsed stacks, non-idle samples only) into DIR/<label>-<pid>.txt."""
    if not args.py_spy:
        return []
    out = Path(args.py_spy)
    out.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    workers = psutil.Process(server.proc.pid).children(recursive=True)
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--rate",
                "40",
                "--format",
                "raw",
                "--duration",
                str(int(args.duration)),
                "--pid",
                str(worker.pid),
                "--output",
                str(out / f"{label}-{worker.pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for worker in workers
    ]


def services_cpu_seconds() -> float:
    """CPU time used so far by this machine's PostgreSQL and Redis processes (those visible)."""
    total = 0.0
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in ("postgres", "postgresql", "redis-server"):
            with suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
    return total


# --------------------------------------------------------------------------- the simulated client


@dataclass
class Run:
    workers: int
    clients: int
    think: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"page": [], "detail": []})
    errors: int = 0
    sign_in_seconds: list[float] = field(default_factory=list)
    measured_seconds: float = 0.0
    state_bytes: list[int] = field(default_factory=list)
    update_bytes: list[int] = field(default_factory=list)
    server_cpu: float = 0.0  # CPU seconds the server used during the measured period
    services_cpu: float = 0.0  # and PostgreSQL + Redis
    client_cpu: float = 0.0  # and the load generator

    @property
    def all_latencies(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]


def _rows(tab: Tab) -> list[dict]:
    return tab.var(INVOICES, "rows") or []


async def _timed(tab: Tab, send, state: str, var: str) -> float:
    since = len(tab.history)
    started = time.perf_counter()
    await send()
    await tab.wait_update(state, var, since)
    return time.perf_counter() - started


async def client_loop(
    tab: Tab,
    run: Run,
    think: float,
    measuring: asyncio.Event,
    stop_at,
    thread_on_mount: bool = False,
):
    """Page through the list; every third action opens an invoice, the next goes back.
    `thread_on_mount`: after an invoice page, send the thread section's own `show` event."""
    actions = 0
    on_detail = False
    next_page = f"{INVOICES}.next_page"
    while time.monotonic() < stop_at[0]:
        # A person looks at the page before the next click.
        await asyncio.sleep(random.uniform(0, 2 * think) if think else 0)
        if time.monotonic() >= stop_at[0]:
            return
        actions += 1
        try:
            if on_detail:
                kind, state, var, send = "page", INVOICES, "rows", lambda: tab.navigate(LIST)
                on_detail = False
            elif actions % 3 == 0 and _rows(tab):
                path = f"{LIST}/{random.choice(_rows(tab))['id']}"
                kind, state, var = "detail", INVOICE_DETAIL, "invoice"
                send = lambda path=path: tab.navigate(path)  # noqa: E731
                on_detail = True
            elif tab.var(INVOICES, "has_next"):
                kind, state, var, send = "page", INVOICES, "page", lambda: tab.send(next_page)
            else:
                kind, state, var, send = "page", INVOICES, "rows", lambda: tab.navigate(LIST)
            took = await _timed(tab, send, state, var)
            if kind == "detail" and thread_on_mount:
                # As a browser did before 2026-12-07: the question thread's section asked for
                # its thread when it mounted, an event of its own after the page's load (the
                # action's time stays the page's; the server's CPU counts both).
                since = len(tab.history)
                invoice_id = int(path.rsplit("/", 1)[1])
                await tab.send(
                    f"{THREAD}.show", {"document_type": "invoice", "document_id": invoice_id}
                )
                await tab.wait_update(THREAD, "thread", since)
        except Exception:  # noqa: BLE001 - counted, the tab carries on from the list
            run.errors += 1
            on_detail = True
            continue
        if measuring.is_set():
            run.latencies[kind].append(took)
        # Old updates are not needed once answered; keep memory flat over long runs.
        if len(tab.history) > 50:
            tab.history = tab.history[-10:]


async def one_run(
    server: Server, emails: list[str], workers: int, clients: int, think: float, args
) -> Run:
    run = Run(workers, clients, think)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        tabs = [Tab(server.base_url, http_session=http, timeout=60) for _ in range(clients)]
        gate = asyncio.Semaphore(args.sign_in_concurrency)

        async def signed_in(i: int, tab: Tab) -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    await sign_in(tab, emails[i % len(emails)], PASSWORD, "/client/invoices")
                    await tab.wait_for(lambda t: _rows(t), "rows")
                except Exception:  # noqa: BLE001 - counted; the tab then keeps trying
                    run.errors += 1
                    return
                run.sign_in_seconds.append(time.perf_counter() - started)

        await asyncio.gather(*(signed_in(i, tab) for i, tab in enumerate(tabs)))
        for tab in tabs:
            tab.update_bytes.clear()
        measuring = asyncio.Event()
        stop_at = [time.monotonic() + args.warmup + args.duration]
        loops = [
            asyncio.create_task(
                client_loop(tab, run, think, measuring, stop_at, args.thread_on_mount)
            )
            for tab in tabs
        ]
        await asyncio.sleep(args.warmup)
        measuring.set()
        started = time.monotonic()
        spies = profile_workers(server, args, f"w{workers}-c{clients}-t{think:g}")
        cpu_before, own_before = server.cpu_seconds(), time.process_time()
        services_before = services_cpu_seconds()
        await asyncio.gather(*loops)
        run.measured_seconds = time.monotonic() - started
        run.server_cpu = server.cpu_seconds() - cpu_before
        run.services_cpu = services_cpu_seconds() - services_before
        run.client_cpu = time.process_time() - own_before
        for spy in spies:
            spy.wait()
        run.update_bytes = [n for tab in tabs for n in tab.update_bytes]
        redis = Redis.from_url(args.redis_url)
        for tab in tabs[: min(20, len(tabs))]:
            run.state_bytes.append(
                sum(redis.strlen(key) for key in redis.scan_iter(f"{tab.token}_*", count=100))
            )
        redis.close()
        for tab in tabs:
            await tab.close()
    return run


# --------------------------------------------------------------------------- report


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def table(runs: list[Run]) -> str:
    lines = [
        "| workers | clients | think s | actions/s | p50 ms | p95 ms | p99 ms | detail p95 ms "
        "| errors | sign-in p50 s | state/tab KiB | update KiB | server CPU ms/action "
        "| PG+Redis CPU ms/action | load gen CPU % |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        values = run.all_latencies
        lines.append(
            f"| {run.workers} | {run.clients} | {run.think:g} "
            f"| {len(values) / run.measured_seconds:.1f} "
            f"| {pct(values, 50) * 1000:.0f} | {pct(values, 95) * 1000:.0f} "
            f"| {pct(values, 99) * 1000:.0f} | {pct(run.latencies['detail'], 95) * 1000:.0f} "
            f"| {run.errors} | {statistics.median(run.sign_in_seconds or [float('nan')]):.2f} "
            f"| {statistics.mean(run.state_bytes) / 1024:.1f} "
            f"| {statistics.mean(run.update_bytes or [0]) / 1024:.1f} "
            f"| {run.server_cpu * 1000 / max(len(values), 1):.1f} "
            f"| {run.services_cpu * 1000 / max(len(values), 1):.1f} "
            f"| {run.client_cpu * 100 / run.measured_seconds:.0f} |"
        )
    by = {(r.workers, r.clients, r.think): len(r.all_latencies) / r.measured_seconds for r in runs}
    notes = []
    for clients, think in sorted({(r.clients, r.think) for r in runs}):
        if (1, clients, think) in by and (2, clients, think) in by:
            ratio = by[(2, clients, think)] / by[(1, clients, think)]
            notes.append(f"{clients} clients, think {think:g} s: 2 workers = {ratio:.2f}x")
    return "\n".join(lines) + ("\n\nthroughput " + "; ".join(notes) if notes else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--clients", default="50,200")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--think", default="1,0", help="mean pauses between actions, s (0: saturated)"
    )
    parser.add_argument("--sign-in-concurrency", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=50, help="distinct clients to seed")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument(
        "--py-spy", default="", help="directory: profile each worker over the measured period"
    )
    parser.add_argument(
        "--thread-on-mount",
        action="store_true",
        help="after each invoice page, the question thread's own show event, as a browser sent"
        " it before 2026-12-07 (for a tree from before then)",
    )
    args = parser.parse_args()

    random.seed(7)
    name, url = create_database(args.pg_url)
    runs: list[Run] = []
    try:
        print(f"database {name}: seeding {args.accounts} clients", file=sys.stderr)
        emails = seed(url, args.accounts)
        logs = Path(tempfile.mkdtemp(prefix="portal-load-"))
        print(f"server logs in {logs}", file=sys.stderr)
        for workers in (int(w) for w in args.workers.split(",")):
            server = start_server(url, args.redis_url, workers, logs)
            try:
                for think in (float(t) for t in args.think.split(",")):
                    for clients in (int(c) for c in args.clients.split(",")):
                        print(
                            f"{workers} worker(s), {clients} clients, think {think:g} s ...",
                            file=sys.stderr,
                        )
                        run = asyncio.run(one_run(server, emails, workers, clients, think, args))
                        runs.append(run)
                        print(table(runs[-1:]), file=sys.stderr)
            finally:
                server.stop()
    finally:
        drop_database(args.pg_url, name)
    load = os.getloadavg()
    print(
        f"\n{os.cpu_count()} CPUs, load average {load[0]:.1f}, "
        f"{args.duration:.0f}s measured after {args.warmup:.0f}s warm-up\n"
    )
    print(table(runs))


if __name__ == "__main__":
    main()
