"""All tables. Importing this module registers every table on SQLModel.metadata."""

from portal_app.models.access import AuditEvent, AuthSession, Invitation
from portal_app.models.client import Client, ClientContact
from portal_app.models.company import ALL_MODULES, Company
from portal_app.models.invoice import Invoice, InvoiceLine
from portal_app.models.staff import StaffUser

__all__ = [
    "ALL_MODULES",
    "AuditEvent",
    "AuthSession",
    "Client",
    "ClientContact",
    "Company",
    "Invitation",
    "Invoice",
    "InvoiceLine",
    "StaffUser",
]
