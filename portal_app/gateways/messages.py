"""The card gateway's raw error texts in plain words: the one place they are translated.

Stripe (and Stripe.js in the browser) answer with texts written for developers, such as "The
latest attempt to set up the payment method has failed because authentication failed."
Clients see what happened and what to do instead. Known error codes are matched first, then
known fragments of the texts (Stripe.js gives only a text); anything else is shown as it came.
"""

from __future__ import annotations

from portal_app.core.i18n import N_

# Catalog msgids: the card step translates them where it shows them (state/card_payment.py).
NOT_AUTHENTICATED = N_(
    "Your bank did not confirm the card (the security check was not completed). "
    "Nothing was charged. Try again or use another card."
)
DECLINED = N_("Your card was declined. Nothing was charged. Try another card or contact your bank.")
EXPIRED = N_("This card has expired. Nothing was charged. Use another card.")
WRONG_CVC = N_(
    "The card's security code is not right. Nothing was charged. Check it and try again."
)
WRONG_NUMBER = N_("The card number is not right. Nothing was charged. Check it and try again.")
NO_FUNDS = N_("The card has insufficient funds. Nothing was charged. Try another card.")
PROCESSING = N_("The card could not be processed. Nothing was charged. Please try again.")

_BY_CODE = {
    "payment_intent_authentication_failure": NOT_AUTHENTICATED,
    "setup_intent_authentication_failure": NOT_AUTHENTICATED,
    "authentication_required": NOT_AUTHENTICATED,
    "card_declined": DECLINED,
    "generic_decline": DECLINED,
    "do_not_honor": DECLINED,
    "expired_card": EXPIRED,
    "incorrect_cvc": WRONG_CVC,
    "invalid_cvc": WRONG_CVC,
    "incorrect_number": WRONG_NUMBER,
    "invalid_number": WRONG_NUMBER,
    "insufficient_funds": NO_FUNDS,
    "processing_error": PROCESSING,
}

# Lower-case fragments of the texts, most specific first.
_BY_TEXT = (
    ("authentication failed", NOT_AUTHENTICATED),
    ("failed authentication", NOT_AUTHENTICATED),
    ("authentication_failure", NOT_AUTHENTICATED),
    ("card has expired", EXPIRED),
    ("security code is incorrect", WRONG_CVC),
    ("card number is incorrect", WRONG_NUMBER),
    ("insufficient funds", NO_FUNDS),
    ("card was declined", DECLINED),
    ("error occurred while processing your card", PROCESSING),
)


def plain_card_message(raw: str, code: str = "") -> str:
    """What to tell the client for a gateway's error `raw` (with its error code, if known)."""
    if code and code in _BY_CODE:
        return _BY_CODE[code]
    text = (raw or "").lower()
    for fragment, plain in _BY_TEXT:
        if fragment in text:
            return plain
    return raw
