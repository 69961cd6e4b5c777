"""Calls from Python into the portal's own browser code, the ES modules in assets/js/.

`rx.call_script` evaluates a string in the browser. The portal's strings all have one shape:
import one of our modules and call one of its exported functions by name, with every argument
encoded by `json.dumps` (so no value from a user or the database is ever spliced into code):

    import("/js/stripe_card.js?v=1a2b3c4d5e6f").then((m) => m.confirmSetup("seti_..."))

The code itself lives in real .js files: Reflex copies assets/ into the built front end, which
serves them from our own origin (allowed by the page policy's `script-src 'self'`, see
portal_app/security_headers.py). A module is fetched on the first call of a page load only, and
the browser keeps it for the rest of the visit. The URL carries a digest of the file's content:
a changed file gets a new URL after a deploy, so no browser runs yesterday's copy from its cache.
"""

from __future__ import annotations

import functools
import hashlib
import json

from reflex.config import get_config

from portal_app.core.settings import PROJECT_ROOT

JS_DIR = PROJECT_ROOT / "assets" / "js"

# The modules Python calls into (assets/js/<name>).
STRIPE_CARD = "stripe_card.js"
SIGNATURE_PAD = "signature_pad.js"
NAVIGATION = "navigation.js"
MODULES = (STRIPE_CARD, SIGNATURE_PAD, NAVIGATION)


@functools.cache
def module_url(module: str) -> str:
    """The URL of assets/js/`module` as the browser fetches it, with its content digest."""
    if module not in MODULES:
        raise ValueError(f"unknown browser module {module!r}")
    digest = hashlib.sha256((JS_DIR / module).read_bytes()).hexdigest()[:12]
    return get_config().prepend_frontend_path(f"/js/{module}") + f"?v={digest}"


def call(module: str, function: str, *args: str | int | bool | None) -> str:
    """Browser code that calls `function` of assets/js/`module` with `args` (JSON-encoded)
    and resolves to what it returns (for an `rx.call_script` callback)."""
    if not function.isidentifier():
        raise ValueError(f"not a function name: {function!r}")
    arguments = ", ".join(json.dumps(arg) for arg in args)
    return f"import({json.dumps(module_url(module))}).then((m) => m.{function}({arguments}))"
