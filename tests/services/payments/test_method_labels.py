"""A payment's method and a card, named in the reader's language (issue 20): what the code
stores ("Card", "Credit", "Visa •••• 4242") is translated when shown, with no migration."""

from __future__ import annotations

import pytest

from portal_app.core import i18n
from portal_app.core.card_labels import (
    card_label,
    shown_method_label,
    stored_card_label,
)
from portal_app.services.payments import payments


@pytest.mark.parametrize(
    ("stored", "method", "german"),
    [
        ("Card", "card", "Karte"),
        ("Credit", "credit", "Gutschrift"),
        ("Unapplied payments", "credit", "Nicht zugeordnete Zahlungen"),
        ("Manual payment", "manual", "Manuelle Zahlung"),
        ("", "manual", "Manuelle Zahlung"),
        ("", "card", "Karte"),
        ("Visa •••• 4242", "card", "Visa •••• 4242"),
        # Older rows wrote the gateway's brand key title-cased, or "Card" for none.
        ("Amex •••• 0005", "card", "American Express •••• 0005"),
        ("Card •••• 4242", "card", "Karte •••• 4242"),
        # What a staff user typed for a manual payment is shown as typed.
        ("Überweisung 12/03", "manual", "Überweisung 12/03"),
    ],
)
def test_a_stored_method_label_is_shown_in_the_readers_language(stored, method, german):
    with i18n.use_language("de"):
        assert shown_method_label(stored, method) == german


def test_a_stored_card_label_is_in_no_language_and_shown_in_each():
    with i18n.use_language("ja"):
        stored = stored_card_label("", "4242")
        assert stored == "Card •••• 4242"  # kept as written, whoever's event wrote it
        assert shown_method_label(stored, "card") == "カード •••• 4242"
        assert card_label("mastercard", "4444") == "Mastercard •••• 4444"
    with i18n.use_language("fr"):
        assert shown_method_label(stored, "card") == "Carte •••• 4242"


def test_the_payments_page_shows_a_stored_label_translated(make, session):
    client = make.client(make.company())
    contact = make.contact(client)
    payment = make.payment(client, method="credit", method_label="Credit")
    actor = make.actor(contact)
    with i18n.use_language("es"):
        row = payments.list_payments(session, actor=actor).rows[0]
        view = payments.payment_view(session, actor=actor, payment_id=payment.id)
    assert row.method_label == view.method_label == "Nota de crédito"
