"""Lighthouse on the portal's pages beside a blank Reflex app of the same version, in one run.

What it does, all on this machine and in a temporary folder (deleted at the end):

1. installs Lighthouse (npm, `LIGHTHOUSE_VERSION`) into `.tools/lighthouse` if it is not there;
2. makes a blank Reflex app (`reflex init --template blank`) and serves it in production mode on
   one port, as the portal's demo does;
3. serves the portal in production mode with its demo data on a fresh SQLite file, its own
   `.web` folder (REFLEX_WEB_WORKDIR, so the browser tests' build is left alone) and a
   localstripe for the pay page;
4. signs the demo client in through the sign-in form in Chromium (Playwright) and hands the
   session cookies to Lighthouse as a request header;
5. runs Lighthouse (mobile defaults, headless Chromium) `--runs` times on each page, each page
   run right after a run on the blank app, and prints median (min-max) of performance,
   accessibility, KiB transferred, requests, LCP, TBT and CLS, with the ratio to the blank app.
   With two arms (`--compare`, `--before`), every other run takes them in the opposite order;
   `--reports DIR` keeps every run's JSON report (to compare the audits afterwards).

    .venv/bin/python bench/lighthouse.py --runs 3
    .venv/bin/python bench/lighthouse.py --pages login,invoices --runs 5
    .venv/bin/python bench/lighthouse.py --pages invoices,dashboard,invoice --compare vendor-chunk

`--compare` builds and serves the portal twice, with one of the front-end build switches off
and on (`vendor-chunk`: PORTAL_VENDOR_CHUNK, portal_app/reflex_ext/vendor_chunk.py;
`radix-css`: PORTAL_RADIX_CSS_TRIM, portal_app/reflex_ext/radix_css.py), each in its own
`.web`, and measures both beside the blank app in the same interleaved runs.

Not part of the test command: it takes several minutes (two production front-end builds, then
about 15 s per Lighthouse run). Scores move with machine load; both apps are measured in the
same minutes, so compare the ratio column.
"""

from __future__ import annotations

import argparse
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
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE_VERSION = "12.2.3"  # 13.x needs Node 22 (ENVIRONMENT.md)
LIGHTHOUSE_DIR = ROOT / ".tools" / "lighthouse"
CHROME = shutil.which("chromium") or "/usr/bin/chromium"
START_SECONDS = 600  # a production build installs the front end's packages the first time

sys.path.insert(0, str(ROOT))
from portal_app.demo.seed import CLIENT_EMAIL, DEMO_PASSWORD  # noqa: E402

# Page name -> how to reach it ("{invoice}" is the first invoice in the demo client's list).
PAGES: dict[str, tuple[str, bool]] = {
    "login": ("/client/login", False),
    "dashboard": ("/client/dashboard", True),
    "invoices": ("/client/invoices", True),
    "invoice": ("{invoice}", True),
    "pay": ("/client/pay?all=USD", True),
    "statement": ("/client/statement", True),
    "staff login": ("/staff/login", False),
}


# Front-end build switches `--compare` can measure off and on (core/settings.py).
SWITCHES = {"vendor-chunk": "PORTAL_VENDOR_CHUNK", "radix-css": "PORTAL_RADIX_CSS_TRIM"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tool_env() -> dict[str, str]:
    """The environment scripts/env.sh sets up (offline Reflex, project bun and Node first)."""
    env = dict(os.environ)
    env["PATH"] = (
        f"{ROOT / '.venv' / 'bin'}:{ROOT / '.tools' / 'node_modules' / '.bin'}:{env['PATH']}"
    )
    env.update(
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
    )
    with suppress(OSError, subprocess.CalledProcessError):
        env["NPM_CONFIG_REGISTRY"] = subprocess.run(
            ["npm", "config", "get", "registry"], capture_output=True, text=True, check=True
        ).stdout.strip()
    return env


def lighthouse_bin() -> Path:
    """The Lighthouse CLI, installed from the npm registry the first time."""
    cli = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not cli.exists():
        print(f"installing lighthouse@{LIGHTHOUSE_VERSION} ...", file=sys.stderr)
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(LIGHTHOUSE_DIR), f"lighthouse@{LIGHTHOUSE_VERSION}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return cli


@contextmanager
def serving(cmd: list[str], cwd: Path, env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """Run `cmd` until the block ends; yield its base URL once /ping answers."""
    base = f"http://localhost:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{cmd[0]} stopped; see {log}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{base} did not start in {START_SECONDS} s; see {log}")
            # The front end answers only after the build, the backend's /ping before it.
            with suppress(OSError), urllib.request.urlopen(f"{base}/", timeout=2) as page:  # noqa: S310
                if b"<html" in page.read(4096).lower():
                    break
            time.sleep(1)
        yield base
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def reflex_prod(port: int) -> list[str]:
    """`reflex run` serving the built front end and the backend on one port."""
    return [
        str(ROOT / ".venv" / "bin" / "reflex"),
        "run",
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        str(port),
        "--backend-port",
        str(port),
    ]


def make_blank_app(folder: Path, env: dict[str, str]) -> Path:
    """A blank Reflex app (the installed Reflex's own template) in `folder`/blank."""
    app = folder / "blank"
    app.mkdir()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "reflex"), "init", "--template", "blank", "--no-agents"],
        cwd=app,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # Same as the portal's rxconfig: no framework badge on production pages.
    config = app / "rxconfig.py"
    config.write_text(
        config.read_text().replace("rx.Config(", "rx.Config(\n    show_built_with_reflex=False,", 1)
    )
    return app


@contextmanager
def localstripe(folder: Path) -> Iterator[str]:
    """A localstripe server (fake Stripe and Stripe.js) for the pay page."""
    port = free_port()
    log = (folder / "localstripe.log").open("ab")
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "localstripe"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        yield f"http://localhost:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def portal_env(
    folder: Path, env: dict[str, str], port: int, stripe_base: str, web: str = "portal-web"
) -> dict[str, str]:
    """The demo's settings (scripts/demo.sh) on a fresh SQLite file and a private .web."""
    base = f"http://localhost:{port}"
    portal = dict(env)
    for stray in ("REDIS_URL", "REFLEX_REDIS_URL", "PORTAL_ENV"):
        portal.pop(stray, None)
    portal.update(
        DATABASE_URL=f"sqlite:///{folder / 'portal.db'}",
        PORTAL_BASE_URL=base,
        REFLEX_API_URL=base,
        REFLEX_WEB_WORKDIR=str(folder / web),
        DOCUMENTS_ROOT=str(folder / "documents"),
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_PUBLISHABLE_KEY="pk_test_bench",
        STRIPE_WEBHOOK_SECRET="whsec_bench",
        STRIPE_API_BASE=stripe_base,
        STRIPE_JS_URL=f"{stripe_base}/js.stripe.com/v3/",
    )
    return portal


def signed_in_cookies(base: str) -> tuple[str, str]:
    """Sign the demo client in through the form; the Cookie header and the first invoice's path."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROME, args=["--no-sandbox"])
        page = browser.new_page(base_url=base)
        page.goto("/client/login")
        # The form is usable once React has it and the page holds its sign-in binding (with
        # the page since d11e526; through a ?bound=1 round trip before).
        page.wait_for_function(
            "() => { const el = document.querySelector('#email');"
            " return !!el && !el.disabled"
            " && Object.keys(el).some(k => k.startsWith('__reactProps')); }",
            timeout=60_000,
        )
        page.locator("#email").fill(CLIENT_EMAIL)
        page.locator("#password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(re.compile(r"/client/dashboard/?$"), timeout=60_000)
        page.goto("/client/invoices")
        # The first invoice's link (not the skip link to the list's #main).
        href = page.wait_for_function(
            "() => [...document.querySelectorAll(\"a[href*='/client/invoices/']\")]"
            ".map(a => a.getAttribute('href'))"
            ".find(h => !h.includes('#') && !/\\/client\\/invoices\\/?$/.test(h))",
            timeout=60_000,
        ).json_value()
        invoice = re.sub(r"^https?://[^/]+", "", str(href))
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
        browser.close()
    return cookies, invoice


@dataclass
class Runs:
    """Lighthouse results of one page, one dict of figures per run."""

    figures: list[dict[str, float]] = field(default_factory=list)
    landed: set[str] = field(default_factory=set)

    def median(self, key: str) -> float:
        return statistics.median(f[key] for f in self.figures)

    def cell(self, key: str, fmt: str) -> str:
        values = [f[key] for f in self.figures]
        low, mid, high = (
            format(v, fmt) for v in (min(values), statistics.median(values), max(values))
        )
        return f"{mid} ({low}-{high})"


def lighthouse(
    cli: Path, url: str, headers: dict[str, str], folder: Path, keep_as: Path | None = None
) -> tuple[dict[str, float], str]:
    """One Lighthouse run (mobile defaults): its figures and the URL it ended on.

    With `keep_as`, the run's JSON report is copied there (to compare audits later).
    """
    extra = folder / "headers.json"
    extra.write_text(json.dumps(headers))
    report = folder / "report.json"
    cmd = [
        str(cli),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        "--only-categories=performance,accessibility",
        "--chrome-flags=--headless=new --no-sandbox",
    ]
    if headers:
        cmd.append(f"--extra-headers={extra}")
    subprocess.run(
        cmd, check=True, env={**os.environ, "CHROME_PATH": CHROME}, stdout=subprocess.DEVNULL
    )
    if keep_as is not None:
        shutil.copyfile(report, keep_as)
    data = json.loads(report.read_text())
    audits = data["audits"]
    figures = {
        "perf": data["categories"]["performance"]["score"] or 0.0,
        "a11y": data["categories"]["accessibility"]["score"] or 0.0,
        "kib": audits["total-byte-weight"]["numericValue"] / 1024,
        "requests": float(len(audits["network-requests"]["details"]["items"])),
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "longest": max(
            (task["duration"] for task in audits["long-tasks"]["details"]["items"]), default=0.0
        ),
    }
    return figures, data.get("finalDisplayedUrl") or data.get("finalUrl") or url


def table(blank: Runs, pages: dict[str, Runs]) -> str:
    """Markdown: one row per page, the blank app first, median (min-max) and ratios."""
    lines = [
        "| page | perf | a11y | KiB | requests | LCP ms | TBT ms | CLS | longest task ms "
        "| perf / blank | KiB / blank | requests / blank |",
        "|---|---|---|---|---|---|---|---|---|---:|---:|---:|",
    ]

    def row(name: str, runs: Runs, ratios: bool) -> str:
        cells = [
            runs.cell("perf", ".2f"),
            runs.cell("a11y", ".2f"),
            runs.cell("kib", ".0f"),
            runs.cell("requests", ".0f"),
            runs.cell("lcp", ".0f"),
            runs.cell("tbt", ".0f"),
            runs.cell("cls", ".3f"),
            runs.cell("longest", ".0f"),
        ]
        if ratios:
            cells += [
                f"{runs.median('perf') / max(blank.median('perf'), 0.01):.2f}",
                f"{runs.median('kib') / blank.median('kib'):.2f}",
                f"{runs.median('requests') / blank.median('requests'):.2f}",
            ]
        else:
            cells += ["1.00", "1.00", "1.00"]
        return f"| {name} | " + " | ".join(cells) + " |"

    lines.append(row("blank Reflex app", blank, ratios=False))
    lines += [row(name, runs, ratios=True) for name, runs in pages.items()]
    return "\n".join(lines)


@contextmanager
def before_tree(folder: Path, revision: str) -> Iterator[Path]:
    """A git worktree of `revision` in `folder` with this checkout's .venv and .tools."""
    path = folder / "before-tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), revision],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        for name in (".venv", ".tools"):
            (path / name).symlink_to(ROOT / name)
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (default 3)")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--reports",
        metavar="DIR",
        type=Path,
        help="keep every run's Lighthouse JSON report in DIR (page, arm and run in the name)",
    )
    parser.add_argument(
        "--compare",
        choices=sorted(SWITCHES),
        help="serve the portal built with this build switch off and on, measure both",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also serve REV (a git worktree) beside this checkout, measure both",
    )
    args = parser.parse_args()
    chosen = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PAGES]
    if unknown:
        raise SystemExit(f"unknown pages {unknown}; choose from {list(PAGES)}")
    if args.before and args.compare:
        raise SystemExit("--before and --compare: one at a time")

    cli = lighthouse_bin()
    env = tool_env()
    folder = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    try:
        print(f"work folder {folder}", file=sys.stderr)
        blank_app = make_blank_app(folder, env)
        # Portal builds to measure: name -> extra environment.
        arms: dict[str, dict[str, str]] = {"": {}}
        if args.compare:
            variable = SWITCHES[args.compare]
            arms = {
                f"{args.compare} off": {variable: "0"},
                f"{args.compare} on": {variable: "1"},
            }
        # The tree each arm is built and served from.
        trees = dict.fromkeys(arms, ROOT)
        if args.before:
            arms = {f"before {args.before}": {}, "after": {"PYTHONPATH": str(ROOT)}}
            trees = {arm: ROOT for arm in arms}
        with localstripe(folder) as stripe_base, ExitStack() as stack:
            if args.before:
                arm = next(iter(arms))
                trees[arm] = stack.enter_context(before_tree(folder, args.before))
                arms[arm] = {"PYTHONPATH": str(trees[arm])}
            blank_port = free_port()
            ports = {arm: free_port() for arm in arms}
            penvs = {
                arm: {
                    **portal_env(folder, env, ports[arm], stripe_base, f"portal-web-{index}"),
                    **extra,
                }
                for index, (arm, extra) in enumerate(arms.items())
            }
            python = str(ROOT / ".venv" / "bin" / "python")
            for step in ("migrate", "seed-demo"):
                subprocess.run(
                    [python, "-m", "portal_app.cli", step],
                    cwd=ROOT,
                    # One database for every arm, made by the newest code (--before's
                    # arm comes first).
                    env=list(penvs.values())[-1],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            print("building and starting the apps (a few minutes each) ...", file=sys.stderr)
            blank_base = stack.enter_context(
                serving(reflex_prod(blank_port), blank_app, env, blank_port, folder / "blank.log")
            )
            bases: dict[str, str] = {}
            for index, arm in enumerate(arms):
                bases[arm] = stack.enter_context(
                    serving(
                        reflex_prod(ports[arm]),
                        trees[arm],
                        penvs[arm],
                        ports[arm],
                        folder / f"portal-{index}.log",
                    )
                )
            sessions = {arm: signed_in_cookies(base) for arm, base in bases.items()}
            blank = Runs()

            def keep(row: str, run: int) -> Path | None:
                """Where to keep this run's report, if --reports asks for them."""
                if args.reports is None:
                    return None
                args.reports.mkdir(parents=True, exist_ok=True)
                return args.reports / f"{re.sub(r'[^A-Za-z0-9]+', '-', row)}-{run + 1}.json"

            results = {
                f"{name} ({arm})" if arm else name: Runs() for name in chosen for arm in arms
            }
            for run in range(args.runs):
                for name in chosen:
                    path, needs_session = PAGES[name]
                    figures, _ = lighthouse(
                        cli, blank_base + "/", {}, folder, keep(f"blank-{name}", run)
                    )
                    blank.figures.append(figures)
                    # Every other run measures the arms in the opposite order, so that
                    # neither always runs right after the blank app (or the other arm).
                    order = list(bases.items())
                    if run % 2:
                        order.reverse()
                    for arm, base in order:
                        cookie, invoice = sessions[arm]
                        row = f"{name} ({arm})" if arm else name
                        url = base + path.format(invoice=invoice)
                        figures, landed = lighthouse(
                            cli,
                            url,
                            {"Cookie": cookie} if needs_session else {},
                            folder,
                            keep(row, run),
                        )
                        results[row].figures.append(figures)
                        results[row].landed.add(re.sub(r"^https?://[^/]+", "", landed))
                        print(
                            f"run {run + 1}/{args.runs} {row}: perf {figures['perf']:.2f}",
                            file=sys.stderr,
                        )
        print(table(blank, results))
        for name, runs in results.items():
            print(f"- {name}: ended on {', '.join(sorted(runs.landed))}")
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
