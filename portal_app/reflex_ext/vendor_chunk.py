"""One vendor chunk for Radix and the small libraries around it, through a Reflex plugin.

Vite (Rolldown underneath, in Reflex 0.10's front end) splits shared code by which routes use
it, and the portal's routes share Radix components in many different combinations, so a page
loaded ~45 JavaScript files, ~30 of them small Radix, Lucide and helper chunks, all
modulepreloaded (issue 23 item 3). One named `codeSplitting` group puts those libraries in one
file that every page loads once and the browser then keeps (hashed assets are cached as
immutable). Two tiny modules of our own that every page imports (the theme, the catalogs'
URLs) go in it too, a request each otherwise.

Reflex writes `.web/vite.config.js` again on every compile (`frontend_skeleton.
_compile_vite_config`, appended to the compile results), so a hand edit does not last. A
plugin's `pre_compile` may register a modify task for that file, which Reflex applies to the
freshly rendered text before writing it (Reflex's own EmbedPlugin patches the config the same
way). `add_vendor_chunk` inserts our group at the head of the `codeSplitting.groups` list that
Reflex's template already has (its `reflex-env` group stays as it is).

Reflex internals relied on (re-check on an upgrade; tests/reflex_ext/test_vendor_chunk.py runs
the transform on the config Reflex renders): the `add_modify_task` pre-compile hook, the
`vite.config.js` name in `reflex_base.constants.ReactRouter`, and the template's
`codeSplitting: { groups: [` text. Version-guarded: on an untested Reflex series the plugin does
nothing and says so in the log (the build is then Vite's default split).

Switch: PORTAL_VENDOR_CHUNK=0 (settings.vendor_chunk) builds without the group, so
bench/lighthouse.py can measure before and after in one run.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from reflex.plugins import Plugin
from reflex_base.constants import ReactRouter

from portal_app.reflex_ext import REFLEX_VERSION, allow_patch

log = logging.getLogger(__name__)

VENDOR_CHUNK_NAME = "vendor"

# npm packages that go into the vendor chunk: Radix (Themes and the primitives it uses), the
# icons, the helpers Radix pulls in (positioning, scroll lock, focus and portal helpers), the
# drawer (vaul, the phone menu) and the debounced input Reflex uses for text fields. React
# comes along as their dependency (Rolldown puts a captured module's imports in its group).
VENDOR_PACKAGES = (
    "@radix-ui",
    "radix-ui",
    "@floating-ui",
    "lucide-react",
    "react-remove-scroll",
    "react-remove-scroll-bar",
    "react-style-singleton",
    "use-callback-ref",
    "use-sidecar",
    "aria-hidden",
    "get-nonce",
    "detect-node-es",
    "classnames",
    "tslib",
    "vaul",
    "react-debounce-input",
    "lodash.debounce",
)

# Two small modules of the app's own that every page imports, each of which Vite made a chunk
# of its own (~1 KiB and one request each): `.web/utils/theme.js` (Reflex's theme, imported by
# the root and every route) and `.web/utils/portal_catalog.js` (the translation catalogs' URLs,
# reflex_ext/ui_catalog; every page but not the root). In the vendor chunk they cost nothing on any
# page and take two requests off each (issue 23's 15 a page). What it costs: the vendor chunk's
# hash changes, and browsers fetch it again, when a catalog's content hash or the theme does.
VENDOR_APP_MODULES = ("theme", "portal_catalog")

# Where the group goes: the opening of the groups list in Reflex's vite.config.js template.
_GROUPS_OPENING = re.compile(r"codeSplitting:\s*\{\s*groups:\s*\[")
_MARKER = "// portal_app vendor chunk"


def vendor_group_js() -> str:
    """The Rolldown `codeSplitting` group (JavaScript object literal) for the vendor chunk."""
    names = "|".join(VENDOR_PACKAGES)  # plain package names: nothing to escape
    app = "|".join(VENDOR_APP_MODULES)
    return (
        f"{{ {_MARKER}\n"
        f'              name: "{VENDOR_CHUNK_NAME}",\n'
        f"              test: /(node_modules[\\\\/]({names})[\\\\/]"
        f"|[\\\\/]utils[\\\\/]({app})\\.js$)/,\n"
        "            },"
    )


def add_vendor_chunk(config_js: str) -> str:
    """`config_js` (Reflex's rendered vite.config.js) with the vendor group first in its groups.

    Already patched text comes back unchanged. Text without the groups list (a changed Reflex
    template) comes back unchanged too, with an error in the log: the build still works, with
    Vite's default split, and tests/reflex_ext/test_vendor_chunk.py fails.
    """
    if _MARKER in config_js:
        return config_js
    match = _GROUPS_OPENING.search(config_js)
    if match is None:
        log.error(
            "vendor chunk not added: vite.config.js has no `codeSplitting: { groups: [` "
            "(Reflex's template changed); re-check portal_app/reflex_ext/vendor_chunk.py"
        )
        return config_js
    insert_at = match.end()
    return f"{config_js[:insert_at]}\n            {vendor_group_js()}{config_js[insert_at:]}"


class VendorChunkPlugin(Plugin):
    """Reflex plugin (rxconfig.py `plugins=`) giving the front-end build one vendor chunk.

    `enabled=False` (PORTAL_VENDOR_CHUNK=0) leaves Reflex's config untouched.
    """

    def __init__(self, *, enabled: bool = True, reflex_version: str = REFLEX_VERSION) -> None:
        """Build with the vendor chunk when `enabled` and Reflex is a tested series."""
        self.enabled = enabled
        self.reflex_version = reflex_version

    def pre_compile(self, **context: Any) -> None:
        """Register the vite.config.js modify task (when enabled and on a tested Reflex)."""
        if not self.enabled or not allow_patch("vendor chunk", self.reflex_version):
            return
        context["add_modify_task"](ReactRouter.VITE_CONFIG_FILE, add_vendor_chunk)

    def __repr__(self) -> str:
        """Show the switch (Reflex prints its plugins)."""
        return f"VendorChunkPlugin(enabled={self.enabled})"
