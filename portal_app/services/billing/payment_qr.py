"""Payment QR codes: the EPC QR ("GiroCode", SEPA credit transfer) for an invoice's balance.

The payload follows EPC069-12 version 002: service tag BCD, character set 1 (UTF-8),
identification SCT, the BIC (optional in 002), the beneficiary's name and IBAN, EUR and the
amount, no purpose, no structured reference, the invoice number as the remittance text.
"""

from __future__ import annotations

from portal_app.core.money import major_text
from portal_app.models import Company, Invoice
from portal_app.models.invoice import PAYABLE_STATUSES

# The largest amount the EPC QR may carry (EUR 999,999,999.99), in cents.
EPC_MAX_CENTS = 99_999_999_999


def epc_payload(company: Company, invoice: Invoice) -> str:
    """The EPC QR text for paying the invoice's balance, or "" when none applies: not EUR, no
    company IBAN, nothing payable, or more than the format allows."""
    if invoice.currency != "EUR" or not company.iban:
        return ""
    if invoice.status not in PAYABLE_STATUSES or not 0 < invoice.balance_minor <= EPC_MAX_CENTS:
        return ""
    name = " ".join((company.legal_name or company.name).split())[:70]
    return "\n".join(
        [
            "BCD",
            "002",
            "1",
            "SCT",
            company.bic,
            name,
            company.iban,
            f"EUR{major_text(invoice.balance_minor, 'EUR')}",
            "",  # purpose code
            "",  # structured creditor reference (ISO 11649); the number is not one
            invoice.number[:140],
        ]
    )
