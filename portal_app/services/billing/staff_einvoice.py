"""Which e-invoice profile staff's invoices and credit notes get, and what the full one lacks.

A document whose company or client settings miss a field EN 16931 requires still renders, as
the lighter Factur-X BASIC-WL profile (services/billing/einvoice.py); the staff invoice and
credit pages say so and name the missing fields, so staff can complete the settings.
"""

from __future__ import annotations

from sqlmodel import Session

from portal_app.core.errors import NotFoundError
from portal_app.models import Client, Company
from portal_app.schemas.einvoice import (
    FORMAT_LABELS,
    PROFILE_BASIC_WL,
    PROFILE_EN16931,
    PROFILE_LABELS,
    EInvoiceProfileView,
)
from portal_app.services.billing.einvoice import document_missing
from portal_app.services.billing.staff_records import (
    CREDIT,
    INVOICE,
    Kind,
    get_record,
    record_lines,
)
from portal_app.services.identity.actor import StaffActor


def einvoice_profile(
    session: Session, *, actor: StaffActor, kind: Kind, record_id: object
) -> EInvoiceProfileView:
    """The profile of one of the company's invoices or credit notes, the fields the full
    profile lacks, and the format it was last e-mailed in; NotFoundError for another
    company's record, a bad id, or a quote."""
    if kind not in (INVOICE, CREDIT):
        raise NotFoundError(kind.name)
    row = get_record(session, actor=actor, kind=kind, record_id=record_id)
    company = session.get(Company, row.company_id)
    client = session.get(Client, row.client_id)
    missing = document_missing(company, client, record_lines(session, kind, row.id))
    profile = PROFILE_BASIC_WL if missing else PROFILE_EN16931
    return EInvoiceProfileView(
        profile=profile,
        label=PROFILE_LABELS[profile],
        missing=missing,
        sent_format=FORMAT_LABELS.get(row.sent_format, ""),
    )
