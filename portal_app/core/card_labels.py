"""How a card and a payment's method are named, in the reader's language.

A payment keeps its method as a label ("Visa •••• 4242", "Card", "Credit") written in no
language: brand names are the same everywhere, and the few words the code stores are keys
translated when shown (`shown_method_label`), so rows written before a client chose German
read in German too, with no migration. A label a staff user typed is shown as typed.
"""

from __future__ import annotations

import re

from portal_app.core.i18n import N_, SOURCE_LANGUAGE, gettext, use_language

BRAND_LABELS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
    "eftpos_au": "eftpos",
    "interac": "Interac",
}
# The words the code stores as a payment's method label, and the names of Payment.method
# (PaymentMethodKind) for a payment with no label.
_STORED_WORDS = {
    "Card": N_("Card"),
    "Credit": N_("Credit"),
    "Unapplied payments": N_("Unapplied payments"),
    "Manual payment": N_("Manual payment"),
}
_METHOD_NAMES = {"card": N_("Card"), "credit": N_("Credit"), "manual": N_("Manual payment")}
# "Visa •••• 4242" as card_label writes it (older rows: "Card •••• 4242", "Amex •••• 0005").
_CARD = re.compile(r"^(?P<brand>.{0,40}?) •••• (?P<last4>\d{4})$")


def brand_label(brand: str) -> str:
    """The card brand as people write it ("visa" -> "Visa"); "Card" (translated) when unknown."""
    key = (brand or "").strip().lower().replace(" ", "_")
    if key in BRAND_LABELS:
        return BRAND_LABELS[key]
    return gettext("Card") if key in ("", "unknown", "card") else brand.strip().title()


def card_label(brand: str, last4: str) -> str:
    """A card as people name it in the current language: "Visa •••• 4242"."""
    return f"{brand_label(brand)} •••• {last4}" if last4 else brand_label(brand)


def stored_card_label(brand: str, last4: str) -> str:
    """card_label in the source language, for a payment or checkout to keep (shown through
    shown_method_label, which translates its words)."""
    with use_language(SOURCE_LANGUAGE):
        return card_label(brand, last4)


def shown_method_label(label: str, method: str = "") -> str:
    """A payment's stored method label in the current language: the code's own words and a
    card's "Card" translated, anything else (a brand, what a staff user typed) as stored; the
    name of its `method` when it has no label."""
    label = (label or "").strip()
    if not label:
        name = _METHOD_NAMES.get(str(method or ""))
        return gettext(name) if name else str(method or "").replace("_", " ").capitalize()
    if label in _STORED_WORDS:
        return gettext(_STORED_WORDS[label])
    card = _CARD.match(label)
    if card:
        return card_label(card["brand"], card["last4"])
    return label
