"""What each staff role may do: the one table (PERMISSIONS) and the one check (require_role).

Roles rank owner > admin > staff; each action names the least role that may do it, so an
owner may do everything an admin may, and an admin everything staff may. Every staff service
that changes something calls `require_role(actor, action)` before touching a row, so a page,
a state handler or a crafted websocket event all meet the same refusal (a ReadOnlyError whose
message the console shows as it is). Reading the console (lists, records, the work queue, the
dashboard) is open to every role unless an action below says otherwise (the audit log).

The table is shown read-only on /staff/settings and in docs/staff-roles.md; a test checks the
document against `markdown_table()`, so the code and the docs cannot drift apart.

This lives in identity (the lowest service layer that knows staff users) rather than console,
because the services that enforce it (payments, billing, subscriptions, company) sit below
console and may not import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal_app.core.errors import ReadOnlyError
from portal_app.core.i18n import N_, gettext
from portal_app.models.statuses import StaffRole

# Highest first; a role's rank is its distance from the bottom.
ROLE_ORDER: tuple[StaffRole, ...] = (StaffRole.OWNER, StaffRole.ADMIN, StaffRole.STAFF)
_RANK = {role: len(ROLE_ORDER) - index for index, role in enumerate(ROLE_ORDER)}
# English names (msgids: pages show them through gettext; docs/staff-roles.md keeps English).
ROLE_LABELS = {
    StaffRole.OWNER: N_("Owner"),
    StaffRole.ADMIN: N_("Admin"),
    StaffRole.STAFF: N_("Staff"),
}


class StaffAction(StrEnum):
    """Something a staff user does that not every role may do (the keys of PERMISSIONS)."""

    MANAGE_CLIENTS = "manage_clients"
    SET_CONTACT_PASSWORD = "set_contact_password"
    PREVIEW_PORTAL = "preview_portal"
    EDIT_DOCUMENTS = "edit_documents"
    CANCEL_INVOICE = "cancel_invoice"
    RECORD_PAYMENT = "record_payment"
    APPLY_PAYMENT = "apply_payment"
    REFUND = "refund"
    ADD_CLIENT_CARD = "add_client_card"
    MANAGE_RECURRING = "manage_recurring"
    MANAGE_SUBSCRIPTIONS = "manage_subscriptions"
    MANAGE_PLANS = "manage_plans"
    MANAGE_DOCUMENTS = "manage_documents"
    RESEND_EMAIL = "resend_email"
    VIEW_AUDIT = "view_audit"
    EDIT_SETTINGS = "edit_settings"
    MANAGE_STAFF = "manage_staff"


@dataclass(frozen=True, slots=True)
class Permission:
    """One row of the table: the action, what it covers in words, the least role allowed,
    and the sentence a refused user reads (an English msgid, translated when raised)."""

    action: StaffAction
    label: str
    minimum: StaffRole
    refusal: str


# THE table. Order is the order shown on /staff/settings and in the docs.
PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        StaffAction.MANAGE_CLIENTS,
        N_("Add and edit clients and contacts; e-mail a contact a link to choose a password"),
        StaffRole.STAFF,
        N_("Your role cannot change clients."),
    ),
    Permission(
        StaffAction.SET_CONTACT_PASSWORD,
        N_("Set a contact's password (whoever sets it can sign in as the contact)"),
        StaffRole.ADMIN,
        N_("Only an owner or admin can set a password. Send the contact a password link."),
    ),
    Permission(
        StaffAction.PREVIEW_PORTAL,
        N_("Preview the portal as one of the client's contacts (read-only)"),
        StaffRole.STAFF,
        N_("Your role cannot preview the portal."),
    ),
    Permission(
        StaffAction.EDIT_DOCUMENTS,
        N_("Create, edit, send and e-mail invoices, quotes and credits"),
        StaffRole.STAFF,
        N_("Your role cannot change invoices, quotes or credits."),
    ),
    Permission(
        StaffAction.CANCEL_INVOICE,
        N_("Cancel an invoice"),
        StaffRole.STAFF,
        N_("Your role cannot cancel invoices."),
    ),
    Permission(
        StaffAction.RECORD_PAYMENT,
        N_("Mark an invoice paid (money received outside the portal)"),
        StaffRole.STAFF,
        N_("Your role cannot record payments."),
    ),
    Permission(
        StaffAction.APPLY_PAYMENT,
        N_("Apply an unapplied payment to invoices"),
        StaffRole.STAFF,
        N_("Your role cannot apply payments."),
    ),
    Permission(
        StaffAction.REFUND,
        N_("Refund money to a card (also when cancelling a subscription with a refund)"),
        StaffRole.ADMIN,
        N_("Only an owner or admin can refund payments."),
    ),
    Permission(
        StaffAction.ADD_CLIENT_CARD,
        N_("Add a card for a client who agreed to it, where Settings let staff add cards"),
        StaffRole.STAFF,
        N_("Your role cannot add cards for clients."),
    ),
    Permission(
        StaffAction.MANAGE_RECURRING,
        N_("Create, edit, pause, resume and stop recurring invoices"),
        StaffRole.STAFF,
        N_("Your role cannot change recurring invoices."),
    ),
    Permission(
        StaffAction.MANAGE_SUBSCRIPTIONS,
        N_(
            "Pause, resume and cancel subscriptions; approve or decline cancellation requests "
            "(an approval gives the refund the plan promises the client)"
        ),
        StaffRole.STAFF,
        N_("Your role cannot change subscriptions."),
    ),
    Permission(
        StaffAction.MANAGE_PLANS,
        N_("Create and edit subscription plans and payment links (prices)"),
        StaffRole.ADMIN,
        N_("Only an owner or admin can change plans and payment links."),
    ),
    Permission(
        StaffAction.MANAGE_DOCUMENTS,
        N_("Upload client documents and choose whether the client sees them"),
        StaffRole.STAFF,
        N_("Your role cannot change documents."),
    ),
    Permission(
        StaffAction.RESEND_EMAIL,
        N_("Send a failed e-mail from the outbox again"),
        StaffRole.STAFF,
        N_("Your role cannot resend e-mails."),
    ),
    Permission(
        StaffAction.VIEW_AUDIT,
        N_(
            "Read and export the company's audit log (a client's page shows that client's "
            "activity to every role)"
        ),
        StaffRole.ADMIN,
        N_("Only an owner or admin can read the audit log."),
    ),
    Permission(
        StaffAction.EDIT_SETTINGS,
        N_("Change the portal settings, company details and branding"),
        StaffRole.ADMIN,
        N_("Only an owner or admin can change settings."),
    ),
    Permission(
        StaffAction.MANAGE_STAFF,
        N_("Change a staff user's role, deactivate or reactivate staff users"),
        StaffRole.OWNER,
        N_("Only an owner can change staff users."),
    ),
)
_BY_ACTION = {permission.action: permission for permission in PERMISSIONS}


def permission(action: StaffAction | str) -> Permission:
    """The table's row for `action` (KeyError for an action the table does not know)."""
    return _BY_ACTION[StaffAction(action)]


def may(role: object, action: StaffAction | str) -> bool:
    """True when a staff user with `role` may do `action`; an unknown role may do nothing."""
    try:
        rank = _RANK[StaffRole(str(role))]
    except ValueError:
        return False
    return rank >= _RANK[permission(action).minimum]


def allowed_actions(role: object) -> list[str]:
    """The actions `role` may do, in table order (the console hides what is not listed)."""
    return [str(p.action) for p in PERMISSIONS if may(role, p.action)]


def require_staff(actor: object) -> None:
    """ReadOnlyError unless `actor` is a signed-in staff user with a known role.

    Anything without a staff_user_id (a client contact's Actor, a preview) is refused, so a
    staff service never serves a client session whatever the caller passes.
    """
    if getattr(actor, "role", None) not in set(ROLE_ORDER) or not getattr(
        actor, "staff_user_id", 0
    ):
        raise ReadOnlyError(gettext("Sign in as staff to do this."))


def require_role(actor: object, action: StaffAction) -> None:
    """Refuse (ReadOnlyError with the table's sentence) unless this staff actor's role may do
    `action`. Call it first in every staff service that changes something."""
    require_staff(actor)
    if not may(getattr(actor, "role", ""), action):
        raise ReadOnlyError(gettext(permission(action).refusal))


def markdown_table() -> str:
    """The table as Markdown (docs/staff-roles.md carries it verbatim; a test compares)."""
    header = "| What | Key | " + " | ".join(ROLE_LABELS[r] for r in ROLE_ORDER) + " |"
    rule = "|---|---|" + "|".join(":-:" for _ in ROLE_ORDER) + "|"
    rows = [
        f"| {p.label} | `{p.action}` | "
        + " | ".join("yes" if may(r, p.action) else "no" for r in ROLE_ORDER)
        + " |"
        for p in PERMISSIONS
    ]
    return "\n".join([header, rule, *rows]) + "\n"
