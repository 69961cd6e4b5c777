"""Click to screen on the client invoice list: ticking a row, the next page, opening an invoice.

What it does, all on this machine and in a temporary folder (deleted at the end):

1. serves the portal in production mode (`reflex run --env prod --single-port`, as the demo
   and the browser tests do) with the demo data plus `--extra-invoices` more invoices for the
   demo client (so the list has full pages), on a fresh SQLite file, its own `.web` folder
   (REFLEX_WEB_WORKDIR, so the browser tests' build is left alone) and a localstripe;
2. signs the demo client in through the sign-in form in Chromium (Playwright) and opens
   /client/invoices (25 rows a page);
3. `--runs` times, interleaved: ticks (then unticks) a row's checkbox, the same again while
   the first row stays ticked (the selection's callout already shown), turns to the next page
   (then back, untimed), opens an invoice (another one each run), and goes back to the list
   by the invoice page's link (the list shows the rows the tab holds at once, then the
   server's reload: that is the list's first render);
4. prints, per action, the median and min-max of:
   - **click to screen**: from the click event (its `timeStamp`) to the first frame painted
     after the page shows the answer (a `requestAnimationFrame`, then a task: the frame that
     holds the change has been handed to the compositor);
   - **answer to screen**: from the last websocket message before that frame (the server's
     update) to the same point: what the browser spends rendering the answer;
   - **main thread ms**: how long the page's main thread was busy in between (Chrome's
     `TaskDuration` metric, before the click and after the frame): the browser's work for
     the click whatever the server adds in waiting (on a busy machine it still includes the
     time the renderer waited for a core); **of it script ms** (`ScriptDuration`) and
     **style+layout ms** (`RecalcStyleDuration` + `LayoutDuration`).

    .venv/bin/python bench/click_to_screen.py --runs 15
    .venv/bin/python bench/click_to_screen.py --runs 15 --compare HEAD~3
    .venv/bin/python bench/click_to_screen.py --runs 9 --cpu-slowdown 4

`--compare REV` also serves REV from a git worktree (in the temporary folder, with this
checkout's `.venv` and `.tools` linked in; removed at the end), each tree with its own build
and database, and measures both in the same interleaved runs: before and after side by side.
`--after REV` measures REV (a worktree too) instead of this checkout as it is (a shared
checkout may hold someone's unfinished edits). `--cpu-slowdown N` throttles the page's CPU N
times (Chrome DevTools' setting; Lighthouse's mobile runs use 4).

Not part of the test command: each tree needs a production front-end build (a few minutes).
The machine's load average is printed with the table: the figures move with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import lighthouse as lh  # noqa: E402  (the serving helpers of bench/lighthouse.py)

from portal_app.demo.seed import CLIENT_EMAIL, DEMO_PASSWORD  # noqa: E402

ROW = '[data-testid="invoice-row"]'
ACTIONS = ("row toggle", "row toggle, one ticked", "next page", "open invoice", "back to list")

# Loaded before the portal's scripts: notes when each websocket message arrives, and offers
# `__clickToScreen(check, arg)`, which resolves once `check(arg)` holds after the next click
# and a frame has been painted. Conditions are named functions here (not code sent as text):
# the portal's Content-Security-Policy allows no eval.
PAGE_HELPERS = r"""
(() => {
  const Native = window.WebSocket;
  window.__lastMessage = 0;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => { window.__lastMessage = performance.now(); });
    }
  };
  const spinning = () =>
    [...document.querySelectorAll(".rt-Spinner")].some((s) => s.getClientRects().length > 0);
  const checks = {
    // The checkbox of row `arg.row` (1-based) shows `arg.checked`.
    checked: (arg) => {
      const box = document.querySelector(
        `[data-testid="invoice-row"]:nth-child(${arg.row}) [role="checkbox"],` +
        `[data-testid="invoice-row"]:nth-child(${arg.row}) input[type="checkbox"]`);
      if (!box) return false;
      const state = box.matches("input") ? String(box.checked) : box.getAttribute("aria-checked");
      return state === String(arg.checked);
    },
    // The list's first row is not `arg.first` any more, and nothing is loading.
    firstRowIsNot: (arg) => {
      const link = document.querySelector('[data-testid="invoice-row"] a');
      return !!link && link.textContent !== arg.first && !spinning();
    },
    // The list shows `arg.first` in its first row, and nothing is loading.
    firstRowIs: (arg) => {
      const link = document.querySelector('[data-testid="invoice-row"] a');
      return !!link && link.textContent === arg.first && !spinning()
        && /\/client\/invoices\/?$/.test(location.pathname);
    },
    // An invoice page with `arg.number` in its heading, nothing loading.
    invoiceShown: (arg) => {
      const h1 = document.querySelector("#main h1");
      return /\/client\/invoices\/\d+/.test(location.pathname) && !!h1
        && h1.textContent.includes(arg.number) && !spinning();
    },
  };
  window.__clickToScreen = (name, arg) => {
    const check = checks[name];
    window.__measured = new Promise((resolve) => {
      let clicked = null;
      let done = false;
      const finish = () => {
        done = true;
        observer.disconnect();
        // The frame holding the change: rAF runs before its paint, the task after it.
        requestAnimationFrame(() => setTimeout(() => resolve({
          click: clicked,
          screen: performance.now(),
          message: window.__lastMessage,
        }), 0));
      };
      const test = () => { if (!done && clicked !== null && check(arg)) finish(); };
      const observer = new MutationObserver(test);
      observer.observe(document, {
        subtree: true, childList: true, attributes: true, characterData: true,
      });
      window.addEventListener("click", (event) => {
        clicked = event.timeStamp;
        // A state that changes without a DOM mutation (a URL) is caught frame by frame.
        const poll = () => { test(); if (!done) requestAnimationFrame(poll); };
        requestAnimationFrame(poll);
      }, { capture: true, once: true });
    });
  };
})();
"""


@dataclass
class Figures:
    """Click-to-screen and answer-to-screen times of one action in one tree, in ms."""

    screen: list[float] = field(default_factory=list)
    render: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    script: list[float] = field(default_factory=list)
    layout: list[float] = field(default_factory=list)

    def add(self, times: dict[str, float]) -> None:
        for name, value in times.items():
            getattr(self, name).append(value)

    @staticmethod
    def cell(values: list[float]) -> str:
        if not values:
            return "-"
        return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def add_invoices(database_url: str, count: int) -> None:
    """`count` more sent invoices for the demo client, issued over the last months."""
    from sqlmodel import Session, select

    import portal_app.models  # noqa: F401  (registers tables)
    from portal_app.core.db import make_engine
    from portal_app.models import Client, ClientContact
    from tests.helpers.factories import add_invoice

    engine = make_engine(database_url)
    with Session(engine) as session:
        query = select(ClientContact).where(ClientContact.email == CLIENT_EMAIL)
        contact = session.exec(query).one()
        client = session.get(Client, contact.client_id)
        assert client is not None
        today = date.today()
        for i in range(count):
            add_invoice(
                session,
                client,
                number=f"BENCH-{i + 1:04d}",
                status="paid" if i % 3 else "sent",
                paid_minor=0 if i % 3 == 0 else 120_00,
                issue_date=today - timedelta(days=20 + 9 * i),
            )
        session.commit()
    engine.dispose()


@contextmanager
def worktree(folder: Path, revision: str, name: str):
    """A checkout of `revision` in `folder`/`name` with this checkout's .venv and .tools."""
    path = folder / name
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


def prepare_tree(tree: Path, env: dict[str, str], extra_invoices: int) -> None:
    """Migrate and seed the tree's database with the tree's own code, then add invoices."""
    for step in ("migrate", "seed-demo"):
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "-m", "portal_app.cli", step],
            cwd=tree,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    add_invoices(env["DATABASE_URL"], extra_invoices)


def sign_in(page) -> None:
    """The demo client through the sign-in form, then the invoice list, settled."""
    import re

    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.goto("/client/login")
    # The sign-in page binds the browser first (a redirect to ?bound=1, as bench/lighthouse.py
    # waits for); a tree without that step shows the form directly.
    with suppress(PlaywrightTimeoutError):
        page.wait_for_url(re.compile(r"bound=1"), timeout=20_000)
    page.wait_for_function(
        "() => { const el = document.querySelector('#email');"
        " return !!el && Object.keys(el).some(k => k.startsWith('__reactProps')); }"
    )
    page.locator("#email").fill(CLIENT_EMAIL)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/client/dashboard/?$"), timeout=60_000)
    page.goto("/client/invoices")
    settle(page)


def settle(page) -> None:
    """Wait for list rows and no visible spinner."""
    page.locator(ROW).first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.rt-Spinner')]"
        ".some(s => s.getClientRects().length > 0)",
        timeout=60_000,
    )


# Chrome's main-thread time so far (Performance.getMetrics, seconds): all tasks, JavaScript,
# and style recalculation plus layout.
BUSY = {"busy": ("TaskDuration",), "script": ("ScriptDuration",)}
BUSY["layout"] = ("RecalcStyleDuration", "LayoutDuration")


def busy_ms(cdp) -> dict[str, float]:
    """The page's main-thread times so far (see BUSY), in ms."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: 1000 * sum(metrics[k] for k in keys) for name, keys in BUSY.items()}


def timed_click(page, cdp, locator, check: str, arg: dict) -> dict[str, float]:
    """Click `locator` and wait for `check(arg)` on screen: click to screen, answer to screen
    and the main thread's times in between, in ms."""
    locator.wait_for()
    page.evaluate("([name, arg]) => window.__clickToScreen(name, arg)", [check, arg])
    before = busy_ms(cdp)
    locator.click()
    times = page.evaluate("() => window.__measured")
    after = busy_ms(cdp)
    return {
        "screen": times["screen"] - times["click"],
        "render": times["screen"] - max(times["message"], times["click"]),
        **{name: after[name] - before[name] for name in BUSY},
    }


# Whether the first row's checkbox shows `arg` (ticked or not): Radix's (a button with
# aria-checked) or a native one (since the rows' native checkboxes).
FIRST_BOX_IS = """(arg) => {
  const row = document.querySelector('[data-testid="invoice-row"]');
  const box = row?.querySelector('[role="checkbox"], input[type="checkbox"]');
  if (!box) return false;
  const state = box.matches("input") ? String(box.checked) : box.getAttribute("aria-checked");
  return state === String(arg);
}"""


def first_number(page) -> str:
    return page.locator(f"{ROW} a").first.inner_text()


def measure_round(page, cdp, run: int, results: dict[str, Figures]) -> None:
    """One of each action on `page` (signed in, on the list's first page; `cdp` its DevTools
    session)."""
    # Row toggle: a different row each run, ticked then unticked (both timed).
    row = 2 + run % 20
    box = page.locator(f"{ROW}:nth-child({row})").get_by_role("checkbox")
    for checked in (True, False):
        results["row toggle"].add(
            timed_click(page, cdp, box, "checked", {"row": row, "checked": checked})
        )
    # The same while the first row stays ticked: the selection's callout is shown already,
    # so this is the row alone (the first tick of a page also brings the callout in).
    first_box = page.locator(f"{ROW}:nth-child(1)").get_by_role("checkbox")
    first_box.click()
    page.wait_for_function(FIRST_BOX_IS, arg=True)
    for checked in (True, False):
        results["row toggle, one ticked"].add(
            timed_click(page, cdp, box, "checked", {"row": row, "checked": checked})
        )
    first_box.click()
    page.wait_for_function(FIRST_BOX_IS, arg=False)
    # Next page, then back (untimed).
    first = first_number(page)
    results["next page"].add(
        timed_click(
            page, cdp, page.get_by_role("button", name="Next"), "firstRowIsNot", {"first": first}
        )
    )
    page.get_by_role("button", name="Previous").click()
    page.wait_for_function(
        "(first) => document.querySelector('[data-testid=\"invoice-row\"] a')?.textContent"
        " === first",
        arg=first,
    )
    settle(page)
    # Open an invoice (another one each run: the tab's state still holds the last one shown),
    # then back to the list by the page's own link.
    link = page.locator(f"{ROW}:nth-child({1 + run % 25}) a")
    number = link.inner_text()
    results["open invoice"].add(timed_click(page, cdp, link, "invoiceShown", {"number": number}))
    back = page.locator("#main a[href$='/client/invoices'], #main a[href$='/client/invoices/']")
    results["back to list"].add(timed_click(page, cdp, back.first, "firstRowIs", {"first": first}))
    settle(page)


def table(results: dict[str, dict[str, Figures]]) -> str:
    """Markdown: one row per action and tree, median (min-max) in ms."""
    lines = [
        "| action | tree | click to screen ms | answer to screen ms | main thread ms "
        "| of it script ms | of it style+layout ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for action in ACTIONS:
        for tree, figures in results.items():
            f = figures[action]
            cells = " | ".join(
                Figures.cell(values) for values in (f.screen, f.render, f.busy, f.script, f.layout)
            )
            lines.append(f"| {action} | {tree} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="rounds of the actions (default 15)")
    parser.add_argument("--compare", metavar="REV", help="also measure this git revision")
    parser.add_argument(
        "--after", metavar="REV", help="measure this revision (a worktree) instead of the checkout"
    )
    parser.add_argument("--cpu-slowdown", type=float, default=1, help="CPU throttling rate")
    parser.add_argument("--extra-invoices", type=int, default=60, help="added to the demo's")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    env = lh.tool_env()
    folder = Path(tempfile.mkdtemp(prefix="click-to-screen-"))
    print(f"work folder {folder}", file=sys.stderr)
    try:
        with ExitStack() as stack:
            trees: dict[str, Path] = {}
            if args.compare:
                trees[f"before ({args.compare})"] = stack.enter_context(
                    worktree(folder, args.compare, "before")
                )
            after = "after" if args.compare else "this tree"
            if args.after:
                trees[f"{after} ({args.after})"] = stack.enter_context(
                    worktree(folder, args.after, "after")
                )
            else:
                trees[after] = ROOT
            stripe_base = stack.enter_context(lh.localstripe(folder))
            bases: dict[str, str] = {}
            for index, (name, tree) in enumerate(trees.items()):
                port = lh.free_port()
                data = folder / f"tree-{index}"
                data.mkdir()
                tree_env = lh.portal_env(data, env, port, stripe_base, "web")
                tree_env["PYTHONPATH"] = str(tree)
                prepare_tree(tree, tree_env, args.extra_invoices)
                print(f"building and starting {name} (a few minutes) ...", file=sys.stderr)
                bases[name] = stack.enter_context(
                    lh.serving(lh.reflex_prod(port), tree, tree_env, port, data / "server.log")
                )
            pw = stack.enter_context(sync_playwright())
            browser = pw.chromium.launch(executable_path=lh.CHROME, args=["--no-sandbox"])
            stack.callback(browser.close)
            pages = {}
            for name, base in bases.items():
                context = browser.new_context(
                    base_url=base, viewport={"width": 1280, "height": 960}
                )
                context.add_init_script(PAGE_HELPERS)
                page = context.new_page()
                page.set_default_timeout(30_000)
                sign_in(page)
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                if args.cpu_slowdown != 1:
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu_slowdown})
                pages[name] = (page, cdp)
            results = {name: {action: Figures() for action in ACTIONS} for name in trees}
            load_before = os.getloadavg()
            for run in range(args.runs):
                for name, (page, cdp) in pages.items():
                    measure_round(page, cdp, run, results[name])
                print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
            load_after = os.getloadavg()
        print(table(results))
        print(
            f"\nload average (1, 5, 15 min) before {load_before[0]:.1f} {load_before[1]:.1f} "
            f"{load_before[2]:.1f}, after {load_after[0]:.1f} {load_after[1]:.1f} "
            f"{load_after[2]:.1f}; {os.cpu_count()} cores; CPU slowdown {args.cpu_slowdown:g}x; "
            f"{args.runs} runs (row toggles: 2 clicks a run)"
        )
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
