"""The front end's `_()`: static text compiled into the pages, translated in the browser from a
per-language catalog that the browser fetches once and caches (issue 20 item 4).

Page functions run once, at compile time, so a page cannot call gettext for its visitor. Before,
`_("Invoices")` compiled to a lookup in a state var holding the whole catalog of the tab's
language (1,290 strings, ~100 KB), sent over the websocket and kept in every tab's server-side
state. Now:

- `text(key, fallback, lang)` (called by state/translate.py's `_()` and `pgettext`) registers
  the msgid and returns a string Var `(portal_catalog["Invoices"] ?? "Invoices")`, whose
  VarData carries a hook `const portal_catalog = usePortalCatalog(<lang>)` (after the hooks
  of the `lang` state var it reads) and the import of that hook;
- after the pages are evaluated, `UiCatalogPlugin.pre_compile` registers a save task that
  writes, for each shipped language but English, `public/i18n/<lang>.<hash>.json`: the
  registered msgids only, with their translations (`<hash>` is a digest of the content), and
  `utils/portal_catalog.js`: ui_catalog.js beside this module, after a `CATALOG_URLS` map of
  those URLs. Vite copies `public/` into the build, so the static mount serves the catalogs,
  and security_headers marks `/i18n/<lang>.<hash>.json` immutable for a year.

English fetches nothing: its msgids are the text. A missing translation falls back to the
msgid. The catalog's keys are gettext's: "context\\x04msgid" for an entry with a context.

Reflex internals relied on (re-check on an upgrade; tests/reflex_ext/test_ui_catalog.py covers
them): a Var built from `_js_expr` with a VarData whose `hooks` map a hook to the VarData it
needs (Reflex renders those first), the plugin `pre_compile` hook's `add_save_task` running
after page evaluation with paths relative to the web dir, `$/utils/...` imports, and Vite
copying `public/` into the build.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from reflex.plugins import Plugin
from reflex_base.vars import Var, VarData

log = logging.getLogger(__name__)

# Where the generated hook module goes in the web dir, and how pages import it.
MODULE_PATH = "utils/portal_catalog.js"
MODULE_IMPORT = "$/utils/portal_catalog"
HOOK = "usePortalCatalog"
CATALOG_NAME = "portal_catalog"
# The catalogs' folder under the web dir's public/ (and so their URL path).
CATALOG_DIR = "i18n"
_JS_SOURCE = Path(__file__).with_name("ui_catalog.js")

# Every catalog key a front-end `_()`/`pgettext` was called with in this process, in order.
_used: dict[str, None] = {}


def used_keys() -> list[str]:
    """The catalog keys the compiled front end looks up (registered by `text`)."""
    return list(_used)


def text(key: str, fallback: str, lang: Var[str]) -> Var[str]:
    """A string Var: the text for catalog key `key` in the language `lang` (a state var), or
    `fallback` (the English msgid) when the catalog has none or the language is English."""
    _used.setdefault(key, None)
    # str(): the bare JS expression (a Var inside an f-string carries its data as markup).
    hook = f"const {CATALOG_NAME} = {HOOK}({str(lang)});"
    data = VarData(
        hooks={hook: lang._get_all_var_data()},
        imports={MODULE_IMPORT: [HOOK]},
    )
    code = f"({CATALOG_NAME}[{json.dumps(key)}] ?? {json.dumps(fallback)})"
    return Var(_js_expr=code, _var_type=str, _var_data=data).to(str)


def catalog_json(translations: Mapping[str, str], keys: Iterable[str]) -> str:
    """The catalog file's text: each of `keys` that `translations` translates, sorted, compact."""
    chosen = {key: translations[key] for key in keys if translations.get(key)}
    return json.dumps(chosen, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def catalog_name(lang: str, content: str) -> str:
    """`<lang>.<hash>.json`: the file name changes whenever the content does."""
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return f"{lang}.{digest}.json"


def catalog_files(
    languages: Iterable[str],
    translations: Callable[[str], Mapping[str, str]],
    keys: Iterable[str],
) -> dict[str, tuple[str, str]]:
    """Per language (English, with no translations, left out): (file name, file text)."""
    keys = list(keys)
    files: dict[str, tuple[str, str]] = {}
    for lang in languages:
        strings = translations(lang)
        if not strings:
            continue
        content = catalog_json(strings, keys)
        files[lang] = (catalog_name(lang, content), content)
    return files


def module_js(urls: Mapping[str, str]) -> str:
    """utils/portal_catalog.js: the URL of each language's catalog, then the hook's code."""
    return (
        f"const CATALOG_URLS = {json.dumps(dict(urls), sort_keys=True)};\n\n"
        + _JS_SOURCE.read_text(encoding="utf-8")
    )


def compile_outputs(
    web_dir: Path,
    url_prefix: str,
    languages: Iterable[str],
    translations: Callable[[str], Mapping[str, str]],
) -> list[tuple[str, str]]:
    """The save task's (path, text) pairs: each catalog under public/i18n/ and the hook
    module; catalogs of earlier compiles in `web_dir` are removed."""
    files = catalog_files(languages, translations, used_keys())
    folder = web_dir / "public" / CATALOG_DIR
    keep = {name for name, _content in files.values()}
    if folder.is_dir():
        for old in folder.glob("*.json"):
            if old.name not in keep:
                old.unlink()
    outputs = [
        (str(Path("public") / CATALOG_DIR / name), content) for name, content in files.values()
    ]
    urls = {lang: f"{url_prefix}/{CATALOG_DIR}/{name}" for lang, (name, _c) in files.items()}
    outputs.append((MODULE_PATH, module_js(urls)))
    log.info("front-end catalogs: %d msgids, %s", len(_used), ", ".join(sorted(urls)))
    return outputs


class UiCatalogPlugin(Plugin):
    """Writes the per-language catalogs and the hook module at every front-end compile."""

    def pre_compile(self, **context: Any) -> None:
        """Register the save task (it runs after every page was evaluated)."""
        context["add_save_task"](self._outputs)

    @staticmethod
    def _outputs() -> list[tuple[str, str]]:
        from reflex.config import get_config
        from reflex.utils import prerequisites

        from portal_app.core import i18n

        prefix = get_config().prepend_frontend_path("").rstrip("/")
        return compile_outputs(
            prerequisites.get_web_dir(), prefix, i18n.SHIPPED_LANGUAGES, i18n.translated_strings
        )
