"""Radix Themes' components.css cut to the components the compiled app renders (issue 23).

The set of components is read from the compile's own code (the pages' and memo components'
JS), so a page that starts using another Radix component or hand-set rt- class keeps its styles
without a list to update; the last test compiles the real app and checks exactly that.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from reflex_base.config import get_config
from reflex_components_radix.plugin import RadixThemesPlugin

from portal_app.reflex_ext.radix_css import (
    COLOR_SCALES,
    COMPONENT_CLASS,
    COMPONENTS_FILE,
    RADIX_COMPONENTS_CSS,
    PortalRadixThemesPlugin,
    all_component_classes,
    component_classes,
    theme_stylesheets,
    trim_components_css,
    used_in_code,
)
from tests.helpers.front_end import NODE_MODULES, require_front_end

COMPONENTS_DIR = NODE_MODULES / "@radix-ui" / "themes" / "dist" / "esm" / "components"


@pytest.fixture
def front_end() -> None:
    """The installed Radix Themes and PostCSS these tests read (tests/helpers/front_end.py)."""
    require_front_end(NODE_MODULES / "postcss", COMPONENTS_DIR)


needs_front_end = pytest.mark.usefixtures("front_end")


def test_the_compiled_code_s_radix_imports_and_hand_set_classes_are_read():
    page = (
        'import {Dialog as RadixThemesDialog,Table as RadixThemesTable} from "@radix-ui/themes"\n'
        'import {Box as RadixThemesBox} from "@radix-ui/themes"\n'
        'import {Root as X} from "@radix-ui/react-popover"\n'
        'jsx("td",{className:"rt-TableCell rt-r-size-1 rt-variant-soft"})'
    )
    components, classes = used_in_code([page])
    assert components == {"Dialog", "Table", "Box"}
    assert classes == {"rt-TableCell"}  # modifiers (rt-r-size-1) are not component classes


@needs_front_end
def test_a_component_s_classes_include_the_modules_it_imports():
    dialog = component_classes(COMPONENTS_DIR, "Dialog")
    assert {"rt-DialogContent", "rt-BaseDialogContent", "rt-Heading"} <= dialog
    assert "rt-AvatarRoot" not in dialog
    assert {"rt-SelectTrigger", "rt-SelectContent"} <= component_classes(COMPONENTS_DIR, "Select")
    assert component_classes(COMPONENTS_DIR, "AlertDialog") >= {"rt-AlertDialogContent"}
    assert {"rt-AvatarRoot", "rt-Button"} <= all_component_classes(COMPONENTS_DIR)


@needs_front_end
def test_postcss_drops_only_selectors_that_need_an_unused_component():
    css = """
:root { --x: 1 }
.radix-themes { --cursor-button: pointer }
.rt-Button { color: red }
.rt-AvatarRoot { color: blue }
.rt-Button, .rt-AvatarRoot { margin: 0 }
.rt-Button .rt-AvatarRoot { padding: 0 }
:where(.rt-AvatarRoot) .inner { padding: 1px }
.rt-Unknown { border: 0 }
@media (min-width: 520px) { .rt-AvatarRoot { width: 1px } }
@media (min-width: 768px) { .rt-AvatarRoot { width: 2px } .rt-Button { width: 2px } }
@supports (color: color(display-p3 1 1 1)) { @media (color-gamut: p3) { .rt-AvatarRoot { a: b } } }
@layer components { .rt-AvatarFallback { a: b } .rt-Button.rt-variant-solid { a: c } }
@keyframes rt-avatar-fade { from { opacity: 0 } to { opacity: 1 } }
"""
    out = trim_components_css(
        css, {"rt-Button"}, {"rt-AvatarRoot", "rt-AvatarFallback"}, NODE_MODULES
    )
    assert out is not None
    assert "color: blue" not in out and "width: 1px" not in out
    assert "padding: 1px" not in out  # the :where() needs the unused component too
    assert "display-p3" not in out  # @supports left empty goes too
    assert "rt-AvatarFallback" not in out
    for kept in (
        ":root { --x: 1 }",
        ".radix-themes",
        ".rt-Button { color: red }",
        ".rt-Button { margin: 0 }",  # the used half of a selector list
        ".rt-Button .rt-AvatarRoot",  # mentions a used class: stays
        ".rt-Unknown",  # a class no Radix module renders: not ours to judge
        "@media (min-width: 768px)",
        ".rt-Button { width: 2px }",
        "@layer components { .rt-Button.rt-variant-solid",
        "@keyframes rt-avatar-fade",
    ):
        assert kept in out, kept


@needs_front_end
def test_the_real_components_css_keeps_the_used_components_and_drops_the_others():
    plugin = PortalRadixThemesPlugin(theme=None, node_modules=NODE_MODULES)
    code = (
        'import {Button as RadixThemesButton,Select as RadixThemesSelect} from "@radix-ui/themes"'
    )
    full = (NODE_MODULES / "@radix-ui" / "themes" / "components.css").read_text()
    trimmed = plugin.trimmed_components_css([code])
    assert trimmed is not None
    assert len(trimmed) < len(full) / 2
    for used in ("rt-BaseButton", "rt-Button", "rt-SelectTrigger", "rt-SelectContent"):
        assert f".{used}" in trimmed, used
    for dropped in ("rt-AvatarRoot", "rt-SliderRoot", "rt-TooltipContent", "rt-DataListRoot"):
        assert f".{dropped}" in full and f".{dropped}" not in trimmed, dropped
    # A page that starts using the Avatar gets its rules back with no list to update.
    with_avatar = plugin.trimmed_components_css([code, "import {Avatar} from '@radix-ui/themes'"])
    assert with_avatar is not None and ".rt-AvatarRoot" in with_avatar


@needs_front_end
def test_an_unknown_component_or_no_compile_keeps_the_whole_file(caplog):
    plugin = PortalRadixThemesPlugin(theme=None, node_modules=NODE_MODULES)
    assert plugin.trimmed_components_css(['import {Gizmo} from "@radix-ui/themes"']) is None
    assert "no module for Gizmo" in caplog.text
    assert plugin.trimmed_components_css([]) is None
    # Without a compile (no page seen) the stylesheets name Radix's own components.css.
    assert plugin.get_stylesheet_paths() == theme_stylesheets(COLOR_SCALES)
    assert plugin.get_static_assets() == []


def test_a_compile_without_the_front_end_packages_imports_the_whole_file(tmp_path):
    # A new .web: the stylesheets are named before Reflex installs the packages.
    plugin = PortalRadixThemesPlugin(theme=None, node_modules=tmp_path / "node_modules")
    page = SimpleNamespace(output_code='import {Button} from "@radix-ui/themes"')
    compile_ctx = SimpleNamespace(compiled_pages={"/": page}, auto_memo_components={})
    plugin.compile_page(SimpleNamespace(), compile_context=compile_ctx)
    assert plugin.get_stylesheet_paths() == theme_stylesheets(COLOR_SCALES, f"./{COMPONENTS_FILE}")
    assets = plugin.get_static_assets()
    assert assets == [
        (Path("styles") / COMPONENTS_FILE, f"@import url('{RADIX_COMPONENTS_CSS}');\n")
    ]
    assert plugin.get_stylesheet_paths() == theme_stylesheets(COLOR_SCALES)  # compile forgotten


@needs_front_end
def test_the_compiled_portal_keeps_every_component_it_renders():
    """Compile the real app (no files written) and check the trimmed stylesheet against it."""
    from reflex.compiler.compiler import compile_app
    from reflex.utils.prerequisites import get_and_validate_app

    app = get_and_validate_app().app  # (re)loads rxconfig: its plugins are the compile's
    (plugin,) = [p for p in get_config().plugins if isinstance(p, RadixThemesPlugin)]
    assert isinstance(plugin, PortalRadixThemesPlugin)
    compile_app(app, dry_run=True, use_rich=False)
    assert f"./{COMPONENTS_FILE}" in plugin.get_stylesheet_paths()
    code = plugin.compiled_code()
    components, hand_set = used_in_code(code)
    assert {"Button", "Dialog", "Select", "Table"} <= components  # the scan sees what is there
    assert {"rt-TableRow", "rt-BaseCard"} <= hand_set  # records.py, the dashboard's cards

    assets = dict(plugin.get_static_assets())
    trimmed = assets[Path("styles") / COMPONENTS_FILE]
    assert isinstance(trimmed, str)
    full = (NODE_MODULES / "@radix-ui" / "themes" / "components.css").read_text()
    styled = set(COMPONENT_CLASS.findall(full))
    kept = set(COMPONENT_CLASS.findall(trimmed))
    used = set(hand_set)
    for component in components:
        used |= component_classes(COMPONENTS_DIR, component)
    assert (used & styled) - kept == set()  # every class the app renders keeps its rules
    assert {"rt-AvatarRoot", "rt-SliderRoot", "rt-TooltipContent"} & kept == set()
    assert len(gzip.compress(trimmed.encode())) < len(gzip.compress(full.encode()))
    assert re.search(r"@media[^{]*\{[^}]*\.rt-", trimmed)  # responsive rules are still there
