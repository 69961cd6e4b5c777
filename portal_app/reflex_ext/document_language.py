"""`lang` and `dir` of the page's <html> element from state vars.

Reflex sets the html element's attributes once, at build time (`rx.App(html_lang=...)`), the
same for every page and visitor; the portal's language is known only after the session check.
`document_language(lang, dir)` renders nothing and adds a React effect that writes both vars
onto `document.documentElement` whenever they change, so screen readers pronounce the page in
its language and the browser lays it out right to left for Arabic (flex rows, text alignment
and logical CSS properties follow `dir`).

The effect is written as a hook Var carrying the state vars' own data (so the page imports
the state context it reads); Reflex's hook collection is an internal, hence this module.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.vars import Var, VarData


class _DocumentLanguage(rx.Fragment):
    """An empty fragment whose effect sets the html element's lang and dir."""

    lang_var: Var[str]
    dir_var: Var[str]

    def add_hooks(self) -> list[str | Var]:
        lang, direction = self.lang_var, self.dir_var
        code = (
            "useEffect(() => { const root = document.documentElement; "
            f"if ({lang}) root.lang = {lang}; "
            f"if ({direction}) root.dir = {direction}; "
            f"}}, [{lang}, {direction}]);"
        )
        data = VarData.merge(
            lang._get_all_var_data(),
            direction._get_all_var_data(),
            VarData(imports={"react": ["useEffect"]}),
        )
        return [Var(_js_expr=code, _var_data=data)]


def document_language(lang: Var[str], direction: Var[str]) -> rx.Component:
    """A component (place it once in a layout) keeping <html lang dir> equal to the vars."""
    return _DocumentLanguage.create(lang_var=lang, dir_var=direction)
