"""Staff roles in the browser (issue 19 item 10): what the "staff" role does not get to use,
the roles table on /staff/settings, and an owner changing another staff user's role."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal_app.models import StaffUser
from portal_app.services.identity.staff_roles import PERMISSIONS, may
from tests.e2e.conftest import Factory
from tests.e2e.test_staff_documents import _staff, _staff_sign_in

pytestmark = pytest.mark.e2e


def test_the_staff_role_cannot_edit_settings_plans_or_read_the_audit_log(
    page: Page, make: Factory, db
):
    account = make.account()
    sam = _staff(db, account.company, role="staff")
    _staff_sign_in(page, sam.email, "/staff/settings")

    # Settings are read-only: no Save, the reason said, the fields locked.
    expect(page.get_by_text("Only an owner or admin can change settings.")).to_be_visible()
    expect(page.locator("#save-settings")).to_have_count(0)
    expect(page.locator("#name")).to_have_attribute("readonly", "")

    # The roles table is the code's table, one row per action, with this role's column.
    table = page.locator("#roles-table")
    expect(table.locator("tbody tr")).to_have_count(len(PERMISSIONS))
    for permission in PERMISSIONS:
        row = page.get_by_test_id(f"role-row-{permission.action}")
        expect(row.locator("td").last).to_have_text(
            "yes" if may("staff", permission.action) else "no"
        )
    refund = page.get_by_test_id("role-row-refund")
    expect(refund.locator("td")).to_have_text(["yes", "yes", "no"])

    # Staff users are listed but only owners get the controls.
    expect(page.locator("#staff-users")).to_contain_text(sam.email)
    expect(page.get_by_role("combobox", name="Role of Sam Staff")).to_have_count(0)

    # No audit log in the navigation, and its address says why.
    expect(page.get_by_role("link", name="Settings").first).to_be_visible()
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto("/staff/audit")
    expect(page.locator("#audit-refused")).to_contain_text(
        "Only an owner or admin can read the audit log."
    )
    expect(page.get_by_role("button", name="Export CSV")).to_have_count(0)

    # Plans are read-only for this role.
    page.goto("/staff/plans")
    expect(page.locator("#plans-read-only")).to_be_visible()
    expect(page.locator("#new-plan")).to_have_count(0)


def test_an_owner_changes_a_role_and_deactivates_a_staff_user(page: Page, make: Factory, db):
    account = make.account()
    olive = _staff(db, account.company, role="owner")
    sam = _staff(db, account.company, role="staff")
    _staff_sign_in(page, olive.email, "/staff/settings")

    users = page.locator("#staff-users")
    expect(users.get_by_test_id("staff-user")).to_have_count(2)
    # Nobody changes their own role: the owner's own row has no controls.
    own = users.get_by_test_id("staff-user").filter(has_text=olive.email)
    expect(own.get_by_role("combobox")).to_have_count(0)
    expect(own).to_contain_text("you")

    page.get_by_role("combobox", name="Role of Sam Staff").click()
    page.get_by_role("option", name="Admin").click()
    expect(page.get_by_role("status").filter(has_text="is now admin")).to_be_visible()
    with db() as session:
        assert session.get(StaffUser, sam.id).role == "admin"

    page.get_by_role("button", name="Deactivate Sam Staff").click()
    expect(page.get_by_role("status").filter(has_text="is deactivated")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate Sam Staff")).to_be_visible()
    with db() as session:
        assert session.get(StaffUser, sam.id).is_active is False
