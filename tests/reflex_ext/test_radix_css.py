"""Radix Themes CSS cut to the portal's colour scales (issue 23 item 3).

Fails when a page starts using a colour scale that the trimmed stylesheet leaves out (add it to
portal_app/reflex_ext/radix_css.COLOR_SCALES), or when Reflex or Radix Themes change what the
plugin relies on.
"""

from __future__ import annotations

import logging
import re

from reflex_base.config import get_config
from reflex_components_radix.plugin import RADIX_THEMES_STYLESHEET, RadixThemesPlugin

from portal_app.core.settings import PROJECT_ROOT, Settings
from portal_app.reflex_ext.radix_css import COLOR_SCALES, PortalRadixThemesPlugin, theme_stylesheets
from tests.helpers.front_end import require_front_end

# Every scale Radix Themes ships (its tokens/colors/*.css).
ALL_SCALES = [
    "gray",
    "mauve",
    "slate",
    "sage",
    "olive",
    "sand",
    "amber",
    "blue",
    "bronze",
    "brown",
    "crimson",
    "cyan",
    "gold",
    "grass",
    "green",
    "indigo",
    "iris",
    "jade",
    "lime",
    "mint",
    "orange",
    "pink",
    "plum",
    "purple",
    "red",
    "ruby",
    "sky",
    "teal",
    "tomato",
    "violet",
    "yellow",
]
THEMES_PACKAGE = PROJECT_ROOT / ".web" / "node_modules" / "@radix-ui" / "themes"


def test_every_colour_scale_the_code_names_is_kept():
    scale_literal = re.compile(r"""["'](""" + "|".join(ALL_SCALES) + r""")["']""")
    used: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "portal_app").rglob("*.py")):
        for scale in scale_literal.findall(path.read_text()):
            used.setdefault(scale, str(path.relative_to(PROJECT_ROOT)))
    assert {"indigo", "red", "green"} <= set(used)  # the scan sees what we know is there
    missing = {scale: where for scale, where in used.items() if scale not in COLOR_SCALES}
    assert missing == {}, "add these scales to radix_css.COLOR_SCALES"


def test_the_theme_s_accent_and_grey_are_kept():
    (plugin,) = [p for p in get_config().plugins if isinstance(p, RadixThemesPlugin)]
    assert isinstance(plugin, PortalRadixThemesPlugin)
    props = str(plugin.theme.render()["props"])
    accent = re.search(r'accentColor:\\?"(\w+)', props)
    gray = re.search(r'grayColor:\\?"(\w+)', props)
    assert accent and gray, props
    assert {accent.group(1), gray.group(1)} <= set(COLOR_SCALES)


def test_the_parts_replace_styles_css_in_its_order():
    plugin = PortalRadixThemesPlugin(theme=None, reflex_version="0.10.1")
    paths = plugin.get_stylesheet_paths()
    assert RADIX_THEMES_STYLESHEET not in paths
    assert paths == theme_stylesheets(COLOR_SCALES)
    assert paths[-3:] == (
        "@radix-ui/themes/tokens/base.css",
        "@radix-ui/themes/components.css",
        "@radix-ui/themes/utilities.css",
    )


def test_the_parts_exist_in_the_installed_radix_themes():
    # Radix Themes documents importing these parts instead of styles.css (same rules, with
    # only the chosen colour scales' tokens).
    require_front_end(THEMES_PACKAGE / "styles.css")
    for path in theme_stylesheets(tuple(ALL_SCALES)):
        assert (THEMES_PACKAGE / path.removeprefix("@radix-ui/themes/")).is_file(), path
    shipped = {css.stem for css in (THEMES_PACKAGE / "tokens" / "colors").glob("*.css")}
    assert shipped == set(ALL_SCALES)


def test_switched_off_disabled_or_on_an_untested_reflex_it_keeps_styles_css(caplog):
    whole = (RADIX_THEMES_STYLESHEET,)
    assert PortalRadixThemesPlugin(theme=None, trim=False).get_stylesheet_paths() == whole
    assert PortalRadixThemesPlugin(theme=None, enabled=False).get_stylesheet_paths() == ()
    with caplog.at_level(logging.ERROR, logger="portal_app.reflex_ext"):
        untested = PortalRadixThemesPlugin(theme=None, reflex_version="0.11.0")
        assert untested.get_stylesheet_paths() == whole
    assert "not installing radix css trim" in caplog.text


def test_the_switch_reads_the_environment(monkeypatch):
    monkeypatch.delenv("PORTAL_RADIX_CSS_TRIM", raising=False)
    assert Settings().radix_css_trim is True
    monkeypatch.setenv("PORTAL_RADIX_CSS_TRIM", "0")
    assert Settings().radix_css_trim is False


def test_reflex_s_root_stylesheet_imports_the_parts_in_order():
    from reflex.compiler.compiler import _compile_root_stylesheet

    plugins = [p for p in get_config().plugins if isinstance(p, RadixThemesPlugin)]
    code = _compile_root_stylesheet([], True, plugins)
    assert RADIX_THEMES_STYLESHEET not in code
    positions = [code.index(f"@import url('{path}')") for path in theme_stylesheets(COLOR_SCALES)]
    assert positions == sorted(positions)
