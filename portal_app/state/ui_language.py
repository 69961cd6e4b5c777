"""The language of the page: the parent of both shells' states.

PortalState (a contact's portal) and StaffState (the staff console) each choose a language for
their own person (core.i18n.choose_language) and keep it here, in their common parent, with the
html element's lang and dir and the catalog's strings the front end's `_()` looks up
(state/translate.py). One parent means one `_()` for every component: a piece shared by the
portal and the console (the pager, the sign-in card) shows in the language of the shell it is
placed in, whichever of the two chose it."""

from __future__ import annotations

import reflex as rx

from portal_app.core import i18n


class UiLanguageState(rx.State):
    """`lang`, `html_lang`, `text_dir` and `ui_text` of the page's shell, set by the shell
    state's session check through `_apply_language`."""

    # The chosen language, the html element's lang and dir, and the catalog's strings in that
    # language (empty for English, whose msgids are the text).
    lang: str = i18n.SOURCE_LANGUAGE
    html_lang: str = i18n.SOURCE_LANGUAGE
    text_dir: str = "ltr"
    ui_text: dict[str, str] = {}

    def _apply_language(self, lang: str) -> None:
        """Show the shell in `lang` and translate this event's server-side text into it."""
        if lang != self.lang:
            self.lang = lang
            self.html_lang = i18n.html_lang(lang)
            self.text_dir = i18n.text_direction(lang)
            self.ui_text = i18n.translated_strings(lang)
        i18n.set_language(lang)
