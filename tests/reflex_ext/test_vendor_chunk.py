"""The vendor chunk plugin (issue 23 item 3) on the vite.config.js Reflex renders today.

These fail when a Reflex upgrade changes the config template, the pre-compile hook or the
plugin list so that the build no longer gets its one vendor chunk; read
portal_app/reflex_ext/vendor_chunk.py's docstring, then fix there.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess

import pytest
from reflex.utils import frontend_skeleton
from reflex_base.config import get_config
from reflex_base.constants import ReactRouter

from portal_app.core.settings import Settings
from portal_app.reflex_ext.vendor_chunk import (
    VENDOR_CHUNK_NAME,
    VendorChunkPlugin,
    add_vendor_chunk,
)


def reflex_vite_config() -> str:
    """vite.config.js as Reflex renders it on each compile, for this project's config."""
    return frontend_skeleton._compile_vite_config(get_config())


def vendor_test_regex(config_js: str) -> re.Pattern[str]:
    """The vendor group's `test:` regular expression from `config_js` (JS and Python agree on
    this one: alternation, a character class, no flags)."""
    group = re.search(r'name: "vendor",\s*test: /(.+)/,', config_js)
    assert group, config_js
    return re.compile(group.group(1))


def test_the_vendor_group_is_first_in_reflex_s_code_splitting_groups():
    patched = add_vendor_chunk(reflex_vite_config())
    groups = patched[patched.index("codeSplitting: {") : patched.index("experimental: {")]
    assert groups.count(f'name: "{VENDOR_CHUNK_NAME}"') == 1
    assert groups.index(f'name: "{VENDOR_CHUNK_NAME}"') < groups.index('name: "reflex-env"')


@pytest.mark.parametrize(
    "module",
    [
        "/app/.web/node_modules/@radix-ui/themes/dist/esm/components/dialog.js",
        "/app/.web/node_modules/@radix-ui/react-dialog/dist/index.mjs",
        "/app/.web/node_modules/radix-ui/dist/index.mjs",
        "/app/.web/node_modules/@floating-ui/dom/dist/floating-ui.dom.mjs",
        "/app/.web/node_modules/lucide-react/dist/esm/icons/check.js",
        "/app/.web/node_modules/react-remove-scroll/dist/es2015/Combination.js",
        "/app/.web/node_modules/vaul/dist/index.mjs",
        "C:\\app\\.web\\node_modules\\@radix-ui\\themes\\dist\\esm\\index.js",
        # Two small modules of ours that every page imports (a request each otherwise).
        "/app/.web/utils/theme.js",
        "/app/.web/utils/portal_catalog.js",
        "C:\\app\\.web\\utils\\portal_catalog.js",
    ],
)
def test_radix_and_friends_go_to_the_vendor_chunk(module):
    assert vendor_test_regex(add_vendor_chunk(reflex_vite_config())).search(module)


@pytest.mark.parametrize(
    "module",
    [
        "/app/.web/utils/state.js",
        "/app/.web/utils/context.js",
        "/app/.web/utils/theme.jsx",
        "/app/.web/app_components/portal_app/utils/theme.js.map",
        "/app/.web/app/routes/client.invoices._index.jsx",
        "/app/.web/node_modules/react-dropzone/dist/es/index.js",  # upload pages only
        "/app/.web/node_modules/@radix-ui-lookalike/x.js",
        "/app/.web/node_modules/vaulted/index.js",
    ],
)
def test_app_code_and_other_packages_stay_where_vite_puts_them(module):
    assert not vendor_test_regex(add_vendor_chunk(reflex_vite_config())).search(module)


def test_patching_twice_adds_one_group():
    once = add_vendor_chunk(reflex_vite_config())
    assert add_vendor_chunk(once) == once


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_patched_config_is_valid_javascript(tmp_path):
    config = tmp_path / "vite.config.mjs"
    config.write_text(add_vendor_chunk(reflex_vite_config()))
    done = subprocess.run(["node", "--check", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_changed_template_is_left_alone_and_the_log_says_so(caplog):
    text = "export default defineConfig({ build: { rollupOptions: {} } });"
    with caplog.at_level(logging.ERROR, logger="portal_app.reflex_ext.vendor_chunk"):
        assert add_vendor_chunk(text) == text
    assert "vendor chunk not added" in caplog.text


def _modify_tasks(plugin: VendorChunkPlugin) -> list[tuple[str, object]]:
    tasks: list[tuple[str, object]] = []
    plugin.pre_compile(add_modify_task=lambda path, fn: tasks.append((path, fn)))
    return tasks


def test_the_plugin_registers_the_transform_for_vite_config_js():
    tasks = _modify_tasks(VendorChunkPlugin(enabled=True, reflex_version="0.10.1"))
    assert tasks == [(ReactRouter.VITE_CONFIG_FILE, add_vendor_chunk)]
    assert ReactRouter.VITE_CONFIG_FILE == "vite.config.js"


def test_switched_off_or_on_an_untested_reflex_it_does_nothing(caplog):
    assert _modify_tasks(VendorChunkPlugin(enabled=False, reflex_version="0.10.1")) == []
    with caplog.at_level(logging.ERROR, logger="portal_app.reflex_ext"):
        assert _modify_tasks(VendorChunkPlugin(enabled=True, reflex_version="0.11.0")) == []
    assert "not installing vendor chunk" in caplog.text


def test_rxconfig_registers_the_plugin_and_the_switch_reads_the_environment(monkeypatch):
    plugins = [p for p in get_config().plugins if isinstance(p, VendorChunkPlugin)]
    assert len(plugins) == 1
    monkeypatch.delenv("PORTAL_VENDOR_CHUNK", raising=False)
    assert Settings().vendor_chunk is True
    monkeypatch.setenv("PORTAL_VENDOR_CHUNK", "0")
    assert Settings().vendor_chunk is False
