"""How the portal wraps Reflex's backend ASGI app: the upload guard and the security headers.

What this relies on in Reflex 0.10.x (re-check on upgrade; tests/reflex_ext has canaries):

- `App.__call__` (reflex/app.py) builds Reflex's own Starlette app: `/_event` (the websocket),
  `/ping`, `/_health`, `/_upload` (POST: the upload endpoint; GET: the public upload folder) and,
  in production single-port mode (`REFLEX_MOUNT_FRONTEND_COMPILED_APP`), the built front end as
  a static mount at `/` (reflex/utils/exec.py `get_frontend_mount`: PrecompressedStaticFiles,
  which answers with the `.gz` copy of a page and, under Granian, with `http.response.pathsend`).
- It then applies `api_transformer` in order: a Starlette app mounts the app so far at "" (its
  own routes, our `/api/...`, come first), a callable wraps it. The result is mounted in one
  last Starlette app that adds CORS and Reflex's context middleware.
- Reflex's upload endpoint (reflex_components_core/core/_upload.py) reads the body with
  Starlette's `request.form()` (spooling file parts past 1 MiB to `tempfile.gettempdir()`) or
  `request.stream()`; on `ClientDisconnect` both give up and answer with an empty response.
- The built front end reaches the backend at `Endpoint.EVENT.get_url()` / `UPLOAD.get_url()`
  (from `api_url`), which the Content-Security-Policy's connect-src must name.

So `backend_transformers(api)` is `[page paths, upload guard, api, binding cookie, security
headers]`:
- page paths (PageWithoutRedirect) lets the static mount serve /client/login itself instead of
  its 307 to /client/login/;
- the guard wraps Reflex's app alone (it sees `/_upload`, and sits inside our request-id
  middleware, so refusals are logged);
- the sign-in binding cookie goes on the pages that start a sign-in
  (api/signin.BindingCookieMiddleware);
- the headers wrap everything the backend serves. Only the outermost CORS layer's answers to
  preflight requests (OPTIONS with Access-Control-Request-Method: no body, never rendered) are
  made outside them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reflex import constants
from reflex.config import get_config
from reflex.utils import prerequisites
from starlette.applications import Starlette

from portal_app.api.signin import BindingCookieMiddleware
from portal_app.core.settings import Settings, get_settings
from portal_app.gateways.factory import browser_urls
from portal_app.reflex_ext import REFLEX_VERSION, check_reflex_version
from portal_app.security_headers import HeaderPolicy, SecurityHeadersMiddleware, policy_from
from portal_app.upload_guard import UploadGuard

# The security headers and the upload guard are not optional: on a Reflex this module was not
# checked against, refuse to start rather than serve pages without them.
check_reflex_version(REFLEX_VERSION)


def upload_path() -> str:
    """The path of Reflex's upload endpoint (`/_upload` behind any backend_path)."""
    return get_config().prepend_backend_path(str(constants.Endpoint.UPLOAD))


def front_end_backend_urls() -> list[str]:
    """The URLs the built front end opens to the backend: its websocket and its uploads."""
    return [constants.Endpoint.EVENT.get_url(), constants.Endpoint.UPLOAD.get_url()]


def header_policy(settings: Settings | None = None) -> HeaderPolicy:
    """The header rules for this deployment: settings, the gateway's Stripe URLs, Reflex's
    backend address."""
    settings = settings or get_settings()
    api_base, js_url = browser_urls(settings)
    return policy_from(
        base_url=settings.base_url,
        stripe_js_url=js_url,
        stripe_api_base=api_base,
        backend_urls=front_end_backend_urls(),
    )


def security_headers(app: Any) -> SecurityHeadersMiddleware:
    """api_transformer step: the security headers on every response of `app`."""
    return SecurityHeadersMiddleware(app, header_policy())


def upload_guard(app: Any) -> UploadGuard:
    """api_transformer step: sign-in and PORTAL_UPLOAD_MAX_BYTES in front of `/_upload`."""
    return UploadGuard(app, path=upload_path(), max_bytes=get_settings().upload_max_bytes)


def built_pages_dir() -> Path:
    """Where the built front end's pages lie (reflex/utils/exec.py `get_frontend_mount`)."""
    config = get_config()
    web_dir = prerequisites.get_web_dir()
    return (web_dir / constants.Dirs.STATIC / config.frontend_path.strip("/")).resolve()


class PageWithoutRedirect:
    """Serves a page asked for without its trailing slash (/client/login, as every link and
    redirect of ours writes it) directly, instead of the static mount's 307 to /client/login/
    and a second request (issue 23). Only paths whose `<path>/index.html` exists in the build
    are rewritten; every other request passes untouched."""

    def __init__(self, app: Any, pages_dir: Path | None = None) -> None:
        self.app = app
        self.pages_dir = pages_dir or built_pages_dir()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        last = path.rsplit("/", 1)[-1]
        if (
            last
            and "." not in last
            and scope.get("method") in ("GET", "HEAD")
            and ".." not in path
            and (self.pages_dir / path.lstrip("/") / "index.html").is_file()
        ):
            scope = {**scope, "path": path + "/", "raw_path": (path + "/").encode("latin-1")}
        await self.app(scope, receive, send)


def backend_transformers(api: Starlette) -> list[Starlette | Callable[[Any], Any]]:
    """`rx.App(api_transformer=...)`: the guard around Reflex's app, our routes, the sign-in
    binding cookie on the pages that start a sign-in, the headers around everything."""
    return [PageWithoutRedirect, upload_guard, api, BindingCookieMiddleware, security_headers]
