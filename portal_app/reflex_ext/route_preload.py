"""A page with an id in its URL starts its route's scripts with the HTML (issue 23).

What this relies on in Reflex 0.10.x's production build (re-check on upgrade):

- Pages without a parameter are prerendered (`<path>/index.html`); a dynamic route
  (`/client/invoices/[id]`) has no file, so the static server (reflex/utils/exec.py
  `get_frontend_mount`, PrecompressedStaticFiles with a route matcher) answers its URLs with the
  SPA fallback, `404.html`, at status 200.
- That fallback modulepreloads the root's scripts only (React Router's SPA mode,
  `isSpaMode: true`): the route's own chunk and its imports are fetched only after the root has
  hydrated and React Router looked the route up, a waterfall of one or two steps.
- The fallback names React Router's route manifest, `/assets/manifest-<hash>.js`
  (`window.__reactRouterManifest={...}`, JSON): for every route its `path` (React Router's
  syntax, `client/invoices/:id`), its `module` and the chunks that module imports.

So `RoutePreload` answers a GET or HEAD of a URL that matches a dynamic route of the manifest,
and has no file of its own in the build, with the fallback plus one `<link rel="modulepreload">`
for the route's module and each of its imports the fallback does not preload already, placed
after the fallback's own preloads. Every dynamic route gets its variant when the build is first
read (again whenever `404.html` changes); everything else passes through to the static server.
The variants are same-origin scripts (CSP `script-src 'self'`) and add no inline script.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FALLBACK = "404.html"
_MANIFEST_URL = re.compile(r'href="(/[^"]*assets/manifest-[^"/]+\.js)"')
_MODULEPRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)"\s*/?>')
_MANIFEST_PREFIX = "window.__reactRouterManifest="


@dataclass(frozen=True)
class Variant:
    """The fallback page for one dynamic route, plain and gzipped."""

    pattern: tuple[str, ...]
    body: bytes
    gzipped: bytes
    etag: str


def route_patterns(manifest: dict[str, Any]) -> list[tuple[tuple[str, ...], list[str]]]:
    """(path segments, scripts to preload) of every route with a `:param` and no splat, the
    route's module first, then its imports."""
    found = []
    for route in manifest.get("routes", {}).values():
        path = (route.get("path") or "").strip("/")
        segments = tuple(path.split("/")) if path else ()
        if not any(s.startswith(":") for s in segments) or any("*" in s for s in segments):
            continue
        scripts = [route["module"], *route.get("imports", [])]
        found.append((segments, scripts))
    return found


def read_manifest(pages_dir: Path, fallback_html: str) -> dict[str, Any] | None:
    """React Router's route manifest named by the fallback page, or None."""
    match = _MANIFEST_URL.search(fallback_html)
    if not match:
        return None
    name = match.group(1).rsplit("assets/", 1)[-1]
    try:
        text = (pages_dir / "assets" / name).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text.startswith(_MANIFEST_PREFIX):
        return None
    try:
        data = json.loads(text[len(_MANIFEST_PREFIX) :].rstrip(";"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def with_preloads(fallback_html: str, scripts: list[str]) -> str | None:
    """The fallback with a modulepreload for each of `scripts` it lacks, after its own; None
    when it has no modulepreload to place them after."""
    found = list(_MODULEPRELOAD.finditer(fallback_html))
    if not found:
        return None
    own = [m.group(1) for m in found]
    last = found[-1]
    links = "".join(
        f'<link rel="modulepreload" href="{url}"/>'
        for url in dict.fromkeys(scripts)
        if url not in own
    )
    return fallback_html[: last.end()] + links + fallback_html[last.end() :]


def build_variants(pages_dir: Path) -> list[Variant]:
    """A variant of the fallback for every dynamic route of the build in `pages_dir`."""
    try:
        fallback = (pages_dir / FALLBACK).read_text(encoding="utf-8")
    except OSError:
        return []
    manifest = read_manifest(pages_dir, fallback)
    if manifest is None:
        return []
    variants = []
    for pattern, scripts in route_patterns(manifest):
        html = with_preloads(fallback, scripts)
        if html is None:
            continue
        body = html.encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()[:16]
        variants.append(Variant(pattern, body, gzip.compress(body, 9, mtime=0), f'"{digest}"'))
    return variants


def match(variants: list[Variant], path: str) -> Variant | None:
    """The variant whose route matches `path`; of several, the one with the most fixed
    segments (React Router ranks `staff/invoices/new` above `staff/invoices/:id`)."""
    segments = tuple(path.strip("/").split("/"))
    best: Variant | None = None
    best_fixed = -1
    for variant in variants:
        if len(variant.pattern) != len(segments):
            continue
        if all(p.startswith(":") or p == s for p, s in zip(variant.pattern, segments, strict=True)):
            fixed = sum(not p.startswith(":") for p in variant.pattern)
            if fixed > best_fixed:
                best, best_fixed = variant, fixed
    return best


def _accepts_gzip(scope: Any) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept-encoding":
            for token in value.decode("latin-1").split(","):
                parts = [p.strip() for p in token.split(";")]
                if parts[0].lower() in ("gzip", "*"):
                    q = next((p[2:] for p in parts[1:] if p.startswith("q=")), "1")
                    try:
                        return float(q) > 0
                    except ValueError:
                        return False
    return False


def _header(scope: Any, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class RoutePreload:
    """ASGI wrapper around the app serving the built front end (see the module docstring)."""

    def __init__(self, app: Any, pages_dir: Path | None = None, prefix: str = "") -> None:
        self.app = app
        self._pages_dir = pages_dir
        self.prefix = prefix.rstrip("/")
        self._stamp: float | None = None
        self._variants: list[Variant] = []

    @property
    def pages_dir(self) -> Path:
        if self._pages_dir is None:
            from portal_app.reflex_ext.asgi import built_pages_dir

            self._pages_dir = built_pages_dir()
        return self._pages_dir

    def variants(self) -> list[Variant]:
        """The build's variants, read again when its fallback page changed."""
        try:
            stamp = (self.pages_dir / FALLBACK).stat().st_mtime
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._variants = build_variants(self.pages_dir) if stamp is not None else []
            self._stamp = stamp
        return self._variants

    def _variant_for(self, scope: Any) -> Variant | None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            return None
        path: str = scope.get("path", "")
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return None
            path = path[len(self.prefix) :]
        relative = path.strip("/")
        if not relative or ".." in relative or "." in relative.rsplit("/", 1)[-1]:
            return None
        variant = match(self.variants(), relative)
        if variant is None:
            return None
        # A file of its own (a prerendered page) is the static server's to send.
        own = self.pages_dir / relative
        if own.is_file() or (own / "index.html").is_file() or own.with_suffix(".html").is_file():
            return None
        return variant

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        variant = self._variant_for(scope)
        if variant is None:
            await self.app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"vary", b"Accept-Encoding"),
            (b"etag", variant.etag.encode("latin-1")),
        ]
        if variant.etag in _header(scope, b"if-none-match"):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = variant.body
        if _accepts_gzip(scope):
            body = variant.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
