"""Radix Themes CSS with only the colour scales the portal uses (issue 23 item 3).

Reflex's RadixThemesPlugin puts `@radix-ui/themes/styles.css` in the one render-blocking global
stylesheet: the tokens of all 31 colour scales (light, dark, alpha and P3 variants: 35 KiB of
the 86 KiB gzipped), the components and the utilities. Radix Themes publishes the parts of that
file separately (`tokens/base.css`, `tokens/colors/<scale>.css`, `components.css`,
`utilities.css`, which together are `styles.css`), so `PortalRadixThemesPlugin` names those
parts instead, with the scales in `COLOR_SCALES` only: the theme's accent and grey, and every
`color_scheme` / `rx.color` scale the pages use. tests/reflex_ext/test_radix_css.py scans
portal_app for scale names, so a page that starts using another colour fails there until the
scale is added here.

Reflex internals relied on (re-check on an upgrade): `reflex_components_radix.plugin.
RadixThemesPlugin` (a dataclass that Reflex finds by isinstance, so this is a subclass) and its
`get_stylesheet_paths` returning `("@radix-ui/themes/styles.css",)` when enabled; the file
layout of the @radix-ui/themes package that Reflex pins. On an untested Reflex series, or when
the parent returns anything else, the parent's stylesheets are used unchanged.

Components (issue 23, 2026-12-07): `components.css` (432 KB) styles every Radix Themes
component; the portal uses about half of them. While Reflex compiles the pages the plugin's
`compile_page` hook keeps the compile; afterwards the compiled code of the pages and memo
components (the .jsx files Reflex writes) says which Radix Themes components are imported
(`import {Dialog as RadixThemesDialog}`) and which `rt-<Component>` classes pages set by hand
(`class_name="rt-TableRow"`). Each imported component's module in
`@radix-ui/themes/dist/esm/components` (and the modules it imports) names the `rt-` classes it
renders; `get_static_assets` then writes
`.web/styles/portal_radix_components.css`, components.css parsed with PostCSS (Vite's, in
.web/node_modules) less the selectors that need a class of a component the app never renders.
A selector that mentions any used class stays, as does every at-rule's other content, the
keyframes and the tokens (which are in other files). Without node, PostCSS or a Radix import in
the code, the file is one `@import` of the whole components.css; without a compile (no page
seen) the stylesheets name components.css itself, as before.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from reflex_components_radix.plugin import RADIX_THEMES_STYLESHEET, RadixThemesPlugin

from portal_app.reflex_ext import REFLEX_VERSION, allow_patch

log = logging.getLogger(__name__)

# The scales the portal uses: the theme's accent (indigo) and grey (slate), Radix's own "gray"
# (color_scheme="gray"), and the status colours of badges, callouts and buttons.
COLOR_SCALES = ("indigo", "slate", "gray", "amber", "blue", "green", "orange", "red")


RADIX_COMPONENTS_CSS = RADIX_THEMES_STYLESHEET.removesuffix("styles.css") + "components.css"
# The trimmed components.css, written into .web/styles beside Reflex's root stylesheet.
COMPONENTS_FILE = "portal_radix_components.css"
# A component's class in Radix Themes: rt- and a capital (modifiers are rt-r-size-1 and such).
COMPONENT_CLASS = re.compile(r"rt-[A-Z][A-Za-z0-9]*(?![\w-])")
# How Reflex's compiled pages import Radix Themes: import {Dialog as RadixThemesDialog, ...}.
_THEMES_IMPORT = re.compile(r"""import\s*\{([^}]*)\}\s*from\s*["']@radix-ui/themes["']""")
_RELATIVE_IMPORT = re.compile(r"""from\s*["'](\.{1,2}/[^"']+\.js)["']""")

# PostCSS (a dependency of Vite) drops the selectors that need only unused components'
# classes: a Node script beside this module (JSON in on stdin, the CSS out on stdout).
_POSTCSS_FILTER = Path(__file__).with_name("radix_css_trim.js")


def theme_stylesheets(scales: tuple[str, ...], components: str | None = None) -> tuple[str, ...]:
    """The parts of Radix Themes' styles.css, in its order, with only `scales`' colour tokens.

    `components` replaces components.css (the trimmed copy's path, relative to .web/styles).
    """
    package = RADIX_THEMES_STYLESHEET.removesuffix("styles.css")
    return (
        *(f"{package}tokens/colors/{scale}.css" for scale in scales),
        f"{package}tokens/base.css",
        components or f"{package}components.css",
        f"{package}utilities.css",
    )


def _module_name(component: str) -> str:
    """`AlertDialog` -> `alert-dialog` (the file name of its module in Radix Themes)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", component).lower()


def component_classes(components_dir: Path, component: str) -> set[str]:
    """The rt- component classes that `component`'s module and the modules it imports render."""
    seen: set[Path] = set()
    todo = [components_dir / f"{_module_name(component)}.js"]
    classes: set[str] = set()
    while todo:
        module = todo.pop().resolve()
        if module in seen or not module.is_file():
            continue
        seen.add(module)
        code = module.read_text()
        classes.update(COMPONENT_CLASS.findall(code))
        todo.extend(module.parent / path for path in _RELATIVE_IMPORT.findall(code))
    return classes


def used_in_code(code: list[str]) -> tuple[set[str], set[str]]:
    """The Radix Themes components that compiled JS imports, and the rt- classes it names."""
    components: set[str] = set()
    classes: set[str] = set()
    for module in code:
        for names in _THEMES_IMPORT.findall(module):
            components.update(name.split(" as ")[0].strip() for name in names.split(","))
        classes.update(COMPONENT_CLASS.findall(module))
    components.discard("")
    return components, classes


def all_component_classes(components_dir: Path) -> set[str]:
    """Every rt- component class that some module of Radix Themes renders."""
    return {
        name
        for module in components_dir.rglob("*.js")
        for name in COMPONENT_CLASS.findall(module.read_text())
    }


def trim_components_css(
    css: str, used: set[str], dropped: set[str], node_modules: Path
) -> str | None:
    """`css` less the selectors that need a `dropped` class, by PostCSS; None if it can't run."""
    node = shutil.which("node")
    if node is None or not (node_modules / "postcss").is_dir():
        return None
    payload = json.dumps({"css": css, "used": sorted(used), "dropped": sorted(dropped)})
    try:
        done = subprocess.run(  # noqa: S603 (our own script, on the app's own CSS)
            [node, str(_POSTCSS_FILTER)],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            cwd=node_modules.parent,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.error("radix css: PostCSS failed, keeping the whole components.css: %s", error)
        return None
    return done.stdout


@dataclasses.dataclass
class PortalRadixThemesPlugin(RadixThemesPlugin):
    """Reflex's Radix Themes plugin with the theme's CSS cut to the portal's colour scales.

    `trim=False` (PORTAL_RADIX_CSS_TRIM=0) keeps Reflex's whole styles.css.
    """

    trim: bool = True
    reflex_version: str = dataclasses.field(default=REFLEX_VERSION, repr=False)
    # Where .web/node_modules is (None: Reflex's web dir, found when it is needed).
    node_modules: Path | None = dataclasses.field(default=None, repr=False)
    # The compile in progress (Reflex's CompileContext, from the compile_page hook).
    _compile: Any = dataclasses.field(default=None, init=False, repr=False)

    def compile_page(self, page_ctx: Any, /, **kwargs: Any) -> None:
        """The parent's (the Theme wrapper), and remember the compile to read its code later."""
        super().compile_page(page_ctx, **kwargs)
        self._compile = kwargs.get("compile_context")

    def compiled_code(self) -> list[str]:
        """The JS code of the compile's pages and memo components (as Reflex writes them)."""
        from reflex.compiler.compiler import compile_memo_components
        from reflex_base.components.memo import MEMOS

        if self._compile is None:
            return []
        code = [page.output_code or "" for page in self._compile.compiled_pages.values()]
        memos, _ = compile_memo_components(
            (*MEMOS.values(), *self._compile.auto_memo_components.values())
        )
        return code + [memo for _, memo in memos]

    def _node_modules(self) -> Path:
        if self.node_modules is not None:
            return self.node_modules
        from reflex.utils.prerequisites import get_web_dir

        return get_web_dir() / "node_modules"

    def _trims_components(self) -> bool:
        # Not whether PostCSS is there: on a new .web Reflex installs the packages after the
        # stylesheets are named and before the assets are written (the fallback: an @import).
        return self._compile is not None

    def trimmed_components_css(self, code: list[str]) -> str | None:
        """components.css without the rules of components `code` never renders (None: keep it)."""
        themes = self._node_modules() / "@radix-ui" / "themes"
        components_dir = themes / "dist" / "esm" / "components"
        components, used = used_in_code(code)
        if (
            not components
            or not components_dir.is_dir()
            or not (themes / "components.css").is_file()
        ):
            return None
        for component in components:
            if not (components_dir / f"{_module_name(component)}.js").is_file():
                log.error(
                    "radix css: no module for %s, keeping the whole components.css", component
                )
                return None
            used |= component_classes(components_dir, component)
        dropped = all_component_classes(components_dir) - used
        css = (themes / "components.css").read_text()
        return trim_components_css(css, used, dropped, self._node_modules())

    def get_static_assets(self, **context: Any) -> list[tuple[Path, str | bytes]]:
        """The trimmed components.css, when the stylesheets name it; then forget the pages."""
        assets = list(super().get_static_assets(**context))
        try:
            if self._names_trimmed_file():
                css = self.trimmed_components_css(self.compiled_code())
                if css is None:  # can't trim after all: the whole file under the same name
                    css = f"@import url('{RADIX_COMPONENTS_CSS}');\n"
                assets.append((Path("styles") / COMPONENTS_FILE, css))
        finally:
            self._compile = None
        return assets

    def _names_trimmed_file(self) -> bool:
        return f"./{COMPONENTS_FILE}" in self.get_stylesheet_paths()

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        """Radix Themes' stylesheets: the parts with the portal's scales instead of styles.css."""
        paths = tuple(super().get_stylesheet_paths(**context))
        if not self.trim or paths != (RADIX_THEMES_STYLESHEET,):
            return paths
        if not allow_patch("radix css trim", self.reflex_version):
            return paths
        components = f"./{COMPONENTS_FILE}" if self._trims_components() else None
        return theme_stylesheets(COLOR_SCALES, components)
