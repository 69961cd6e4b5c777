"""The status words of the staff console: a record's stored status (an invoice's, quote's,
credit note's, payment's, subscription's or recurring invoice's) as the staff user reads it, in
their language. The client portal words some of them differently (an invoice "sent" is
"Unpaid" there), so these carry their own context."""

from __future__ import annotations

from portal_app.core.i18n import pgettext


def staff_status_label(status: str) -> str:
    """`status` (a stored key such as 'partial' or 'past_due') as a word in the console's
    language; a key not listed is shown capitalised."""
    labels = {
        "draft": pgettext("staff status", "Draft"),
        "sent": pgettext("staff status", "Sent"),
        "partial": pgettext("staff status", "Partly paid"),
        "paid": pgettext("staff status", "Paid"),
        "cancelled": pgettext("staff status", "Cancelled"),
        "reversed": pgettext("staff status", "Reversed"),
        "approved": pgettext("staff status", "Approved"),
        "converted": pgettext("staff status", "Converted"),
        "expired": pgettext("staff status", "Expired"),
        "declined": pgettext("staff status", "Declined"),
        "applied": pgettext("staff status", "Applied"),
        "pending": pgettext("staff status", "Pending"),
        "completed": pgettext("staff status", "Completed"),
        "failed": pgettext("staff status", "Failed"),
        "refunded": pgettext("staff status", "Refunded"),
        "partly_refunded": pgettext("staff status", "Partly refunded"),
        "incomplete": pgettext("staff status", "Incomplete"),
        "trialing": pgettext("staff status", "Trialing"),
        "active": pgettext("staff status", "Active"),
        "past_due": pgettext("staff status", "Past due"),
        "cancel_requested": pgettext("staff status", "Cancellation requested"),
        "paused": pgettext("staff status", "Paused"),
    }
    return labels.get(status, status.replace("_", " ").capitalize())
