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
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from reflex_components_radix.plugin import RADIX_THEMES_STYLESHEET, RadixThemesPlugin

from portal_app.reflex_ext import REFLEX_VERSION, allow_patch

log = logging.getLogger(__name__)

# The scales the portal uses: the theme's accent (indigo) and grey (slate), Radix's own "gray"
# (color_scheme="gray"), and the status colours of badges, callouts and buttons.
COLOR_SCALES = ("indigo", "slate", "gray", "amber", "blue", "green", "orange", "red")


def theme_stylesheets(scales: tuple[str, ...]) -> tuple[str, ...]:
    """The parts of Radix Themes' styles.css, in its order, with only `scales`' colour tokens."""
    package = RADIX_THEMES_STYLESHEET.removesuffix("styles.css")
    return (
        *(f"{package}tokens/colors/{scale}.css" for scale in scales),
        f"{package}tokens/base.css",
        f"{package}components.css",
        f"{package}utilities.css",
    )


@dataclasses.dataclass
class PortalRadixThemesPlugin(RadixThemesPlugin):
    """Reflex's Radix Themes plugin with the theme's CSS cut to the portal's colour scales.

    `trim=False` (PORTAL_RADIX_CSS_TRIM=0) keeps Reflex's whole styles.css.
    """

    trim: bool = True
    reflex_version: str = dataclasses.field(default=REFLEX_VERSION, repr=False)

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        """Radix Themes' stylesheets: the parts with the portal's scales instead of styles.css."""
        paths = tuple(super().get_stylesheet_paths(**context))
        if not self.trim or paths != (RADIX_THEMES_STYLESHEET,):
            return paths
        if not allow_patch("radix css trim", self.reflex_version):
            return paths
        return theme_stylesheets(COLOR_SCALES)
