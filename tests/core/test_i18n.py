"""Translations (core/i18n.py): which language a visitor gets, the catalogs' completeness and
plural forms, and compiling a catalog that has no .mo yet."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal_app.core import i18n

QUOTES = (
    "%(num)d quote is waiting for your answer.",
    "%(num)d quotes are waiting for your answer.",
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("de-AT", "de"),
        ("fr-CA, en;q=0.5", "fr"),
        ("pt-BR", "pt_BR"),
        ("pt", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("es-419", "es"),
        ("ja", "ja"),
        ("ar-EG,ar;q=0.9", "ar"),
        ("en-US,en;q=0.9", "en"),
        ("EN-gb", "en"),
        # The weight wins over the order; an unsupported first choice falls through.
        ("en;q=0.4, ja;q=0.8", "ja"),
        ("zh-CN, de;q=0.5", "de"),
        ("*, fr;q=0.1", "fr"),
    ],
)
def test_accept_language_picks_the_most_wanted_shipped_language(header, expected):
    assert i18n.negotiate_language(header) == expected


@pytest.mark.parametrize("header", ["", "zh-CN", "*", "de;q=0", "ko, zh;q=0.5", "de;q=abc"])
def test_accept_language_with_nothing_shipped_gives_none(header):
    assert i18n.negotiate_language(header) is None


def test_the_contacts_choice_wins_over_the_browser_and_the_company():
    chosen = i18n.choose_language(
        contact_choice="ja", accept_language="de-DE", company_locale="fr_FR"
    )
    assert chosen == "ja"


def test_without_a_choice_the_browser_wins_over_the_company():
    chosen = i18n.choose_language(
        contact_choice=None, accept_language="es-ES", company_locale="fr_FR"
    )
    assert chosen == "es"


@pytest.mark.parametrize(
    ("choice", "header", "company", "expected"),
    [
        (None, "zh-CN", "de_DE", "de"),
        (None, "", "pt_BR", "pt_BR"),
        # A stored choice that is no longer shipped is ignored.
        ("xx", "", "ja_JP", "ja"),
        (None, "", "ko_KR", "en"),
        (None, "", "", "en"),
    ],
)
def test_falls_back_to_the_companys_language_then_english(choice, header, company, expected):
    chosen = i18n.choose_language(
        contact_choice=choice, accept_language=header, company_locale=company
    )
    assert chosen == expected


def test_direction_and_html_lang():
    assert i18n.text_direction("ar") == "rtl"
    assert {i18n.text_direction(code) for code in i18n.SHIPPED_LANGUAGES if code != "ar"} == {"ltr"}
    assert i18n.html_lang("pt_BR") == "pt-BR"


def test_gettext_follows_the_language_of_the_context():
    with i18n.use_language("de"):
        assert i18n.gettext("Invoices") == "Rechnungen"
        with i18n.use_language("ar"):
            assert i18n.gettext("Invoices") == "الفواتير"
        assert i18n.gettext("Invoices") == "Rechnungen"
    assert i18n.gettext("Invoices") == "Invoices"
    with i18n.use_language("xx"):
        assert i18n.current_language() == "en"


def _quotes(language: str, n: int) -> str:
    with i18n.use_language(language):
        return i18n.ngettext(*QUOTES, n) % {"num": n}


def test_plural_forms_per_language():
    assert _quotes("en", 1) == "1 quote is waiting for your answer."
    assert _quotes("en", 3) == "3 quotes are waiting for your answer."
    assert _quotes("de", 1) == "1 Angebot wartet auf Ihre Antwort."
    assert _quotes("de", 2) == "2 Angebote warten auf Ihre Antwort."
    # French: 0 and 1 are singular.
    assert _quotes("fr", 0) == "0 devis attend votre réponse."
    assert _quotes("fr", 2) == "2 devis attendent votre réponse."
    assert _quotes("pt_BR", 4) == "4 orçamentos aguardam sua resposta."
    # Japanese has one form; Arabic six (1, 2, 3-10, 11-99 read differently).
    assert _quotes("ja", 1) == _quotes("ja", 7).replace("7", "1")
    arabic = [_quotes("ar", n) for n in (1, 2, 3, 11, 100)]
    assert arabic[0] == "عرض سعر واحد بانتظار ردك."
    assert arabic[1] == "عرضا سعر بانتظار ردك."
    assert arabic[2] == "3 عروض أسعار بانتظار ردك."
    assert arabic[3] == "11 عرض سعر بانتظار ردك."
    assert len(set(arabic)) == 5


def _template() -> list:
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as fp:
        return [message for message in read_po(fp) if message.id]


PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", i18n.SHIPPED_LANGUAGES)
def test_every_shipped_catalog_translates_the_whole_template(language):
    with i18n.po_path(language).open("rb") as fp:
        catalog = read_po(fp, locale=language)
    problems = []
    for wanted in _template():
        message = catalog.get(wanted.id, context=wanted.context)
        if message is None:
            problems.append(f"missing: {wanted.id!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {wanted.id!r}")
        ids = wanted.id if isinstance(wanted.id, tuple) else (wanted.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(wanted.id, tuple) and len(strings) != catalog.num_plurals:
            problems.append(f"plural forms: {wanted.id!r}")
        allowed = set().union(*(_placeholders(text) for text in ids))
        for text in strings:
            if not text:
                problems.append(f"empty: {wanted.id!r}")
            else:
                found = _placeholders(text)
                # A plural form may leave the number out ("one quote"); a singular may not.
                plural = isinstance(wanted.id, tuple)
                if not found <= allowed or (not plural and found != allowed):
                    problems.append(f"placeholders: {wanted.id!r} -> {text!r}")
    assert problems == []


def test_the_template_is_up_to_date_with_the_code(tmp_path):
    """`pybabel extract` (the documented command) finds exactly the template's msgids."""
    out = tmp_path / "messages.pot"
    root = i18n.LOCALE_DIR.parent.parent
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(out),
            "--no-location",
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as fp:
        extracted = {(m.id, m.context) for m in read_po(fp) if m.id}
    assert extracted == {(m.id, m.context) for m in _template()}


def test_a_catalog_without_a_compiled_mo_is_compiled_on_the_fly(tmp_path, monkeypatch):
    locale_dir = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR / "de", locale_dir / "de")
    for mo in locale_dir.rglob("*.mo"):
        mo.unlink()
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale_dir)
    i18n.translations.cache_clear()
    try:
        with i18n.use_language("de"):
            assert i18n.gettext("Sign out") == "Abmelden"
    finally:
        i18n.translations.cache_clear()


def test_front_end_strings_are_the_catalog_of_the_language():
    strings = i18n.translated_strings("fr")
    assert strings["Invoices"] == "Factures"
    assert i18n.translated_strings("en") == {}


def test_the_visitors_choice_comes_before_the_browser_but_after_the_contacts():
    assert (
        i18n.choose_language(
            contact_choice=None, visitor_choice="ja", accept_language="de", company_locale="fr_FR"
        )
        == "ja"
    )
    assert (
        i18n.choose_language(
            contact_choice="fr", visitor_choice="ja", accept_language="de", company_locale=""
        )
        == "fr"
    )
    # A cookie with something not shipped is ignored.
    assert (
        i18n.choose_language(
            contact_choice=None, visitor_choice="xx", accept_language="de", company_locale=""
        )
        == "de"
    )


def test_invoice_status_and_filter_words_differ_by_context():
    with i18n.use_language("fr"):
        assert i18n.pgettext("invoice status", "Paid") == "Payée"
    assert i18n.translated_strings("fr")["invoice filter\x04Paid"] == "Payées"
