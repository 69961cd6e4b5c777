"""Payment QR codes on an invoice: the EPC QR ("GiroCode") for EUR, the Swiss QR-bill payment
part for CHF, both when the company has an IBAN, and for every payable invoice a QR code that
opens it in the portal through an e-mailed-link key.

The EPC payload follows EPC069-12 version 002: service tag BCD, character set 1 (UTF-8),
identification SCT, the BIC (optional in 002), the beneficiary's name and IBAN, EUR and the
amount, no purpose, no structured reference, the invoice number as the remittance text.

The Swiss QR-bill (SIX Implementation Guidelines 2.x) is written and checked by the `qrbill`
package: the company as creditor, the balance in CHF, the invoice number as the unstructured
message, the client as debtor when its address is complete; a QR-IBAN gets the QR reference
the standard requires, made from the invoice id.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from typing import Any

import qrbill
from sqlmodel import Session
from stdnum.ch import esr

from portal_app.core.money import major_text
from portal_app.core.routes import invoice_link_url
from portal_app.core.settings import get_settings
from portal_app.models import Client, ClientContact, Company, Invoice
from portal_app.models.invoice import PAYABLE_STATUSES
from portal_app.services.identity import invitations
from portal_app.services.identity.actor import Actor

log = logging.getLogger(__name__)

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


# The largest amount a Swiss QR-bill may carry (CHF 999,999,999.99), in centimes.
SWISS_MAX_CENTIMES = 99_999_999_999
# QR-IBANs (payable only with a QR reference) have an institution id 30000-31999.
_QR_IID = range(30000, 32000)
_BILL_LANGUAGES = ("de", "fr", "it", "en")


def _is_payable(invoice: Invoice) -> bool:
    return invoice.status in PAYABLE_STATUSES and invoice.balance_minor > 0


def _address(name: str, row: Company | Client) -> dict[str, str]:
    return {
        "name": " ".join(name.split())[:70],
        "street": " ".join(row.address1.split())[:70],
        "pcode": row.postal_code.strip()[:16],
        "city": row.city.strip()[:35],
        "country": row.country_code,
    }


def swiss_qr_bill(company: Company, client: Client, invoice: Invoice) -> tuple[str, str]:
    """(payload, SVG of the receipt and payment part) of the Swiss QR-bill for paying the
    invoice's balance, or ("", "") when none applies: not CHF, no IBAN, nothing payable, more
    than the format allows, or a company IBAN or address the QR-bill refuses (not a Swiss or
    Liechtenstein IBAN, no postal code or city)."""
    if invoice.currency != "CHF" or company.iban[:2] not in ("CH", "LI"):
        return "", ""
    if not _is_payable(invoice):
        return "", ""
    if invoice.balance_minor > SWISS_MAX_CENTIMES:
        return "", ""
    language = (company.locale or "en")[:2].lower()
    fields: dict = {
        "account": company.iban,
        "creditor": _address(company.legal_name or company.name, company),
        "amount": major_text(invoice.balance_minor, "CHF"),
        "currency": "CHF",
        "additional_information": invoice.number[:140],
        "language": language if language in _BILL_LANGUAGES else "en",
        # The PDF draws its text in DejaVu Sans (embedded, as PDF/A needs), about a tenth
        # wider than the Arial the layout is made for: a tenth smaller keeps the columns apart.
        "font_factor": 0.9,
    }
    if int(company.iban[4:9]) in _QR_IID:
        digits = f"{invoice.id:026d}"
        fields["reference_number"] = digits + esr.calc_check_digit(digits)
    debtor = _address(client.name, client)
    return _drawn_bill(
        tuple((name, _frozen(value)) for name, value in fields.items()),
        tuple(sorted(debtor.items())),
    )


def _frozen(value: Any) -> Any:
    """`value` as a hashable key part (an address dict becomes its sorted items)."""
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


# Everything the bill shows comes from its fields, so one drawing (~10 ms of CPU on an idle
# machine, more than the rest of the invoice page's event) serves every view and refresh of
# the page until a field changes: the balance, an address, the IBAN (issue 25). ~30 KB each.
@lru_cache(maxsize=128)
def _drawn_bill(
    fields: tuple[tuple[str, Any], ...], debtor: tuple[tuple[str, str], ...]
) -> tuple[str, str]:
    """(payload, SVG) of the QR-bill with these fields (`swiss_qr_bill`'s key), or ("", "")."""
    kwargs: dict = {
        name: dict(value) if isinstance(value, tuple) else value for name, value in fields
    }
    try:
        bill = qrbill.QRBill(**kwargs, debtor=dict(debtor))
    except ValueError:
        try:  # an incomplete client address leaves "Payable by" blank for the payer to fill
            bill = qrbill.QRBill(**kwargs)
        except ValueError as exc:
            log.info("no Swiss QR-bill for %s: %s", kwargs.get("additional_information"), exc)
            return "", ""
    svg = io.StringIO()
    bill.as_svg(svg)
    return bill.qr_data(), svg.getvalue()


def pay_link(session: Session, *, actor: Actor, invoice: Invoice) -> str:
    """The absolute URL the invoice's pay-link QR code opens: its e-mailed-link page with a key
    for the actor's contact (services.identity.invitations.invoice_pay_qr_key). "" when nothing
    is payable, in staff preview, which never mints a contact's keys, and in an e-mailed-link
    session: a new key lives the full link lifetime, so minting one there would let a
    forwarded link outlive its own expiry."""
    if not offers_pay_link(actor, invoice):
        return ""
    contact = session.get(ClientContact, actor.contact_id)
    return contact_pay_link(session, contact=contact, invoice=invoice) if contact else ""


def offers_pay_link(actor: Actor, invoice: Invoice) -> bool:
    """Whether `pay_link` gives the actor a link for this invoice, decided without making the
    key: the invoice page shows the code only then, and its image asks for the key."""
    return not (actor.is_preview or actor.is_link_session) and _is_payable(invoice)


def contact_pay_link(session: Session, *, contact: ClientContact, invoice: Invoice) -> str:
    """`pay_link` for one contact of the invoice's client (e.g. the one it is e-mailed to)."""
    if not _is_payable(invoice):
        return ""
    key = invitations.invoice_pay_qr_key(session, contact=contact, invoice=invoice)
    return get_settings().base_url.rstrip("/") + invoice_link_url(key)
