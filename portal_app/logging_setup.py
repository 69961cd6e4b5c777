"""Logging configured once at start-up: text or JSON lines, a request id, secrets masked.

`configure_logging()` is called from portal_app/portal_app.py, so every backend worker sets it
up when it imports the app. `RequestIdMiddleware` wraps the HTTP routes (and, through the
`api_transformer` mount, Reflex's own HTTP endpoints): it takes a sane incoming X-Request-ID or
makes one, echoes it in the response and keeps it in a contextvar that the formatters read.

Websocket events have no HTTP request: each Reflex event runs in its own task with Reflex's
`EventContext` set, whose transaction id (`txid`, 12 hex digits) is that event's id. A line
logged while an event runs carries it as `request_id` (and `parent_event_id` when a handler's
yielded event chained it); portal_app/reflex_ext/event_log.py adds one line per handled event.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from portal_app.core.settings import Settings, get_settings

REQUEST_ID_HEADER = "x-request-id"
request_id_var: ContextVar[str | None] = ContextVar("portal_request_id", default=None)

log = logging.getLogger("portal_app.http")

# An incoming id is echoed into our logs and headers, so only short plain tokens are accepted.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
MASK = "***"

# Secrets that must never reach a log line, whatever logged them (our code, a library, a
# traceback). Each pattern keeps a harmless prefix so the line still says what was there.
_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Reflex tab tokens (UUIDs) in Reflex's own lines ("Lock for token ..."): whoever holds
    # one can load that tab's state, so only a short prefix stays to tell tabs apart. First,
    # so the card rule below does not half-match their digit runs.
    (
        re.compile(
            r"(?<![0-9a-fA-F])([0-9a-fA-F]{8})-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
            r"[0-9a-fA-F]{12}(?![0-9a-fA-F])"
        ),
        rf"\1-{MASK}",
    ),
    # Stripe secret and restricted keys (publishable pk_ keys are public by design).
    (re.compile(r"\b((?:sk|rk)_(?:live|test)_)[A-Za-z0-9]+"), rf"\1{MASK}"),
    (re.compile(r"\b(whsec_)[A-Za-z0-9+/=_-]+"), rf"\1{MASK}"),
    # Bearer credentials in an Authorization header.
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), rf"\1{MASK}"),
    # key=value or "key": "value" pairs whose key names a credential (cookies, query strings,
    # dict reprs, JSON): the session cookie, tokens, passwords, secrets, link keys, codes.
    (
        re.compile(
            r"(?i)(\b(?:[\w-]*(?:session|token|password|passwd|secret|api_?key)[\w-]*|code|key)"
            r"[\"']?\s*[:=]\s*[\"']?)([^\s\"';,&]+)"
        ),
        rf"\1{MASK}",
    ),
    # Card numbers: 13-19 digits, optionally grouped by spaces or dashes. Every such run is
    # masked (not only Luhn-valid ones) because a mistyped card number is still card data.
    (re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])"), "[card]"),
    # Long random path segments are bearer keys (e-mailed invoice links, download tokens).
    (re.compile(r"(?<=/)[A-Za-z0-9_-]{24,}(?=[/?#\s\"']|$)"), MASK),
]


# Every string of every log line goes through the patterns above, and almost none holds a
# secret: seven substitutions a string were ~1-2% of a worker's event loop under load (issue 25,
# bench/log_line.py). `_may_hold_secret` looks first for a part that every match of some
# pattern contains, under the same flags. When it finds none, no pattern matches the text, so
# none would change it; when it finds one, every pattern runs in turn as before.
_SECRET_LITERALS = ("k_live_", "k_test_", "whsec_")  # sk_live_, rk_test_, ..., whsec_
# bearer, and the credential key names: passw covers password and passwd, key covers api_key
# and apikey, each also inside a longer name such as csrftoken.
_SECRET_WORDS = ("bearer", "session", "token", "passw", "secret", "code", "key")
# re's IGNORECASE also matches a few non-ASCII letters with ASCII ones (long s, dotless i,
# Kelvin sign), which str.lower() does not: text that is not ASCII is searched by re itself.
_SECRET_WORDS_ANY_CASE = re.compile("(?i:" + "|".join(_SECRET_WORDS) + ")")
_SECRET_SHAPES = re.compile(
    r"[0-9a-fA-F]{8}-"  # the tab token's first group and its dash
    r"|\d[\d -]{12}"  # a card number's 13 digits at least, separators between them
    r"|/[A-Za-z0-9_-]{24}"  # a long path segment's slash and first 24 characters
)


def _may_hold_secret(text: str) -> bool:
    if any(literal in text for literal in _SECRET_LITERALS):
        return True
    if text.isascii():
        lowered = text.lower()
        if any(word in lowered for word in _SECRET_WORDS):
            return True
    elif _SECRET_WORDS_ANY_CASE.search(text):
        return True
    return _SECRET_SHAPES.search(text) is not None


def mask_secrets(text: str) -> str:
    """`text` with every value that looks like a key, token, password or card number masked."""
    if not _may_hold_secret(text):
        return text
    return mask_each_pattern(text)


def mask_each_pattern(text: str) -> str:
    """`mask_secrets` without its quick search: every pattern in turn (tests compare the two)."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def current_event_ids() -> tuple[str | None, str | None]:
    """(event id, parent event id) of the Reflex event running in this task, or (None, None).

    Reflex sets its `EventContext` contextvar in the task of every event it processes (and in
    the task of its backend exception handler, with the failed event's context). Imported
    lazily: this module is also used by the CLI and tests that never load Reflex.
    """
    context_class = _event_context_class()
    if context_class is None:
        return None, None
    try:
        context = context_class.get()
    except LookupError:
        return None, None
    # The event processor's root context has an empty txid: it is no event.
    return (context.txid or None), (getattr(context, "parent_txid", None) or None)


_EVENT_CONTEXT: list[type | None] = []


def _event_context_class() -> type | None:
    if not _EVENT_CONTEXT:
        try:
            from reflex_base.event.context import EventContext
        except ImportError:  # pragma: no cover - another Reflex layout
            EventContext = None  # noqa: N806
        _EVENT_CONTEXT.append(EventContext)
    return _EVENT_CONTEXT[0]


class RequestContextFilter(logging.Filter):
    """Stamps each record with the current request id, so formatters can print it.

    Inside an HTTP request that is the request's id; inside a Reflex websocket event it is the
    event's id (and `parent_event_id` names the event that chained it, if any).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `record.request_id` (None outside a request or event); never drops a record."""
        request_id = request_id_var.get()
        if request_id is None:
            request_id, parent = current_event_ids()
            if parent is not None:
                record.parent_event_id = parent
        record.request_id = request_id
        return True


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, with the request id and secrets masked."""

    def __init__(self) -> None:
        """Use one fixed layout: time, level, logger, request id, message."""
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id_text)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The formatted line (traceback included) with secrets masked."""
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.request_id_text = request_id or "-"
        return mask_secrets(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, request_id, pid, exc, extras."""

    # Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
        "message",
        "asctime",
        "request_id",
        "request_id_text",
    }

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record; every string value goes through `mask_secrets`."""
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            # With several backend workers, which process wrote the line.
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        # The request id is ours (or checked to be a plain token) and must stay greppable.
        masked = {
            key: mask_secrets(value) if isinstance(value, str) and key != "request_id" else value
            for key, value in entry.items()
        }
        return json.dumps(masked, ensure_ascii=False)


_HANDLER_MARK = "_portal_handler"


def configure_logging(settings: Settings | None = None, stream=None) -> logging.Handler:
    """Install the portal's handler on the root logger; calling it again replaces it.

    Plain StreamHandlers someone else put on the root (basicConfig) are removed so a line is
    not printed twice; other handlers (pytest's capture, a file handler) are left alone.
    """
    settings = settings or get_settings()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False) or type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # Reflex's production start compares the schema with alembic, which logs every table and
    # sequence at INFO; migrations themselves run from the CLI, which keeps alembic's lines.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
    return handler


def _request_id_from(scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """ASGI middleware: a request id per HTTP request, echoed as X-Request-ID and logged.

    Websockets (Reflex's event channel) pass through untouched: one socket carries a tab's
    whole life, so a per-connection id would say little.
    """

    def __init__(self, app) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Set the id for the request's duration and add it to the response headers."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id_from(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status: list[int] = [500]

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The path only: query strings carry one-time codes and ids we do not want kept.
            log.info(
                "%s %s %s",
                scope.get("method", ""),
                scope.get("path", ""),
                status[0],
                extra={
                    "http_status": status[0],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id_var.reset(token)
