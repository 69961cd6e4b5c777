"""Start time of a backend worker: rebuilding the front end on every start against serving a
front end built once (issue 24 item 4).

- **before**: what scripts/prod.sh ran until issue 24, `reflex run --env prod --single-port`:
  every start compiles all pages and runs the front-end build, then Granian serves.
- **after**: `scripts/prod.sh build` once (timed separately), then every start is
  `scripts/prod.sh serve`: Granian serving the built files, no compile, no build.

A start counts as done when the port answers /ping, serves the front end's index page (`/`,
200 text/html) and a tab hydrates over the websocket (tests/helpers/reflex_protocol.py), i.e.
when a browser could use it. Each arm runs in its own temporary copy of `.web` (node packages
included, earlier build output left out), so the project's `.web` is never touched; one
temporary SQLite database migrated once; scheduled jobs and the outbox off; one worker process.
Runs alternate (before, after, before, ...) so load on the machine hits both arms alike.

    .venv/bin/python bench/startup.py --runs 3

Needs `.web` to have been set up once (`reflex init`/a first run: node packages installed).
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.reflex_protocol import Tab  # noqa: E402

TIMEOUT = 600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def copy_web(target: Path) -> None:
    """The project's .web without its build output: what a fresh host checkout has after
    `reflex init` (node packages installed, nothing built)."""
    source = ROOT / ".web"

    def build_output(folder: str, names: list[str]) -> list[str]:
        # Only .web/build: packages have build/ folders of their own (socket.io-client's).
        return ["build"] if Path(folder) == source else []

    shutil.copytree(source, target, symlinks=True, ignore=build_output)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - our own server
            return response.status, response.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


async def hydrates(base_url: str) -> bool:
    tab = Tab(base_url, timeout=10)
    try:
        await tab.open("/client/login")
        await tab.wait_hydrated()
        return True
    except AssertionError:
        return False
    finally:
        await tab.close()


def usable(base_url: str) -> bool:
    """/ping, the built index page and a hydrated tab."""
    if get(f"{base_url}/ping")[0] != 200:
        return False
    status, kind = get(f"{base_url}/")
    return status == 200 and kind.startswith("text/html") and asyncio.run(hydrates(base_url))


def env_for(port: int, web_dir: Path, database_url: str) -> dict[str, str]:
    base_url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": database_url,
        "PORTAL_BASE_URL": base_url,
        "REFLEX_API_URL": base_url,
        "REFLEX_WEB_WORKDIR": str(web_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PORTAL_WORKERS": "1",
        "PORTAL_JOBS_INTERVAL_MINUTES": "0",
        "PORTAL_OUTBOX_INTERVAL_SECONDS": "0",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / '.tools' / 'node_modules' / '.bin'}:"
        + os.environ.get("PATH", ""),
    }
    for name in ("REDIS_URL", "REFLEX_REDIS_URL"):
        env.pop(name, None)
    return env


def before_command(port: int) -> list[str]:
    """scripts/prod.sh's start before issue 24 (its last step, after check-config/migrate)."""
    return [
        "reflex",
        "run",
        "--env",
        "prod",
        "--single-port",
        "--backend-host",
        "127.0.0.1",
        "--frontend-port",
        str(port),
        "--backend-port",
        str(port),
    ]


def timed_start(command: list[str], env: dict[str, str], log: Path) -> float:
    """Seconds from launching `command` until the server is usable; then it is stopped."""
    if "reflex" in command[:1]:
        env = {**env, "REFLEX_USE_GRANIAN": "true", "GRANIAN_WORKERS": "1"}
    base_url = env["PORTAL_BASE_URL"]
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while not usable(base_url):
            if proc.poll() is not None or time.perf_counter() - started > TIMEOUT:
                raise RuntimeError(f"{command[:3]} did not start; see {log}")
            time.sleep(0.2)
        return time.perf_counter() - started
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def row(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
        f"{min(values):.1f} | {max(values):.1f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="starts per arm (default 3)")
    args = parser.parse_args()
    if not (ROOT / ".web" / "node_modules").is_dir():
        say("error: .web/node_modules is missing; run the portal once (scripts/demo.sh)")
        return 2

    with tempfile.TemporaryDirectory(prefix="portal-startup-") as tmp:
        work = Path(tmp)
        database_url = f"sqlite:///{work / 'portal.db'}"
        webs = {"before": work / "web-before", "after": work / "web-after"}
        for web in webs.values():
            copy_web(web)
        port = free_port()
        env = {arm: env_for(port, web, database_url) for arm, web in webs.items()}
        prod = str(ROOT / "scripts" / "prod.sh")
        subprocess.run([prod, "migrate"], cwd=ROOT, env=env["after"], check=True, stdout=sys.stderr)

        say("==> scripts/prod.sh build (once)")
        started = time.perf_counter()
        build_log = work / "build.log"
        with build_log.open("wb") as out:
            built = subprocess.run(
                [prod, "build"], cwd=ROOT, env=env["after"], stdout=out, stderr=out, check=False
            )
        if built.returncode != 0:
            say(build_log.read_text(errors="replace")[-3000:])
            return 1
        build_seconds = time.perf_counter() - started

        results: dict[str, list[float]] = {"before": [], "after": []}
        commands = {"before": before_command(port), "after": [prod, "serve"]}
        for n in range(args.runs):
            for arm in ("before", "after"):
                took = timed_start(commands[arm], env[arm], work / f"{arm}-{n}.log")
                results[arm].append(took)
                say(f"    {arm} run {n + 1}: {took:.1f} s")
        load = os.getloadavg()

    print(f"Worker start until usable (/ping, index page, a tab hydrated), {os.cpu_count()} CPUs,")
    print(f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    print("| start | runs | median s | min s | max s |")
    print("|---|---|---|---|---|")
    print(
        row(
            "before: `reflex run --env prod --single-port` (compile + build each start)",
            results["before"],
        )
    )
    print(row("after: `scripts/prod.sh serve` (front end built once)", results["after"]))
    print(f"\nThe one-off `scripts/prod.sh build`: {build_seconds:.1f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
