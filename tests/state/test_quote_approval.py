"""The approve dialog's sentences (issue 18 item 15): plural forms, not "2 quotes ... from it"."""

from __future__ import annotations

from portal_app.core import i18n
from portal_app.state.quote_approval import approval_sentence, approved_notice


def test_one_quote_and_several_read_right():
    assert approval_sentence(1, converts=True) == (
        "You are approving this quote. An invoice is created from it for payment."
    )
    assert approval_sentence(2, converts=True) == (
        "You are approving 2 quotes. An invoice is created from each for payment."
    )
    assert approval_sentence(2, converts=False) == "You are approving 2 quotes."


def test_the_notice_after_approving_counts_quotes_and_invoices():
    assert approved_notice(1, 0) == "1 quote approved."
    assert approved_notice(3, 3) == (
        "3 quotes approved. 3 invoices were created: pay them from Invoices."
    )
    assert (
        approved_notice(2, 1) == "2 quotes approved. 1 invoice was created: pay it from Invoices."
    )


def test_the_sentences_are_translated():
    with i18n.use_language("de"):
        assert "Angebote" in approval_sentence(2, converts=True)
