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
     after the page shows the answer (the task after that frame's `requestAnimationFrame`: the
     frame that holds the change has been handed to the compositor). The change is seen by a
     MutationObserver (between frames: the next frame shows it) or by a poll in each frame's
     `requestAnimationFrame` (a state without a DOM mutation, such as an uncontrolled
     checkbox's `checked` or the URL: that very frame shows it);
   - **same, old method**: as this script measured until 2026-12-07, one more frame after a
     change the poll saw (it waited for the next `requestAnimationFrame` in both cases: a
     frame, 16.7 ms at 60 Hz, too late for a change the poll saw);
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

Clicks are the mouse's (DevTools' Input.dispatchMouseEvent: move, press, release) at the
element's centre, after it is there and scrolled into view, not `locator.click()`, whose
actionability checks (two animation frames of "stable", the hit-target listeners during the
click) ran in the page inside the measured main-thread time. A row toggle waits until neither
a click nor a websocket message came for 400 ms first (the answer to the previous click is in).

`--control` adds the row toggles on a static page (a plain table of 25 native checkboxes, no
script, served from the temporary folder): the floor of the method on this machine (frame
scheduling, DevTools' input, the headless compositor, the helpers' observer and poll);
`--only-control` measures that page alone (nothing built). `--trace DIR`, after the timed
runs, records a Chrome trace of `--trace-rounds` rounds of row toggles per tree (and the
control page) into DIR and prints, per action, the renderer's main thread between click and
frame by kind (script, style, layout, paint and composite, idle...) and by trace event, when
the input reached the page and the next main-thread frame began, **click to display drawn**
(the end of the display compositor's first draw after that frame's commit: the pixels, which
the page's own "click to screen" cannot see) and that draw's time, and a timeline of the
first traced click beside the trace (DIR/<tree>-timeline.txt).

    .venv/bin/python bench/click_to_screen.py --runs 12 --compare HEAD~1 --control --trace /tmp/t
    .venv/bin/python bench/click_to_screen.py --only-control --runs 12 --trace /tmp/t

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
  window.__lastClick = 0;
  window.addEventListener("click", () => { window.__lastClick = performance.now(); }, true);
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
    performance.mark("c2s-armed");
    let resolveOld = null;
    // The method this script used until 2026-12-07 (the "old method" column): always one
    // more animation frame after the change is seen, even when it was seen in a frame.
    window.__measuredOld = new Promise((resolve) => { resolveOld = resolve; });
    window.__measured = new Promise((resolve) => {
      let clicked = null;
      let done = false;
      const report = () => {
        performance.mark("c2s-screen");
        resolve({ click: clicked, screen: performance.now(), message: window.__lastMessage });
      };
      // `inFrame`: seen by the poll, in a frame's requestAnimationFrame callback. The change
      // was made before it, so that frame paints it: the task after it is the point (another
      // rAF would wait for the frame after, one frame (16.7 ms) too late). Seen by the
      // MutationObserver, between frames: the next frame paints it.
      const finish = (inFrame) => {
        done = true;
        observer.disconnect();
        if (inFrame) setTimeout(report, 0);
        else requestAnimationFrame(() => setTimeout(report, 0));
        requestAnimationFrame(() => setTimeout(() => resolveOld(performance.now()), 0));
      };
      const test = (inFrame) => {
        if (!done && clicked !== null && check(arg)) finish(inFrame);
      };
      const observer = new MutationObserver(() => test(false));
      observer.observe(document, {
        subtree: true, childList: true, attributes: true, characterData: true,
      });
      window.addEventListener("click", (event) => {
        clicked = event.timeStamp;
        performance.mark("c2s-click", { startTime: event.timeStamp });
        // A state that changes without a DOM mutation (a URL, an uncontrolled checkbox's
        // `checked`) is caught frame by frame.
        const poll = () => { test(true); if (!done) requestAnimationFrame(poll); };
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
    old: list[float] = field(default_factory=list)
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


# Scrolls an element to the window's middle when its centre is covered by another element.
UNCOVER = """(el) => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  if (hit !== el && !el.contains(hit)) el.scrollIntoView({ block: "center" });
}"""


def timed_click(page, cdp, locator, check: str, arg: dict) -> dict[str, float]:
    """Click `locator` and wait for `check(arg)` on screen: click to screen (and by the old
    method), answer to screen and the main thread's times in between, in ms.

    The click is the mouse's (move, press, release through DevTools) at the element's centre,
    after the element is there and scrolled into view: `locator.click()` also runs
    Playwright's checks in the page (visible, stable over two animation frames, enabled, the
    element that receives the events), which counted in the main thread's time (they ran
    after `before`) and, for the hit-target check, ran listeners in the page during the
    click itself."""
    locator.wait_for()
    locator.scroll_into_view_if_needed()
    # Not under something else (a bar held at the window's foot): then to the middle.
    locator.evaluate(UNCOVER)
    box = locator.bounding_box()
    assert box is not None, "the element to click has no box"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate("([name, arg]) => window.__clickToScreen(name, arg)", [check, arg])
    before = busy_ms(cdp)
    page.mouse.click(x, y)
    times = page.evaluate("() => window.__measured")
    after = busy_ms(cdp)
    old = page.evaluate("() => window.__measuredOld")
    return {
        "screen": times["screen"] - times["click"],
        "old": old - times["click"],
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


def measure_toggles(page, cdp, run: int, results: dict[str, Figures], labels=None) -> None:
    """The row toggles of one round: a row ticked then unticked, then the same while the first
    row stays ticked. `labels`, when given, gets each timed click's action in order (for
    `--trace`)."""
    # A different row each run, ticked then unticked (both timed).
    row = 2 + run % 20
    box = page.locator(f"{ROW}:nth-child({row})").get_by_role("checkbox")
    for checked in (True, False):
        settle_answers(page)  # each tick on its own, as a person's (not 20 ms apart)
        results["row toggle"].add(
            timed_click(page, cdp, box, "checked", {"row": row, "checked": checked})
        )
        if labels is not None:
            labels.append("row toggle")
    # The same while the first row stays ticked: the selection's callout is shown already,
    # so this is the row alone (the first tick of a page also brings the callout in).
    first_box = page.locator(f"{ROW}:nth-child(1)").get_by_role("checkbox")
    first_box.click()
    page.wait_for_function(FIRST_BOX_IS, arg=True)
    for checked in (True, False):
        settle_answers(page)
        results["row toggle, one ticked"].add(
            timed_click(page, cdp, box, "checked", {"row": row, "checked": checked})
        )
        if labels is not None:
            labels.append("row toggle, one ticked")
    first_box.click()
    page.wait_for_function(FIRST_BOX_IS, arg=False)
    settle_answers(page)


def settle_answers(page, quiet_ms: int = 400) -> None:
    """Wait until neither a click nor a websocket message came for `quiet_ms`: the server's
    answer to the last click is in, so it does not land in the next timed click (a person
    does not tick two boxes 20 ms apart)."""
    page.wait_for_function(
        "(quiet) => performance.now() - Math.max(window.__lastMessage, window.__lastClick) > quiet",
        arg=quiet_ms,
    )


def measure_round(page, cdp, run: int, results: dict[str, Figures]) -> None:
    """One of each action on `page` (signed in, on the list's first page; `cdp` its DevTools
    session)."""
    measure_toggles(page, cdp, run, results)
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


# --control: the same row toggles on a static page with a plain table of native checkboxes
# (no script, no React, no server answer): the floor of this measurement on this machine
# (the browser's frame scheduling, the mouse through DevTools, the headless compositor, the
# helpers' MutationObserver and animation-frame poll).
CONTROL_ROWS = 25
CONTROL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Control: checkboxes</title></head>
<body><main id="main"><h1>Control</h1><table><thead><tr><th>Select</th><th>Number</th></tr>
</thead><tbody>{rows}</tbody></table></main></body></html>
"""
CONTROL_ROW = (
    '<tr data-testid="invoice-row"><td><input type="checkbox" aria-label="Select {n}"></td>'
    '<th scope="row"><a href="#{n}">{n}</a></th></tr>'
)


@contextmanager
def control_site(folder: Path):
    """Serve the control page from `folder` on a free local port; yield its address."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    site = folder / "control"
    site.mkdir()
    rows = "".join(CONTROL_ROW.format(n=f"CTRL-{i:04d}") for i in range(1, CONTROL_ROWS + 1))
    (site / "index.html").write_text(CONTROL_PAGE.format(rows=rows), encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002  (the base class's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --trace: Chrome's trace of a few row toggles per tree, and where the renderer's main thread
# spent the time between the click and the frame.
TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "disabled-by-default-devtools.timeline.frame",
    "blink",
    "blink.user_timing",
    "cc",
    "gpu",
    "viz",
    "input",
    "benchmark",
    "toplevel",
    "v8.execute",
]
# Trace event names by what they are (the rest are "other", by name in the second table).
KINDS = {
    "script": {
        "FunctionCall",
        "EvaluateScript",
        "EventDispatch",
        "TimerFire",
        "FireAnimationFrame",
        "RunMicrotasks",
        "V8.Execute",
        "v8.callFunction",
        "v8.run",
        "v8.compile",
        "v8.compileModule",
        "V8.GCScavenger",
        "MinorGC",
        "MajorGC",
        "V8.GC_SCAVENGER",
        "BlinkGC.AtomicPhase",
        "XHRReadyStateChange",
        "ParseHTML",
    },
    "style": {
        "UpdateLayoutTree",
        "RecalculateStyles",
        "Document::UpdateStyle",
        "Document::updateStyle",
        "Document::recalcStyle",
        "Blink.Style.UpdateTime",
        "Document::UpdateStyleAndLayout",
        "ScheduleStyleRecalculation",
    },
    "layout": {
        "Layout",
        "LocalFrameView::layout",
        "LayoutView::UpdateLayout",
        "Blink.Layout.UpdateTime",
        "InlineNode::ShapeTextIncludingFirstLine",
        "LocalFrameView::UpdateStyleAndLayout",
    },
    "paint, composite": {
        "PrePaint",
        "Paint",
        "PaintImage",
        "UpdateLayer",
        "UpdateLayerTree",
        "Layerize",
        "Commit",
        "CompositeLayers",
        "LocalFrameView::RunPrePaintLifecyclePhase",
        "LocalFrameView::RunPaintLifecyclePhase",
        "PaintArtifactCompositor::Update",
        "ProxyMain::BeginMainFrame::commit",
        "Blink.Paint.UpdateTime",
        "Blink.PrePaint.UpdateTime",
        "Blink.CompositingCommit.UpdateTime",
        "LayerTreeHost::WaitForCommitCompletion",
        "ProxyMain::BeginMainFrame",
        "WebFrameWidgetImpl::UpdateLifecycle",
    },
    "hit test, input": {
        "HitTest",
        "EventTiming",
        "WidgetInputHandlerImpl::DispatchEvent",
        "EventHandler::handleMousePressEvent",
        "EventHandler::handleMouseReleaseEvent",
        "EventHandler::handleMouseMoveEvent",
        "LatencyInfo.Flow",
        "WidgetBaseInputHandler::OnHandleInputEvent",
        "WebFrameWidgetImpl::HandleInputEvent",
        "EventHandler::HitTestResultAtLocation",
        "LayoutView::HitTest",
    },
    "task (queue, message)": {
        "RunTask",
        "ThreadControllerImpl::RunTask",
        "Receive mojo message",
        "AsyncTask Run",
        "SimpleWatcher::OnHandleReady",
    },
}
KIND_OF = {name: kind for kind, names in KINDS.items() for name in names}


def complete_events(events: list[dict], pid: int, tid: int) -> list[tuple[float, float, str]]:
    """The thread's events as (start, end, name) in µs: "X" events and B/E pairs."""
    done: list[tuple[float, float, str]] = []
    open_: list[dict] = []
    for e in events:
        if e.get("pid") != pid or e.get("tid") != tid:
            continue
        ph = e.get("ph")
        if ph == "X" and "dur" in e:
            done.append((e["ts"], e["ts"] + e["dur"], e["name"]))
        elif ph == "B":
            open_.append(e)
        elif ph == "E" and open_:
            start = open_.pop()
            done.append((start["ts"], e["ts"], start["name"]))
    return done


def self_times(spans: list[tuple[float, float, str]], lo: float, hi: float) -> dict[str, float]:
    """Per event name, its self time (its own duration less its children's) inside
    [lo, hi], in ms; "(idle)" for the time no event covers."""

    def inside(a: float, b: float) -> float:
        return max(0.0, min(b, hi) - max(a, lo))

    spans = sorted((sp for sp in spans if sp[0] < hi and sp[1] > lo), key=lambda x: (x[0], -x[1]))
    out: dict[str, float] = {}
    stack: list[tuple[float, float, str]] = []
    covered = 0.0
    for span in spans:
        while stack and stack[-1][1] <= span[0]:
            stack.pop()
        share = inside(span[0], span[1])
        if stack:
            parent = stack[-1]
            out[parent[2]] = out.get(parent[2], 0.0) - share
        else:
            covered += share
        out[span[2]] = out.get(span[2], 0.0) + share
        stack.append(span)
    out["(idle)"] = (hi - lo) - covered
    return {name: ms / 1000 for name, ms in out.items()}


def trace_breakdown(trace: dict | list, labels: list[str]) -> tuple[str, str]:
    """From a trace of timed clicks (`labels`: each one's action, in order): per action, the
    median per kind of the renderer's main thread between the click and the frame (and
    between arming and the click: the mouse's way there), and a timeline of one click."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }
    marks = sorted(
        (e for e in events if e.get("name") in ("c2s-armed", "c2s-click", "c2s-screen")),
        key=lambda e: e["ts"],
    )
    if not marks:
        return "no marks in the trace", ""
    pid, tid = marks[0]["pid"], marks[0]["tid"]
    spans = complete_events(events, pid, tid)
    windows: list[tuple[float, float, float]] = []
    armed = click = None
    for mark in marks:
        if mark["name"] == "c2s-armed":
            armed, click = mark["ts"], None
        elif mark["name"] == "c2s-click":
            click = mark["ts"]
        elif armed is not None and click is not None:
            windows.append((armed, click, mark["ts"]))
            armed = click = None
    frames = sorted(sp[0] for sp in spans if sp[2] == "ProxyMain::BeginMainFrame")
    dispatches = sorted(
        e["ts"]
        for e in events
        if e.get("pid") == pid
        and e.get("name") == "EventDispatch"
        and (e.get("args", {}).get("data", {}) or {}).get("type") == "click"
    )
    # The display compositor's draws (viz, any process): when a frame reaches the screen.
    swaps = sorted(
        (e["ts"], e["ts"] + e.get("dur", 0))
        for e in events
        if e.get("name") == "Display::DrawAndSwap" and e.get("ph") == "X"
    )
    commits = sorted(sp[0] for sp in spans if sp[2] == "ProxyMain::BeginMainFrame::commit")
    per_action: dict[str, list[dict[str, float]]] = {}
    for label, (armed, click, screen) in zip(labels, windows, strict=False):
        times = self_times(spans, click, screen)
        row: dict[str, float] = {"click to screen": (screen - click) / 1000}
        for name, ms in times.items():
            kind = "(idle)" if name == "(idle)" else KIND_OF.get(name, "other")
            row[kind] = row.get(kind, 0.0) + ms
            row["name:" + name] = row.get("name:" + name, 0.0) + ms
        before = self_times(spans, armed, click)
        row["before the click, busy"] = sum(v for k, v in before.items() if k != "(idle)")
        row["click to dispatch"] = next(
            ((ts - click) / 1000 for ts in dispatches if ts >= click), float("nan")
        )
        row["click to first frame"] = next(
            ((ts - click) / 1000 for ts in frames if ts >= click), float("nan")
        )
        row["frames in between"] = sum(1 for ts in frames if click <= ts <= screen)
        # The frame's commit (the last to start before `screen`), then the display's first
        # draw that starts after it: when the pixels are out.
        commit = max((ts for ts in commits if click <= ts <= screen), default=screen)
        swap = next(((lo, hi) for lo, hi in swaps if lo >= commit), None)
        row["click to display drawn"] = (swap[1] - click) / 1000 if swap else float("nan")
        row["display draw"] = (swap[1] - swap[0]) / 1000 if swap else float("nan")
        per_action.setdefault(label, []).append(row)
    # Table 1: per action, the median of each kind.
    columns = [
        "click to screen",
        "click to dispatch",
        "click to first frame",
        "frames in between",
        "click to display drawn",
        "display draw",
        "script",
        "style",
        "layout",
        "paint, composite",
        "hit test, input",
        "task (queue, message)",
        "other",
        "(idle)",
        "before the click, busy",
    ]
    lines = [
        "| action | clicks | " + " | ".join(columns) + " |",
        "|---|---:|" + "---:|" * len(columns),
    ]
    for label, rows in per_action.items():
        cells = [f"{statistics.median(r.get(c, 0.0) for r in rows):.1f}" for c in columns]
        lines.append(f"| {label} | {len(rows)} | " + " | ".join(cells) + " |")
    # Table 2: the event names with the most self time between click and frame, all clicks.
    totals: dict[str, float] = {}
    count = sum(len(rows) for rows in per_action.values())
    for rows in per_action.values():
        for r in rows:
            for k, v in r.items():
                if k.startswith("name:"):
                    totals[k[5:]] = totals.get(k[5:], 0.0) + v
    lines += [
        "",
        f"Main thread between click and frame, by trace event (self time, mean of {count} clicks):",
        "",
        "| event | kind | ms per click |",
        "|---|---|---:|",
    ]
    for name, total in sorted(totals.items(), key=lambda kv: -kv[1])[:14]:
        kind = "(idle)" if name == "(idle)" else KIND_OF.get(name, "other")
        lines.append(f"| {name} | {kind} | {total / max(count, 1):.2f} |")
    # A timeline of the first click: the renderer's tasks and frames, any thread.
    processes = {
        e["pid"]: e["args"]["name"]
        for e in events
        if e.get("ph") == "M" and e.get("name") == "process_name"
    }
    frame_words = ("BeginFrame", "DrawAndSwap", "SwapBuffers", "DrawFrame")
    timeline = []
    if windows:
        armed, click, screen = windows[0]
        for e in events:
            if e.get("ph") not in ("X", "B", "I", "i", "R", "n") or "ts" not in e:
                continue
            if not click - 1000 <= e["ts"] <= screen + 20_000:
                continue
            elsewhere = e.get("pid") != pid
            if elsewhere and not any(word in e.get("name", "") for word in frame_words):
                continue
            dur = e.get("dur", 0) / 1000
            thread = names.get((e["pid"], e["tid"]), str(e["tid"]))
            if elsewhere:
                thread = f"{processes.get(e['pid'], e['pid'])}/{thread}"
            if dur >= 0.1 or e["ph"] != "X" or "Frame" in e["name"]:
                timeline.append(
                    (
                        e["ts"],
                        f"{(e['ts'] - click) / 1000:8.2f} ms  {dur:6.2f} ms  {thread:22.22}  "
                        f"{e['name']}",
                    )
                )
    timeline.sort(key=lambda item: item[0])
    return "\n".join(lines), "\n".join(text for _ts, text in timeline[:600])


def traced_toggles(browser, page, cdp, name: str, out: Path, rounds: int) -> str:
    """`rounds` rounds of row toggles under Chrome's tracing; the trace saved in `out`, its
    breakdown returned (Markdown)."""
    import json
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    browser.start_tracing(categories=TRACE_CATEGORIES)
    labels: list[str] = []
    scratch = {action: Figures() for action in ACTIONS}
    try:
        for run in range(rounds):
            measure_toggles(page, cdp, run + 7, scratch, labels)
    finally:
        data = browser.stop_tracing()
    (out / f"{slug}.json").write_bytes(data)
    summary, timeline = trace_breakdown(json.loads(data), labels)
    (out / f"{slug}-timeline.txt").write_text(timeline + "\n", encoding="utf-8")
    return (
        f"### {name}\n\n{summary}\n\n(trace: {out / (slug + '.json')}; a timeline of its "
        f"first click: {out / (slug + '-timeline.txt')})\n"
    )


def table(results: dict[str, dict[str, Figures]]) -> str:
    """Markdown: one row per action and tree, median (min-max) in ms."""
    lines = [
        "| action | tree | click to screen ms | same, old method ms | answer to screen ms "
        "| main thread ms | of it script ms | of it style+layout ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for action in ACTIONS:
        for tree, figures in results.items():
            f = figures[action]
            if not f.screen:
                continue  # the control page has the row toggles only
            cells = " | ".join(
                Figures.cell(values)
                for values in (f.screen, f.old, f.render, f.busy, f.script, f.layout)
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
    parser.add_argument(
        "--control",
        action="store_true",
        help="also the row toggles on a static page of plain checkboxes (the method's floor)",
    )
    parser.add_argument(
        "--only-control", action="store_true", help="the control page alone (nothing built)"
    )
    parser.add_argument(
        "--trace",
        metavar="DIR",
        type=Path,
        help="after the runs, trace a few row toggles per tree into DIR and print where the "
        "main thread's time went between the click and the frame",
    )
    parser.add_argument(
        "--trace-rounds", type=int, default=3, help="rounds of row toggles traced (default 3)"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    env = lh.tool_env()
    folder = Path(tempfile.mkdtemp(prefix="click-to-screen-"))
    print(f"work folder {folder}", file=sys.stderr)
    try:
        with ExitStack() as stack:
            trees: dict[str, Path] = {}
            bases: dict[str, str] = {}
            if not args.only_control:
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
            if args.control or args.only_control:
                trees["control (static page)"] = Path()
                bases["control (static page)"] = stack.enter_context(control_site(folder))
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
                if name.startswith("control"):
                    page.goto(base + "/")
                    page.locator(ROW).first.wait_for()
                else:
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
                    if name.startswith("control"):
                        measure_toggles(page, cdp, run, results[name])
                    else:
                        measure_round(page, cdp, run, results[name])
                print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
            load_after = os.getloadavg()
            traced = []
            if args.trace:
                args.trace.mkdir(parents=True, exist_ok=True)
                for name, (page, cdp) in pages.items():
                    traced.append(
                        traced_toggles(browser, page, cdp, name, args.trace, args.trace_rounds)
                    )
                load_traced = os.getloadavg()
        print(table(results))
        print(
            f"\nload average (1, 5, 15 min) before {load_before[0]:.1f} {load_before[1]:.1f} "
            f"{load_before[2]:.1f}, after {load_after[0]:.1f} {load_after[1]:.1f} "
            f"{load_after[2]:.1f}; {os.cpu_count()} cores; CPU slowdown {args.cpu_slowdown:g}x; "
            f"{args.runs} runs (row toggles: 2 clicks a run)"
        )
        if traced:
            print(
                "\n## Traced row toggles: the renderer's main thread between click and frame, "
                "ms (median per click)\n"
            )
            print("\n".join(traced))
            print(
                f"load average after tracing {load_traced[0]:.1f} {load_traced[1]:.1f} "
                f"{load_traced[2]:.1f}"
            )
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
