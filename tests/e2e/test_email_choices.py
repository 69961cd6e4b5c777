"""The e-mails section of /client/profile in a real Chromium (issue 22 item 3): a contact
switches an optional e-mail off and saves, the choice survives a reload and the portal then
leaves that e-mail out; switching it on again brings it back. Receipts are not offered."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal_app.models import ClientContact
from portal_app.services.identity import email_choices
from tests.e2e.conftest import Factory
from tests.e2e.test_portal import sign_in, wait_interactive
from tests.e2e.test_profile import PROFILE_URL

pytestmark = pytest.mark.e2e

RENEWALS = "#profile-email-" + email_choices.SUBSCRIPTION_RENEWED
REMINDERS = "#profile-email-" + email_choices.PAYMENT_REMINDER


def _wants(db, contact_id: int, kind: str) -> bool:
    with db() as session:
        return email_choices.wants(session, session.get(ClientContact, contact_id), kind)


def _open(page: Page) -> None:
    page.goto("/client/profile")
    page.wait_for_url(PROFILE_URL)
    wait_interactive(page, "#save-email-choices")


def test_switching_an_email_off_and_on_again(page: Page, db, make: Factory):
    account = make.account()
    sign_in(page, account)
    _open(page)
    section = page.locator("form").filter(has=page.locator("#save-email-choices"))
    expect(section.get_by_text("Subscription renewals")).to_be_visible()
    expect(section.get_by_text("Payment reminders")).to_be_visible()
    expect(section.get_by_text("receipt", exact=False)).to_have_count(0)
    expect(page.locator(RENEWALS)).to_be_checked()

    page.locator(RENEWALS).click()
    page.locator("#save-email-choices").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert not _wants(db, account.contact.id, email_choices.SUBSCRIPTION_RENEWED)
    assert _wants(db, account.contact.id, email_choices.PAYMENT_REMINDER)

    page.reload()
    wait_interactive(page, "#save-email-choices")
    expect(page.locator(RENEWALS)).not_to_be_checked()
    expect(page.locator(REMINDERS)).to_be_checked()

    page.locator(RENEWALS).click()
    page.locator("#save-email-choices").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert _wants(db, account.contact.id, email_choices.SUBSCRIPTION_RENEWED)
