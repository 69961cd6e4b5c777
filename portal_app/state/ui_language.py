"""The language of the page: the parent of both shells' states.

PortalState (a contact's portal) and StaffState (the staff console) each choose a language for
their own person (core.i18n.choose_language) and keep it here, in their common parent, with the
html element's lang and dir. The front end's `_()` (state/translate.py) reads `lang` and looks
its text up in that language's static catalog, which the browser fetches once and caches
(reflex_ext/ui_catalog.py): no catalog travels with the tab's state. One parent means one `_()`
for every component: a piece shared by the portal and the console (the pager, the sign-in card)
shows in the language of the shell it is placed in, whichever of the two chose it."""

from __future__ import annotations

import reflex as rx

from portal_app.core import i18n


class UiLanguageState(rx.State):
    """`lang`, `html_lang` and `text_dir` of the page's shell, set by the shell state's
    session check through `_apply_language`."""

    # The chosen language (which catalog the front end's `_()` reads), the html element's lang
    # and dir.
    lang: str = i18n.SOURCE_LANGUAGE
    html_lang: str = i18n.SOURCE_LANGUAGE
    text_dir: str = "ltr"

    def _apply_language(self, lang: str) -> None:
        """Show the shell in `lang` and translate this event's server-side text into it."""
        if lang != self.lang:
            self.lang = lang
            self.html_lang = i18n.html_lang(lang)
            self.text_dir = i18n.text_direction(lang)
        i18n.set_language(lang)
