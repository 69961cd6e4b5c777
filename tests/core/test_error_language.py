"""Refusals in the reader's language (issue 20): the errors' own defaults, the not-found
sentences and the amount parser's messages follow core.i18n's current language."""

from __future__ import annotations

import pytest

from portal_app.core.errors import AuthError, NotFoundError, ReadOnlyError
from portal_app.core.i18n import use_language
from portal_app.core.money import parse_major


def test_defaults_and_not_found_are_translated():
    with use_language("de"):
        assert ReadOnlyError().user_message == "Diese Ansicht ist schreibgeschützt."
        assert AuthError().user_message == "Bitte melden Sie sich erneut an."
        assert NotFoundError("invoice").user_message == "Wir konnten diese Rechnung nicht finden."
        # An internal name is never built into a sentence.
        assert NotFoundError("setup intent").user_message == (
            "Wir konnten das Gesuchte nicht finden."
        )
    assert NotFoundError("invoice").user_message == "We could not find that invoice."
    assert NotFoundError("setup intent").user_message == "We could not find that setup intent."


def test_amount_refusals_in_japanese_with_plural_forms():
    with use_language("ja"), pytest.raises(ValueError, match="小数点以下 0 桁まで"):
        parse_major("500.5", "JPY")
    with use_language("fr"), pytest.raises(ValueError, match="au plus 2 décimales"):
        parse_major("1.234", "USD")
    with pytest.raises(ValueError, match="^USD allows at most 2 decimal places.$"):
        parse_major("1.234", "USD")
