"""Translated text: gettext catalogs (Babel) bound to the language of the current request.

The language lives in a context variable: the Reflex state sets it at the start of each event
(PortalState._begin), an HTTP route or a job with `use_language`; `gettext` and friends then
translate into it without any argument being passed down. Catalogs are the .po files in
portal_app/locale/<lang>/LC_MESSAGES/ (see docs/extending.md, "Languages"); a compiled .mo is
used when it is at least as new as its .po, otherwise the .po is compiled in memory, so a fresh
checkout (and the tests) work without the setup step.

Leaf helpers: no database, no domain, no Reflex.
"""

from __future__ import annotations

import io
from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The languages shipped complete, in the order the switcher lists them.
SHIPPED_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "pt_BR", "ja", "ar")
RTL_LANGUAGES = frozenset({"ar"})
# Where a visitor's own choice is kept before anyone is signed in (the sign-in page's
# switcher): a cookie of the portal, and a URL parameter (?lang=ja) that sets it.
LANGUAGE_COOKIE = "portal_lang"
LANGUAGE_PARAM = "lang"

# None until an event, a route or a job chooses one (then English is used): money and dates
# keep the client's own locale where nobody chose a language (core.locale.display_locale).
_current: ContextVar[str | None] = ContextVar("portal_language", default=None)


def current_language() -> str:
    """The language text is translated into in this context (a shipped code, e.g. 'pt_BR')."""
    return _current.get() or SOURCE_LANGUAGE


def chosen_language() -> str | None:
    """The language set for this context by `set_language` or `use_language`, or None when
    none was (a script, a test, a job that writes for nobody in particular)."""
    return _current.get()


def set_language(language: str) -> None:
    """Translate into `language` for the rest of this context (one Reflex event, one task);
    anything not shipped means the source language."""
    _current.set(language if language in SHIPPED_LANGUAGES else SOURCE_LANGUAGE)


@contextmanager
def use_language(language: str) -> Generator[None]:
    """Translate into `language` inside the block (an e-mail or PDF for another person)."""
    token = _current.set(language if language in SHIPPED_LANGUAGES else SOURCE_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """`message` in the current language (the English msgid when it has no translation)."""
    return translations(current_language()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language (Arabic has six, Japanese one); the caller
    formats `n` into it, e.g. ngettext("%(num)d quote", "%(num)d quotes", n) % {"num": n}."""
    return translations(current_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language where one English word has several meanings
    (the context tells translators which one, e.g. pgettext("invoice status", "Paid"))."""
    return str(translations(current_language()).pgettext(context, message))


def gettext_noop(message: str) -> str:
    """Mark `message` for extraction without translating it now (a constant translated where
    it is shown, e.g. the navigation labels)."""
    return message


N_ = gettext_noop


def po_path(language: str) -> Path:
    """Where the catalog of `language` lives in the repository."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(SHIPPED_LANGUAGES))
def translations(language: str) -> NullTranslations:
    """The catalog of a shipped language, loaded once per process."""
    if language == SOURCE_LANGUAGE or language not in SHIPPED_LANGUAGES:
        # English is the msgid itself; its .po exists only so adding a language is a copy.
        return NullTranslations()
    po = po_path(language)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    # No compiled catalog, or an older one: compile the .po in memory (fuzzy entries left out,
    # exactly as `pybabel compile` does).
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def translated_strings(language: str) -> dict[str, str]:
    """Every singular msgid of the catalog and its translation in `language` (one with a
    context keyed "context\x04msgid"): what the front end's `_()` and `pgettext` look up."""
    if language == SOURCE_LANGUAGE or language not in SHIPPED_LANGUAGES:
        return {}
    return dict(_strings(language))


@lru_cache(maxsize=len(SHIPPED_LANGUAGES))
def _strings(language: str) -> tuple[tuple[str, str], ...]:
    with po_path(language).open("rb") as fp:
        catalog = read_po(fp, locale=language)
    # An entry with a context is keyed "context\x04msgid" (gettext's spelling), for the front
    # end's pgettext (state/translate.py).
    return tuple(
        (f"{message.context}\x04{message.id}" if message.context else message.id, message.string)
        for message in catalog
        if message.id
        and isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    )


def parse_accept_language(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first ('de-AT' -> 'de_AT');
    wildcards and q=0 entries are dropped, a malformed weight counts as 0."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranked.append((-weight, position, tag.replace("-", "_")))
    return [tag for _w, _p, tag in sorted(ranked)]


def negotiate_language(accept_language: str) -> str | None:
    """The shipped language the browser prefers most, or None when it wants none of them.

    A regional tag matches its language ('de-CH' -> de) and a bare language matches the one
    regional variant shipped ('pt' -> pt_BR)."""
    shipped = {code.lower(): code for code in SHIPPED_LANGUAGES}
    by_language = {code.split("_")[0].lower(): code for code in SHIPPED_LANGUAGES}
    for wanted in parse_accept_language(accept_language):
        # Babel matches exactly or by the language part, answering in the browser's spelling
        # ('EN' for 'EN-gb'); ours is looked up from it.
        found = negotiate_locale([wanted], SHIPPED_LANGUAGES, sep="_", aliases={})
        code = shipped.get(found.lower()) if found else None
        code = code or by_language.get(wanted.split("_")[0].lower())
        if code is not None:
            return code
    return None


def language_of_locale(locale: str) -> str | None:
    """The shipped language of a formatting locale ('de_DE' -> de, 'pt_BR' -> pt_BR), or None."""
    return negotiate_language((locale or "").replace("_", "-"))


def choose_language(
    *,
    contact_choice: str | None,
    accept_language: str,
    company_locale: str,
    visitor_choice: str | None = None,
) -> str:
    """The language a contact sees: their own choice, else the visitor's choice made in this
    browser (the sign-in page's switcher: URL parameter or cookie), else the browser's
    Accept-Language matched against the shipped languages, else the company's locale, else
    English."""
    for choice in (contact_choice, visitor_choice):
        if choice in SHIPPED_LANGUAGES:
            return choice
    return (
        negotiate_language(accept_language) or language_of_locale(company_locale) or SOURCE_LANGUAGE
    )


def text_direction(language: str) -> str:
    """'rtl' for a right-to-left language, else 'ltr' (the html element's `dir`)."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def html_lang(language: str) -> str:
    """The BCP 47 tag for the html element's `lang` ('pt_BR' -> 'pt-BR')."""
    return language.replace("_", "-")


@lru_cache(maxsize=1)
def language_choices() -> tuple[tuple[str, str], ...]:
    """(code, name in that language) of every shipped language, for the switcher."""
    choices: list[tuple[str, str]] = []
    for code in SHIPPED_LANGUAGES:
        name = Locale.parse(code).get_display_name(code) or code
        choices.append((code, name[:1].upper() + name[1:]))
    return tuple(choices)
