"""The front end's catalogs (reflex_ext/ui_catalog.py): what `_()` compiles to, which msgids
the catalog files hold, and the compile step that writes them.

The Var and hook tests fail when a Reflex upgrade changes how a Var's hooks and imports reach
the component that renders it; read reflex_ext/ui_catalog.py's docstring, then fix there.
"""

from __future__ import annotations

import json
import re

import reflex as rx

from portal_app.core import i18n
from portal_app.reflex_ext import ui_catalog
from portal_app.state.translate import _, fill, pgettext
from portal_app.state.ui_language import UiLanguageState


def test_a_text_is_a_lookup_in_the_catalog_the_lang_var_chooses():
    var = _("Invoices")
    assert str(var) == '(portal_catalog["Invoices"] ?? "Invoices")'
    hooks = list(var._get_all_var_data().hooks)
    # The hook reads the shell's lang, so the state's own hook comes first.
    assert hooks[-1] == f"const portal_catalog = usePortalCatalog({UiLanguageState.lang!s});"
    assert any("useStateContext" in hook for hook in hooks[:-1])
    imports = dict(var._get_all_var_data().imports)
    assert [tag.tag for tag in imports[ui_catalog.MODULE_IMPORT]] == [ui_catalog.HOOK]
    assert "Invoices" in ui_catalog.used_keys()


def test_a_component_rendering_a_text_gets_the_hook_after_the_state_context():
    hooks = list(rx.text(_("Payments"))._get_all_hooks())
    catalog = next(i for i, hook in enumerate(hooks) if "usePortalCatalog" in hook)
    context = next(i for i, hook in enumerate(hooks) if "useStateContext" in hook)
    assert context < catalog


def test_pgettext_keys_the_catalog_like_gettext():
    var = pgettext("running balance", "Balance")
    assert str(var) == '(portal_catalog["running balance\\u0004Balance"] ?? "Balance")'
    assert "running balance\x04Balance" in ui_catalog.used_keys()


def test_fill_replaces_placeholders_in_the_translated_text():
    assert str(fill(_("Invoice %(number)s"), number="F-1")) == (
        '(portal_catalog["Invoice %(number)s"] ?? "Invoice %(number)s")'
        '.replaceAll("%(number)s", "F-1")'
    )


def test_a_catalog_file_holds_only_the_used_and_translated_msgids():
    translations = {"Invoices": "Rechnungen", "Your invoice e-mail": "Ihre E-Mail", "Empty": ""}
    files = ui_catalog.catalog_files(
        ["en", "de"],
        lambda lang: translations if lang == "de" else {},
        ["Invoices", "Empty", "Unknown"],
    )
    assert list(files) == ["de"]
    name, content = files["de"]
    assert json.loads(content) == {"Invoices": "Rechnungen"}
    assert re.fullmatch(r"de\.[0-9a-f]{16}\.json", name)
    # The name follows the content: a changed translation gets a new URL.
    changed = ui_catalog.catalog_files(
        ["de"], lambda lang: {"Invoices": "Rechnungen!"}, ["Invoices"]
    )
    assert changed["de"][0] != name


def test_the_shipped_catalogs_are_smaller_than_the_whole_catalog():
    _("Invoices")
    keys = ui_catalog.used_keys()
    files = ui_catalog.catalog_files(i18n.SHIPPED_LANGUAGES, i18n.translated_strings, keys)
    assert set(files) == set(i18n.SHIPPED_LANGUAGES) - {i18n.SOURCE_LANGUAGE}
    for lang, (_name, content) in files.items():
        strings = json.loads(content)
        assert set(strings) <= set(keys)
        assert len(strings) < len(i18n.translated_strings(lang))
        assert strings["Invoices"] == i18n.translated_strings(lang)["Invoices"]


def test_the_compile_step_writes_the_catalogs_and_the_module_and_drops_old_ones(tmp_path):
    folder = tmp_path / "public" / ui_catalog.CATALOG_DIR
    folder.mkdir(parents=True)
    (folder / "de.0123456789abcdef.json").write_text("{}")
    _("Invoices")
    outputs = dict(
        ui_catalog.compile_outputs(
            tmp_path,
            "",
            ["en", "de"],
            lambda lang: {"Invoices": "Rechnungen"} if lang == "de" else {},
        )
    )
    assert not (folder / "de.0123456789abcdef.json").exists()
    [catalog_path] = [path for path in outputs if path.startswith("public/")]
    assert re.fullmatch(r"public/i18n/de\.[0-9a-f]{16}\.json", catalog_path)
    assert json.loads(outputs[catalog_path]) == {"Invoices": "Rechnungen"}
    module = outputs[ui_catalog.MODULE_PATH]
    urls = json.loads(re.match(r"const CATALOG_URLS = (.*);\n", module).group(1))
    assert urls == {"de": "/" + catalog_path.removeprefix("public/")}
    assert "export function usePortalCatalog(lang)" in module


def test_the_plugin_registers_its_save_task_before_the_compile_writes():
    tasks = []
    ui_catalog.UiCatalogPlugin().pre_compile(add_save_task=tasks.append)
    assert len(tasks) == 1
