"""What the translation mechanism costs (issue 20 item 4): build time, bytes per page, state.

Page functions compile once, so a component's `_("Invoices")` cannot call gettext for the
visitor. Two ways of translating that static text are compared:

- **before** (up to the commit given as `--before`): `_()` looked the text up in
  UiLanguageState.ui_text, the WHOLE catalog of the tab's language (every msgid, e-mail, PDF and
  staff texts included), a state var sent over the websocket and kept in the tab's state;
- **after** (`--after`, default HEAD): `_()` looks it up in a static catalog per language holding
  only the msgids the compiled front end uses, fetched once from a content-hashed URL and cached
  by the browser as immutable (reflex_ext/ui_catalog.py); the state carries only `lang`.

Without arguments it prints the quick table: per shipped language, the whole catalog (what
`ui_text` carried) against the static catalog (if a build's `public/i18n` is at hand).

With `--before REV` it measures both in one run, each in a git worktree of its commit (under
/tmp, with the project's .venv and .tools linked in) with a web dir of its own:

- front-end build: `scripts/prod.sh build` (compile + Vite), once untimed (it installs the
  node packages), then `--runs` timed builds per arm, alternating before/after;
- then each arm serves (`scripts/prod.sh serve`, one worker, the Redis state manager on
  127.0.0.1:6379, one SQLite file with the demo data) and headless Chromium signs the demo
  client in with English and with German browser settings (Accept-Language), and loads
  /client/invoices in a fresh browser profile (cold cache): the bytes the page load transfers
  over HTTP (encodedDataLength: headers and compressed bodies) and what the websocket brings
  down, the size of that tab's state in Redis (the pickled states under its token), the
  websocket bytes of one event after that (a click to the dashboard: the navigation's
  on_load and its delta), and a reload (warm cache).

    .venv/bin/python bench/i18n_cost.py
    .venv/bin/python bench/i18n_cost.py --before 1307fa7 --runs 2

Progress goes to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal_app.core import i18n  # noqa: E402
from portal_app.demo.seed import CLIENT_EMAIL, DEMO_PASSWORD  # noqa: E402

CHROME = shutil.which("chromium") or "/usr/bin/chromium"
START_SECONDS = 600
REDIS_URL = "redis://127.0.0.1:6379/0"
# Browser settings per measured language: (Playwright locale, Accept-Language).
BROWSERS = {"en": ("en-US", "en-US,en;q=0.9"), "de": ("de-DE", "de-DE,de;q=0.9,en;q=0.5")}
# The invoice list's heading per language: the page is done when it shows.
HEADINGS = {"en": "Invoices", "de": "Rechnungen"}
DASHBOARD = {"en": "Dashboard", "de": "Übersicht"}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def packed(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


# --------------------------------------------------------------------------- catalog sizes


def catalog_table(web: Path | None) -> str:
    """Per language: the whole catalog (ui_text before) and the static catalog in `web`."""
    folder = web / "public" / "i18n" if web else None
    lines = [
        "| language | ui_text strings | ui_text JSON bytes | gzip | "
        "static catalog strings | JSON bytes | gzip |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for lang in i18n.SHIPPED_LANGUAGES:
        whole = i18n.translated_strings(lang)
        data = json.dumps(whole, ensure_ascii=False, separators=(",", ":")).encode()
        static = "| - | - | - |"
        files = sorted(folder.glob(f"{lang}.*.json")) if folder and folder.is_dir() else []
        if files:
            content = files[-1].read_bytes()
            static = f"| {len(json.loads(content))} | {len(content):,} | {packed(content):,} |"
        elif lang == i18n.SOURCE_LANGUAGE:
            static = "| 0 (no file) | 0 | 0 |"
        lines.append(f"| {lang} | {len(whole)} | {len(data):,} | {packed(data):,} {static}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- arms


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worktree(rev: str, arm: str) -> Path:
    """A git worktree of `rev` under /tmp with the project's .venv and .tools linked in."""
    full = subprocess.run(
        ["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    tree = Path(tempfile.gettempdir()) / f"wt-i18n-cost-{arm}-{full[:10]}"
    if not tree.exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), full],
            cwd=ROOT,
            check=True,
            stdout=sys.stderr,
        )
    for name in (".venv", ".tools"):
        link = tree / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    return tree


def arm_env(tree: Path, web: Path, port: int, database_url: str) -> dict[str, str]:
    base = f"http://localhost:{port}"
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "PORTAL_BASE_URL": base,
        "REFLEX_API_URL": base,
        "REFLEX_WEB_WORKDIR": str(web),
        "PYTHONPATH": str(tree),
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
    env.pop("REFLEX_REDIS_URL", None)
    return env


def build(tree: Path, env: dict[str, str], log: Path) -> float:
    """Seconds of `scripts/prod.sh build` (compile every page, then the Vite build)."""
    started = time.perf_counter()
    with log.open("ab") as out:
        done = subprocess.run(
            [str(tree / "scripts" / "prod.sh"), "build"],
            cwd=tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"build failed in {tree}; see {log}")
    return time.perf_counter() - started


def answers(url: str) -> bool:
    with (
        suppress(OSError, urllib.error.URLError),
        urllib.request.urlopen(url, timeout=3) as response,  # noqa: S310 - our own server
    ):
        return response.status == 200 and b"<html" in response.read(4096).lower()
    return False


@contextmanager
def serving(tree: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`scripts/prod.sh serve` of `tree` until the block ends; yields its base URL."""
    base = env["PORTAL_BASE_URL"]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(tree / "scripts" / "prod.sh"), "serve"],
            cwd=tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not answers(f"{base}/client/login"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{tree} did not serve; see {log}")
            time.sleep(1)
        yield base
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --------------------------------------------------------------------------- one page load


class Traffic:
    """Bytes a page moves, read from Chromium's network events (CDP)."""

    def __init__(self, cdp) -> None:
        self.http = 0
        self.ws_down = 0
        self.ws_up = 0
        self.catalog_requests = 0
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.webSocketFrameReceived", self._down)
        cdp.on("Network.webSocketFrameSent", self._up)

    def reset(self) -> None:
        self.http = self.ws_down = self.ws_up = self.catalog_requests = 0

    def _finished(self, event) -> None:
        self.http += int(event.get("encodedDataLength", 0))

    def _request(self, event) -> None:
        if "/i18n/" in event["request"]["url"]:
            self.catalog_requests += 1

    def _down(self, event) -> None:
        self.ws_down += len(event["response"]["payloadData"].encode())

    def _up(self, event) -> None:
        self.ws_up += len(event["response"]["payloadData"].encode())


def settle(page, lang: str, heading: str) -> None:
    """Wait until the page shows `heading` in `lang` and the network has gone quiet."""
    page.wait_for_function(
        "([lang, text]) => document.documentElement.lang.startsWith(lang) && "
        "[...document.querySelectorAll('#main h1')].some((h) => h.textContent.trim() === text)",
        arg=[lang, heading],
        timeout=120_000,
    )
    page.wait_for_load_state("networkidle")
    time.sleep(1.5)


def tab_state_bytes(token: str) -> int:
    """The size of the tab's pickled states in Redis (every key under its token)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    total = 0
    for key in client.scan_iter(match=f"{token}*", count=1000):
        if not key.endswith(b"_lock"):
            total += int(client.strlen(key))
    return total


def measure(base: str, lang: str) -> dict[str, float]:
    """Sign the demo client in with `lang`'s browser settings, then measure a cold load of
    /client/invoices, its tab's state in Redis, one navigation event and a warm reload."""
    from playwright.sync_api import sync_playwright

    locale, accept = BROWSERS[lang]
    settings = {"locale": locale, "extra_http_headers": {"Accept-Language": accept}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROME, args=["--no-sandbox", "--disable-gpu"])
        signing = browser.new_context(base_url=base, **settings)
        page = signing.new_page()
        page.goto("/client/login")
        page.wait_for_function(
            "() => { const el = document.querySelector('#email');"
            " return !!el && !el.disabled"
            " && Object.keys(el).some(k => k.startsWith('__reactProps')); }",
            timeout=120_000,
        )
        page.locator("#email").fill(CLIENT_EMAIL)
        page.locator("#password").fill(DEMO_PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_url(re.compile(r"/client/dashboard/?$"), timeout=120_000)
        cookies = signing.cookies()
        signing.close()

        # A fresh profile (cold cache) holding only the session cookie.
        context = browser.new_context(base_url=base, **settings)
        context.add_cookies(cookies)
        page = context.new_page()
        traffic = Traffic(context.new_cdp_session(page))
        page.goto("/client/invoices")
        settle(page, lang, HEADINGS[lang])
        figures: dict[str, float] = {
            "load_http": traffic.http,
            "load_ws": traffic.ws_down,
            "catalog_requests": traffic.catalog_requests,
        }
        token = page.evaluate("() => sessionStorage.getItem('token')")
        figures["redis_state"] = tab_state_bytes(token)

        traffic.reset()
        nav = page.locator("nav a[href$='/client/dashboard']").first
        nav.click()
        page.wait_for_url(re.compile(r"/client/dashboard/?$"))
        settle(page, lang, DASHBOARD[lang])
        figures["event_ws_down"] = traffic.ws_down
        figures["event_ws_up"] = traffic.ws_up

        traffic.reset()
        page.goto("/client/invoices")
        settle(page, lang, HEADINGS[lang])
        figures["warm_http"] = traffic.http
        figures["warm_ws"] = traffic.ws_down
        figures["warm_catalog_requests"] = traffic.catalog_requests
        browser.close()
    return figures


# --------------------------------------------------------------------------- the table


def cell(values: list[float], unit: str = "") -> str:
    if not values:
        return "-"
    mid = statistics.median(values)
    if unit == "s":
        return f"{mid:.1f} s ({min(values):.1f}-{max(values):.1f})"
    return f"{mid:,.0f}" + (f" ({min(values):,.0f}-{max(values):,.0f})" if len(values) > 1 else "")


ROWS = [
    ("page load, cold cache: HTTP bytes", "load_http"),
    ("page load, cold cache: websocket bytes down", "load_ws"),
    ("page load, cold cache: catalog requests", "catalog_requests"),
    ("tab state in Redis, bytes", "redis_state"),
    ("one event (click to the dashboard): websocket bytes down", "event_ws_down"),
    ("one event: websocket bytes up", "event_ws_up"),
    ("reload, warm cache: HTTP bytes", "warm_http"),
    ("reload, warm cache: websocket bytes down", "warm_ws"),
    ("reload, warm cache: catalog requests", "warm_catalog_requests"),
]


def compare(before: str, after: str, runs: int, pages: int, keep: bool) -> None:
    trees = {"before": worktree(before, "before"), "after": worktree(after, "after")}
    work = Path(tempfile.mkdtemp(prefix="i18n-cost-"))
    say(f"work folder {work}")
    try:
        database_url = f"sqlite:///{work / 'portal.db'}"
        port = free_port()
        webs = {arm: work / f"web-{arm}" for arm in trees}
        envs = {arm: arm_env(tree, webs[arm], port, database_url) for arm, tree in trees.items()}
        python = str(ROOT / ".venv" / "bin" / "python")
        for step in ("migrate", "seed-demo"):
            subprocess.run(
                [python, "-m", "portal_app.cli", step],
                cwd=trees["after"],
                env=envs["after"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        for arm in trees:
            say(f"==> {arm}: first build (installs the node packages; not timed)")
            build(trees[arm], envs[arm], work / f"build-{arm}.log")
        seconds: dict[str, list[float]] = {arm: [] for arm in trees}
        for n in range(runs):
            for arm in trees:
                took = build(trees[arm], envs[arm], work / f"build-{arm}.log")
                seconds[arm].append(took)
                say(f"    {arm} build {n + 1}: {took:.1f} s")
        figures: dict[tuple[str, str], list[dict[str, float]]] = {}
        for n in range(pages):
            for arm in trees:
                with serving(trees[arm], envs[arm], work / f"serve-{arm}.log") as base:
                    for lang in BROWSERS:
                        result = measure(base, lang)
                        figures.setdefault((arm, lang), []).append(result)
                        say(f"    {arm} {lang} round {n + 1}: {result}")
        load = os.getloadavg()

        print(f"before = {before}, after = {after}; {os.cpu_count()} CPUs, load average at the end")
        print(f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; median (min-max)\n")
        print("| measure | before | after |")
        print("|---|---:|---:|")
        print(
            f"| front-end build (`scripts/prod.sh build`, {runs} runs) | "
            f"{cell(seconds['before'], 's')} | {cell(seconds['after'], 's')} |"
        )
        for lang in BROWSERS:
            for label, key in ROWS:
                values = {arm: [f[key] for f in figures.get((arm, lang), [])] for arm in trees}
                print(f"| {lang}: {label} | {cell(values['before'])} | {cell(values['after'])} |")
        print()
        print(catalog_table(webs["after"]))
    finally:
        if keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """The catalog table, or with --before the whole comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", help="commit with the ui_text state var (compare mode)")
    parser.add_argument("--after", default="HEAD", help="commit with the static catalogs")
    parser.add_argument("--runs", type=int, default=2, help="timed builds per arm")
    parser.add_argument("--pages", type=int, default=1, help="measured rounds per arm")
    parser.add_argument("--web", type=Path, help="a built web dir for the quick table")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if args.before:
        compare(args.before, args.after, args.runs, args.pages, args.keep)
    else:
        print(catalog_table(args.web))


if __name__ == "__main__":
    main()
