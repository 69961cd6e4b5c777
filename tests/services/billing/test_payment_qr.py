"""The Swiss QR-bill is drawn once per content (issue 25): kept per process, keyed by every
field it shows, so a change to the balance, an address or the IBAN draws it anew."""

from __future__ import annotations

from portal_app.services.billing import payment_qr
from tests.pdf.test_payment_qr_codes import LINES, SWISS_BUYER, SWISS_SELLER


def test_the_swiss_qr_bill_is_kept_until_what_it_shows_changes(make, session):
    company = make.company(**SWISS_SELLER)
    client = make.client(company, **SWISS_BUYER)
    invoice = make.invoice(client, currency="CHF", lines=LINES)
    payment_qr._drawn_bill.cache_clear()

    first = payment_qr.swiss_qr_bill(company, client, invoice)
    assert first[0] and first[1].startswith("<?xml")
    assert payment_qr.swiss_qr_bill(company, client, invoice) == first
    assert payment_qr._drawn_bill.cache_info().hits == 1  # the same bill, not drawn again

    invoice.balance_minor -= 100_00  # a part payment
    paid_less = payment_qr.swiss_qr_bill(company, client, invoice)
    assert "981.00" in paid_less[0] and "1081.00" not in paid_less[0]

    client.address1 = "Hauptstrasse 5"
    moved = payment_qr.swiss_qr_bill(company, client, invoice)
    assert "Hauptstrasse 5" in moved[0] and "Hauptstrasse 5" not in paid_less[0]

    company.iban = "CH5604835012345678009"
    new_account = payment_qr.swiss_qr_bill(company, client, invoice)
    assert "CH5604835012345678009" in new_account[0] and new_account[1] != moved[1]

    assert payment_qr._drawn_bill.cache_info().misses == 4  # each change drew a new bill
