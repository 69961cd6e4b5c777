"""The staff roles table (services/identity/staff_roles.py) is what the services enforce.

For every action of the table, each service call that does it is tried by every role: a role
below the action's minimum gets the table's refusal (ReadOnlyError) before anything is looked
up, a role that may do it gets past the check (the ids used do not exist, so it then meets
"not found" or a form error instead). The table drives the parametrisation, so a new row
without a service call here fails `test_every_action_is_tried`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from portal_app.core.errors import PortalError, ReadOnlyError
from portal_app.models.statuses import StaffRole
from portal_app.schemas.staff import ClientForm, ContactForm
from portal_app.services.billing import staff_mail, staff_records, staff_recurring
from portal_app.services.billing.document_forms import DocumentForm
from portal_app.services.company import (
    audit_log,
    branding,
    company_settings,
    staff_clients,
    staff_outbox,
)
from portal_app.services.documents import staff_uploads
from portal_app.services.identity import preview, staff_users
from portal_app.services.identity.staff_roles import (
    PERMISSIONS,
    ROLE_ORDER,
    StaffAction,
    allowed_actions,
    markdown_table,
    may,
    permission,
    require_role,
)
from portal_app.services.payments import staff_cards, staff_payments
from portal_app.services.subscriptions import (
    staff_cancellations,
    staff_plans,
    staff_subscriptions,
)
from tests.helpers.staff import add_staff, staff_actor
from tests.helpers.subscriptions import tx_for

MISSING = 2**31 - 2  # an id no row has
TODAY = date(2026, 3, 10)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "staff-roles.md"

# action -> the service calls that do it, each (name, call(session, actor)).
CALLS = {
    StaffAction.MANAGE_CLIENTS: [
        ("create_client", lambda s, a: staff_clients.create_client(s, actor=a, form=ClientForm())),
        (
            "update_client",
            lambda s, a: staff_clients.update_client(
                s, actor=a, client_id=MISSING, form=ClientForm()
            ),
        ),
        (
            "add_contact",
            lambda s, a: staff_clients.add_contact(
                s, actor=a, client_id=MISSING, form=ContactForm()
            ),
        ),
        (
            "update_contact",
            lambda s, a: staff_clients.update_contact(
                s, actor=a, contact_id=MISSING, form=ContactForm()
            ),
        ),
        (
            "send_password_link",
            lambda s, a: staff_clients.send_password_link(s, actor=a, contact_id=MISSING),
        ),
    ],
    StaffAction.SET_CONTACT_PASSWORD: [
        (
            "set_contact_password",
            lambda s, a: staff_clients.set_contact_password(
                s, actor=a, contact_id=MISSING, password="a-long-enough-password"
            ),
        ),
    ],
    StaffAction.PREVIEW_PORTAL: [
        ("start_preview", lambda s, a: preview.start_preview(s, actor=a, contact_id=MISSING)),
        ("preview_target", lambda s, a: preview.preview_target(s, actor=a, contact_id=MISSING)),
    ],
    StaffAction.EDIT_DOCUMENTS: [
        (
            f"{verb}_{kind.name}",
            call,
        )
        for kind in (staff_records.INVOICE, staff_records.QUOTE, staff_records.CREDIT)
        for verb, call in (
            (
                "create",
                lambda s, a, k=kind: staff_records.create_record(
                    s, actor=a, kind=k, form=DocumentForm()
                ),
            ),
            (
                "update",
                lambda s, a, k=kind: staff_records.update_record(
                    s, actor=a, kind=k, record_id=MISSING, form=DocumentForm()
                ),
            ),
            (
                "mark_sent",
                lambda s, a, k=kind: staff_records.mark_sent(s, actor=a, kind=k, record_id=MISSING),
            ),
            (
                "email",
                lambda s, a, k=kind: staff_mail.email_document(
                    s, actor=a, kind=k, record_id=MISSING
                ),
            ),
        )
    ],
    StaffAction.CANCEL_INVOICE: [
        (
            "cancel_invoice",
            lambda s, a: staff_payments.cancel_invoice(s, actor=a, invoice_id=MISSING),
        ),
    ],
    StaffAction.RECORD_PAYMENT: [
        ("mark_paid", lambda s, a: staff_payments.mark_paid(s, actor=a, invoice_id=MISSING)),
    ],
    StaffAction.APPLY_PAYMENT: [
        (
            "apply_unapplied",
            lambda s, a: staff_payments.apply_unapplied(
                s, actor=a, payment_id=MISSING, applications=[]
            ),
        ),
    ],
    StaffAction.REFUND: [
        (
            "refund_card_payment",
            lambda s, a: staff_payments.refund_card_payment(
                tx_for(s), actor=a, gateway=None, payment_id=MISSING, amount=""
            ),
        ),
    ],
    StaffAction.ADD_CLIENT_CARD: [
        # Without the client's agreement: a role let through stops at that (a ValidationError).
        (
            "start_card",
            lambda s, a: staff_cards.start_card(
                tx_for(s),
                actor=a,
                gateway=None,
                client_id=MISSING,
                attempt="x",
                client_agreed=False,
            ),
        ),
        (
            "add_card",
            lambda s, a: staff_cards.add_card(
                tx_for(s),
                actor=a,
                gateway=None,
                client_id=MISSING,
                setup_intent_ref="seti_x",
                client_agreed=False,
            ),
        ),
    ],
    StaffAction.MANAGE_RECURRING: [
        (
            "create_schedule",
            lambda s, a: staff_recurring.create_schedule(
                s, actor=a, form=staff_recurring.RecurringForm(), today=TODAY
            ),
        ),
        (
            "update_schedule",
            lambda s, a: staff_recurring.update_schedule(
                s, actor=a, schedule_id=MISSING, form=staff_recurring.RecurringForm()
            ),
        ),
        (
            "pause_schedule",
            lambda s, a: staff_recurring.pause_schedule(s, actor=a, schedule_id=MISSING),
        ),
        (
            "resume_schedule",
            lambda s, a: staff_recurring.resume_schedule(s, actor=a, schedule_id=MISSING),
        ),
        (
            "stop_schedule",
            lambda s, a: staff_recurring.stop_schedule(s, actor=a, schedule_id=MISSING),
        ),
    ],
    StaffAction.MANAGE_SUBSCRIPTIONS: [
        (
            "pause_subscription",
            lambda s, a: staff_subscriptions.pause_subscription(
                s, actor=a, subscription_id=MISSING
            ),
        ),
        (
            "resume_subscription",
            lambda s, a: staff_subscriptions.resume_subscription(
                s, actor=a, subscription_id=MISSING
            ),
        ),
        (
            "cancel_subscription",
            lambda s, a: staff_subscriptions.cancel_subscription(
                tx_for(s),
                actor=a,
                gateway=None,
                subscription_id=MISSING,
                refund=False,
                today=TODAY,
            ),
        ),
        (
            "approve_request",
            lambda s, a: staff_cancellations.approve_request(
                tx_for(s), actor=a, gateway=None, kind="recurring", record_id=MISSING, today=TODAY
            ),
        ),
        (
            "decline_request",
            lambda s, a: staff_cancellations.decline_request(
                s, actor=a, kind="subscription", record_id=MISSING, today=TODAY
            ),
        ),
    ],
    StaffAction.MANAGE_PLANS: [
        (
            "create_plan",
            lambda s, a: staff_plans.create_plan(s, actor=a, form=staff_plans.PlanForm()),
        ),
        (
            "update_plan",
            lambda s, a: staff_plans.update_plan(
                s, actor=a, plan_id=MISSING, form=staff_plans.PlanForm()
            ),
        ),
        (
            "set_plan_active",
            lambda s, a: staff_plans.set_plan_active(s, actor=a, plan_id=MISSING, active=False),
        ),
        ("create_link", lambda s, a: staff_plans.create_link(s, actor=a, plan_id=MISSING)),
        (
            "set_link_active",
            lambda s, a: staff_plans.set_link_active(s, actor=a, link_id=MISSING, active=False),
        ),
    ],
    StaffAction.MANAGE_DOCUMENTS: [
        (
            "upload",
            lambda s, a: staff_uploads.upload(
                s,
                actor=a,
                client_id=MISSING,
                data=b"%PDF-1.4",
                name="a.pdf",
                visible_to_client=True,
            ),
        ),
        (
            "set_visibility",
            lambda s, a: staff_uploads.set_visibility(
                s, actor=a, document_id=MISSING, visible=True
            ),
        ),
    ],
    StaffAction.RESEND_EMAIL: [
        ("retry_message", lambda s, a: staff_outbox.retry_message(s, actor=a, message_id=MISSING)),
    ],
    StaffAction.VIEW_AUDIT: [
        ("list_events", lambda s, a: audit_log.list_events(s, actor=a)),
        (
            "export_csv",
            lambda s, a: audit_log.export_csv(s, actor=a, filters=audit_log.AuditFilters()),
        ),
        ("filter_options", lambda s, a: audit_log.filter_options(s, actor=a)),
    ],
    StaffAction.EDIT_SETTINGS: [
        (
            "save_settings",
            # Not a dict: the form is refused as unreadable once the role check passed.
            lambda s, a: company_settings.save_settings(
                s, actor=a, values=None, flags={}, modules=[], required_fields=[]
            ),
        ),
        ("store_logo", lambda s, a: branding.store_logo(s, actor=a, data=b"not an image")),
    ],
    StaffAction.MANAGE_STAFF: [
        (
            "set_staff_role",
            lambda s, a: staff_users.set_staff_role(
                s, actor=a, staff_user_id=MISSING, role="staff"
            ),
        ),
        (
            "set_staff_active",
            lambda s, a: staff_users.set_staff_active(
                s, actor=a, staff_user_id=MISSING, active=False
            ),
        ),
    ],
}

CASES = [
    pytest.param(p.action, name, call, role, id=f"{p.action}-{name}-{role}")
    for p in PERMISSIONS
    for name, call in CALLS.get(p.action, [])
    for role in ROLE_ORDER
]


def test_every_action_is_tried():
    assert set(CALLS) == {p.action for p in PERMISSIONS}
    assert all(CALLS[action] for action in CALLS)


@pytest.mark.parametrize(("action", "name", "call", "role"), CASES)
def test_each_role_is_refused_or_let_through_as_the_table_says(
    make, session, action, name, call, role
):
    actor = staff_actor(add_staff(session, make.company(), password_hash="x", role=role))
    if may(role, action):
        try:
            call(session, actor)
        except ReadOnlyError as exc:  # pragma: no cover - the failure message
            pytest.fail(f"{role} may {action} but {name} refused: {exc.user_message}")
        except PortalError:
            pass  # past the role check: the missing id or the empty form stops it
    else:
        with pytest.raises(ReadOnlyError) as refused:
            call(session, actor)
        assert refused.value.user_message == permission(action).refusal


def test_roles_rank_owner_over_admin_over_staff():
    for p in PERMISSIONS:
        allowed = [may(role, p.action) for role in ROLE_ORDER]
        # Once a role may not, no role below it may (owner first).
        assert allowed == sorted(allowed, reverse=True), p.action
        assert may(StaffRole.OWNER, p.action)
    assert allowed_actions("owner") == [str(p.action) for p in PERMISSIONS]
    assert "refund" in allowed_actions("admin") and "manage_staff" not in allowed_actions("admin")
    assert "refund" not in allowed_actions("staff")


def test_unknown_roles_and_client_actors_may_nothing(make, session):
    assert allowed_actions("root") == [] and allowed_actions("") == []
    contact = make.contact(make.client(make.company()))
    with pytest.raises(ReadOnlyError):
        require_role(make.actor(contact), StaffAction.MANAGE_CLIENTS)


def test_docs_carry_the_table_from_the_code():
    text = DOCS.read_text(encoding="utf-8")
    table = re.search(r"<!-- roles table -->\n(.*?)<!-- /roles table -->", text, re.S)
    assert table is not None, "docs/staff-roles.md lost its table markers"
    assert table.group(1).strip() == markdown_table().strip(), (
        "docs/staff-roles.md is out of date: paste staff_roles.markdown_table() between the markers"
    )
