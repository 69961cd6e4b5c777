"""Browser security headers: which header, with what value, on which path, and the ASGI
middleware that puts them on every HTTP response the backend sends (built pages, `/ping`,
`/_health`, `/api/...`, static assets, errors). No Reflex in here: portal_app/reflex_ext/asgi.py
tells it the addresses the built front end talks to and registers it.

Content-Security-Policy, and what it had to allow:

- `script-src 'self'` plus the sha256 hash of every inline `<script>` of the page being served.
  Reflex's prerendered pages inline a handful of scripts (the colour-mode switch, React Router's
  scroll restoration, route manifest and hydration data, React's streaming helpers); the
  middleware hashes the ones in the very document it sends, so nothing else inline runs and no
  `'unsafe-inline'` is needed.
- `'unsafe-eval'` in script-src: Reflex runs `rx.call_script(...)` strings (and their callbacks)
  with `eval` in the browser (`.web/utils/state.js`, `_call_script`), and the portal needs that
  for redirects and for its calls into its own modules in assets/js (the Stripe card steps, the
  signature pad, sign-out by POST; see portal_app/state/browser_js.py). What it evaluates comes
  from our own server over the websocket, never from the URL or the page; the modules' code is
  served from our origin (`'self'`), no hash needed.
- `style-src 'self' 'unsafe-inline'`: Emotion (Reflex's CSS-in-JS) and Radix insert `<style>`
  elements at run time, and prerendered pages carry `<style data-emotion>` blocks; there is no
  nonce hook for them. Styles cannot run code, so this is the one inline allowance kept.
- Stripe: Stripe.js from the origin of STRIPE_JS_URL (script, frame, connect), the gateway's API
  origin (connect, frame: 3-D Secure); for real Stripe also `*.js.stripe.com` and
  `hooks.stripe.com`, as Stripe's CSP guide lists.
- `connect-src` names the backend's http and ws origins (Reflex's websocket `/_event`, `/_upload`,
  `/ping`), besides `'self'`.
- `frame-src 'self'` (document previews are framed from `/api/files/...`), `object-src 'none'`,
  `base-uri 'self'`, `form-action 'self'`, `frame-ancestors 'none'`; `upgrade-insecure-requests`
  under https.

To read a page's scripts the middleware holds HTML back until complete (pages are a few kB),
asks for pages in full and in gzip or plain (it drops a page request's If-None-Match,
If-Modified-Since and brotli/zstd), and never puts a policy on a 304, so a cached page keeps the
policy made for its body.

Caching (Cache-Control, unless the response has one): the built front end's hashed files under
`/assets/` (`name-<8-character content hash>.js|css|...`, Vite's names) and our browser modules
at `/js/<name>?v=<digest>` (browser_js.module_url) and the translation catalogs at
`/i18n/<lang>.<digest>.json` (reflex_ext/ui_catalog.py) are
`public, max-age=31536000, immutable`: their URL changes whenever their content does, so a
revisit needs no revalidation. Only successful responses (200, 206, 304) are marked, so a
not-yet-deployed file's 404 is not kept.
HTML pages get `no-cache` (always revalidated: they name the current hashed files).

Headers a route sets itself win (the document route's stricter sandbox, for instance).
`/api/files/...` may be framed by our own pages (the preview dialog): `frame-ancestors 'self'`,
`X-Frame-Options: SAMEORIGIN`, and no page policy of ours on a PDF (the browser's PDF viewer is
not a web page).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import zlib
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from portal_app.core import routes

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

REAL_STRIPE_JS_ORIGIN = "https://js.stripe.com"
DEFAULT_STRIPE_API_ORIGIN = "https://api.stripe.com"
# What real Stripe.js needs besides its own origin (https://docs.stripe.com/security/guide#content-security-policy).
REAL_STRIPE_SCRIPT = ("https://*.js.stripe.com",)
REAL_STRIPE_FRAME = ("https://*.js.stripe.com", "https://hooks.stripe.com")

HSTS = "max-age=31536000; includeSubDomains"
DEFAULT_REFERRER = "strict-origin-when-cross-origin"

# Pages and routes with a bearer token in the URL: the token must not leave in a Referer.
NO_REFERRER_PATHS = frozenset(
    {
        routes.CLIENT_PASSWORD_RESET,
        routes.CLIENT_REGISTER_CONFIRM,
        routes.CLIENT_EMAIL_CHANGE,
        routes.API_AUTH_HANDOFF,
        routes.API_STAFF_AUTH_HANDOFF,
    }
)
NO_REFERRER_PREFIXES = tuple(
    route.split("[")[0].split("{")[0]
    for route in (routes.CLIENT_INVOICE_LINK, routes.CLIENT_QUOTE_LINK, routes.SUBSCRIBE)
) + (routes.API_FILE.split("{")[0],)
# Responses our own pages frame (the document preview dialog).
FRAMEABLE_PREFIXES = (routes.API_FILE.split("{")[0],)

# Pages are a few kB; a larger HTML body is sent on without inline-script hashes.
MAX_HTML_BYTES = 2 * 1024 * 1024
# Encodings the middleware can read back to hash a page's inline scripts.
DECODABLE = ("gzip", "deflate", "identity")

IMMUTABLE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
# Vite's output names: `<name>-<hash>.<ext>`, the hash 8 characters of base64url (may start
# with '-' or '_', so `_index--n6VoSde.js` is `_index-` + `-n6VoSde`).
_HASHED_ASSET = re.compile(r"(?:^|/)assets/[^/]*-[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+$")
_VERSIONED_MODULE = re.compile(r"(?:^|/)js/[^/]+\.js$")
_VERSION_QUERY = re.compile(r"(?:^|&)v=[0-9a-f]{8,}(?:&|$)")
# The front end's translation catalogs, `/i18n/<lang>.<content digest>.json`
# (reflex_ext/ui_catalog.py).
_HASHED_CATALOG = re.compile(r"(?:^|/)i18n/[A-Za-z_]+\.[0-9a-f]{16}\.json$")
_CACHEABLE_STATUS = (200, 206, 304)

_SCRIPT = re.compile(
    r"<script\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
_SRC_ATTRIBUTE = re.compile(r"(?:^|\s)src\s*=", re.IGNORECASE)


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased; empty for anything without both."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def websocket_origin(origin: str) -> str:
    """The ws(s) origin of an http(s) one."""
    if origin.startswith("https://"):
        return "wss://" + origin.removeprefix("https://")
    if origin.startswith("http://"):
        return "ws://" + origin.removeprefix("http://")
    return origin


def inline_script_hashes(html: str) -> list[str]:
    """CSP hash sources (`'sha256-...'`) of every inline script of an HTML document, in order.

    Browsers hash the script's text as the parser sees it: raw (no entity decoding), with line
    breaks normalised to LF, encoded as UTF-8.
    """
    found: list[str] = []
    for match in _SCRIPT.finditer(html):
        if _SRC_ATTRIBUTE.search(match.group(1)):
            continue
        text = match.group(2).replace("\r\n", "\n").replace("\r", "\n")
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in found:
            found.append(source)
    return found


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


@dataclass(frozen=True)
class HeaderPolicy:
    """The header rules for one deployment (from settings and the front end's addresses)."""

    https: bool
    stripe_js_origin: str
    stripe_api_origin: str
    # Origins the built front end connects to besides its own: the backend's http and ws.
    backend_origins: tuple[str, ...] = ()

    @property
    def real_stripe(self) -> bool:
        return self.stripe_js_origin == REAL_STRIPE_JS_ORIGIN

    def content_security_policy(self, script_hashes: Sequence[str] = ()) -> str:
        """The page policy; `script_hashes` are the inline scripts allowed to run."""
        stripe_script = [self.stripe_js_origin, *(REAL_STRIPE_SCRIPT if self.real_stripe else ())]
        stripe_frame = [
            self.stripe_js_origin,
            self.stripe_api_origin,
            *(REAL_STRIPE_FRAME if self.real_stripe else ()),
        ]
        directives = [
            ("default-src", ["'self'"]),
            ("script-src", ["'self'", *script_hashes, "'unsafe-eval'", *stripe_script]),
            ("style-src", ["'self'", "'unsafe-inline'"]),
            ("img-src", ["'self'"]),
            ("font-src", ["'self'"]),
            (
                "connect-src",
                ["'self'", *self.backend_origins, self.stripe_js_origin, self.stripe_api_origin],
            ),
            ("frame-src", ["'self'", *stripe_frame]),
            ("object-src", ["'none'"]),
            ("base-uri", ["'self'"]),
            ("form-action", ["'self'"]),
            ("frame-ancestors", ["'none'"]),
        ]
        parts = [" ".join([name, *_unique(sources)]) for name, sources in directives]
        if self.https:
            parts.append("upgrade-insecure-requests")
        return "; ".join(parts)

    def permissions_policy(self) -> str:
        payment = " ".join(["self", f'"{self.stripe_js_origin}"'])
        return f"camera=(), microphone=(), geolocation=(), payment=({payment})"

    def headers_for(self, path: str, script_hashes: Sequence[str] = ()) -> list[tuple[str, str]]:
        """The headers a response to `path` gets (those it already has are kept by the caller)."""
        frameable = path.startswith(FRAMEABLE_PREFIXES)
        csp = "frame-ancestors 'self'" if frameable else self.content_security_policy(script_hashes)
        headers = [
            ("Content-Security-Policy", csp),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "SAMEORIGIN" if frameable else "DENY"),
            ("Referrer-Policy", referrer_policy(path)),
            ("Permissions-Policy", self.permissions_policy()),
        ]
        if self.https:
            headers.append(("Strict-Transport-Security", HSTS))
        return headers


def cache_control(path: str, query: str, *, status: int, html: bool) -> str | None:
    """The Cache-Control a response gets: a year for content-addressed files, `no-cache` for
    pages, None (leave it to the app) for anything else."""
    if html:
        return PAGE_CACHE
    if status not in _CACHEABLE_STATUS:
        return None
    if _HASHED_ASSET.search(path) or _HASHED_CATALOG.search(path):
        return IMMUTABLE
    if _VERSIONED_MODULE.search(path) and _VERSION_QUERY.search(query):
        return IMMUTABLE
    return None


def referrer_policy(path: str) -> str:
    """`no-referrer` where the URL carries a bearer token, else the browsers' default made
    explicit."""
    normalised = path.rstrip("/") or "/"
    if normalised in NO_REFERRER_PATHS or path.startswith(NO_REFERRER_PREFIXES):
        return "no-referrer"
    return DEFAULT_REFERRER


def policy_from(
    *,
    base_url: str,
    stripe_js_url: str,
    stripe_api_base: str | None,
    backend_urls: Iterable[str] = (),
) -> HeaderPolicy:
    """The policy for a deployment: its public base URL, the Stripe.js URL and API base the
    gateway uses, and the URLs the built front end reaches the backend at."""
    origins: list[str] = []
    for url in [base_url, *backend_urls]:
        origin = origin_of(url)
        if origin.startswith(("ws://", "wss://")):
            origins.append(origin)
        elif origin:
            origins += [origin, websocket_origin(origin)]
    return HeaderPolicy(
        https=base_url.strip().lower().startswith("https://"),
        stripe_js_origin=origin_of(stripe_js_url),
        stripe_api_origin=origin_of(stripe_api_base or DEFAULT_STRIPE_API_ORIGIN),
        backend_origins=tuple(_unique(origins)),
    )


# --------------------------------------------------------------------------- the middleware


def _decode(body: bytes, encoding: str) -> str | None:
    """The text of an HTML body in a content encoding we can read, else None."""
    try:
        if encoding in ("", "identity"):
            raw = body
        elif encoding == "gzip":
            raw = gzip.decompress(body)
        elif encoding == "deflate":
            raw = zlib.decompress(body)
        else:
            return None
    except (OSError, EOFError, zlib.error):
        return None
    return raw.decode("utf-8", errors="replace")


def _looks_like_page(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return "." not in last or last.endswith(".html")


def _for_page(scope: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A page request as the middleware needs it answered: in full (no 304 from a validator,
    as a policy needs the body it covers) and only in encodings it can read back (the static
    server would otherwise send a pre-compressed brotli or zstd page it cannot hash)."""
    headers = []
    for name, value in scope.get("headers", []):
        lowered = name.lower()
        if lowered in (b"if-none-match", b"if-modified-since"):
            continue
        if lowered == b"accept-encoding":
            kept = [
                token.strip()
                for token in value.decode("latin-1").split(",")
                if token.split(";")[0].strip().lower() in DECODABLE
            ]
            value = ", ".join(kept).encode("latin-1")
        headers.append((name, value))
    return {**scope, "headers": headers}


class SecurityHeadersMiddleware:
    """Put the security headers on every HTTP response of the wrapped ASGI app.

    HTML bodies (a few kB) are held back until complete, so the Content-Security-Policy can
    allow exactly the inline scripts of the document being sent. A header the app already set
    is left as it is. Websockets pass through.
    """

    def __init__(self, app: ASGIApp, policy: HeaderPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        query = scope.get("query_string", b"").decode("latin-1")
        if scope.get("method") in ("GET", "HEAD") and _looks_like_page(path):
            scope = _for_page(scope)
        held: Message | None = None
        chunks: list[bytes] = []
        size = 0

        def with_headers(start: Message, hashes: Sequence[str] = ()) -> Message:
            raw = list(start.get("headers", []))
            present = {name.lower() for name, _ in raw}
            if start.get("status") == 304:
                # No body here: the cached response keeps the policy made for its body (a 304
                # updates the stored headers it carries).
                present.add(b"content-security-policy")
            headers = self.policy.headers_for(path, hashes)
            html = _header(start, b"content-type").lower().startswith("text/html")
            caching = cache_control(path, query, status=start.get("status", 200), html=html)
            if caching is not None:
                headers.append(("Cache-Control", caching))
            for name, value in headers:
                if name.lower().encode("latin-1") not in present:
                    raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
            return {**start, "headers": raw}

        def hashes_of(body: bytes, start: Message) -> list[str]:
            encoding = _header(start, b"content-encoding").lower()
            text = _decode(body, encoding)
            return inline_script_hashes(text) if text is not None else []

        async def release(hashes: Sequence[str] = ()) -> None:
            nonlocal held
            assert held is not None
            await send(with_headers(held, hashes))
            held = None
            for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            chunks.clear()

        async def send_with_headers(message: Message) -> None:
            nonlocal held, size
            kind = message["type"]
            if kind == "http.response.start":
                if _header(message, b"content-type").lower().startswith("text/html"):
                    held = message  # wait for the body: its inline scripts decide the policy
                    return
                await send(with_headers(message))
                return
            if held is None:
                await send(message)
                return
            if kind == "http.response.body":
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                if message.get("more_body", False):
                    if size > MAX_HTML_BYTES:
                        await release()  # too big to hold: no inline script may run
                    return
                body = b"".join(chunks)
                chunks.clear()
                start, held = held, None
                await send(with_headers(start, hashes_of(body, start)))
                await send({**message, "body": body})
                return
            if kind == "http.response.pathsend":
                # A file the server sends itself (Granian): read it to hash its scripts.
                import anyio

                start, held = held, None
                file = anyio.Path(message["path"])
                small = (await file.stat()).st_size <= MAX_HTML_BYTES
                hashes = hashes_of(await file.read_bytes(), start) if small else []
                await send(with_headers(start, hashes))
                await send(message)
                return
            await release()
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(message: Message, name: bytes) -> str:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""
