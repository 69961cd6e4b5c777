"""Staff actors and filled-in document forms for the staff document tests."""

from __future__ import annotations

from datetime import date, timedelta

from portal_app.models import Company
from portal_app.services.billing.document_forms import DocumentForm, LineForm
from portal_app.services.identity.actor import StaffActor
from tests.helpers.staff import add_staff


def staff_actor(session, company: Company, role: str = "staff") -> StaffActor:
    """A staff user of `company` with `role`, as the actor services receive."""
    user = add_staff(session, company, password_hash="not-a-real-hash", role=role)
    return StaffActor(
        company_id=company.id, staff_user_id=user.id, role=role, session_id=0, ip="127.0.0.1"
    )


def invoice_form(client_id, **kw) -> DocumentForm:
    """One 2 x 100.00 line with 20% VAT (240.00 in all), issued today, due in 30 days."""
    today = date.today()
    lines = kw.pop(
        "lines",
        [LineForm("Consulting", "2", "100.00", "VAT", "20")],
    )
    return DocumentForm(
        client_id=str(client_id),
        issue_date=kw.pop("issue_date", today.isoformat()),
        due_date=kw.pop("due_date", (today + timedelta(days=30)).isoformat()),
        lines=lines,
        **kw,
    )
