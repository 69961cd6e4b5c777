"""Documents and e-mails in the client's language, in Chromium (issue 20): a statement PDF
downloaded in Japanese read back with pdftotext (headings, yen amounts), and a password-reset
e-mail in French through the SMTP test server whose link is followed to a new password."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal_app.services.billing.invoice_math import LineInput
from tests.e2e.test_languages import _set_language, sign_in
from tests.e2e.test_portal import wait_interactive

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "un-nouveau-mot-de-passe-solide"


def _pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode().replace("\u00a0", " ").replace("\u202f", " ")


def test_a_statement_pdf_downloads_in_japanese_with_yen_amounts(new_context, make, db, tmp_path):
    account = make.account(locale="ja_JP", currency="JPY")
    _set_language(db, account.contact.id, "ja")
    invoice = make.invoice(
        account.client,
        currency="JPY",
        lines=[LineInput("保守作業", 1000, 54_000)],
        issue_date=date.today() - timedelta(days=3),
        due_date=date.today() + timedelta(days=27),
    )
    page = new_context(locale="en-US").new_page()
    sign_in(page, account)
    page.goto("/client/statement")
    expect(page.locator('[data-testid="statement-row"]')).to_have_count(1)
    # The page itself is Japanese too, its money as ja_JP writes it.
    expect(page.get_by_role("heading", name="取引明細書", level=1)).to_be_visible()
    closing = page.locator('[data-testid="statement-closing"]')
    expect(closing).to_contain_text("期末残高")
    expect(closing).to_contain_text("￥54,000")
    expect(page.get_by_role("button", name="PDF をダウンロード")).to_be_visible()
    wait_interactive(page, "#download-statement")
    with page.expect_download() as info:
        page.locator("#download-statement").click()
    download = info.value
    assert download.failure() is None
    saved = tmp_path / "statement.pdf"
    download.save_as(saved)
    text = _pdf_text(saved)
    for heading in (
        "取引明細書",
        "取引明細書の宛先",
        "期首残高",
        "期末残高 JPY",
        "日付",
        "参照番号",
    ):
        assert heading in text, heading
    assert invoice.number in text and "請求書" in text
    # ja_JP money: the full-width yen sign, no decimals, drawn by the CJK font.
    assert "￥54,000" in text
    assert "1 / 1 ページ" in text


def test_a_password_reset_email_in_french_and_its_link_in_chromium(new_context, make, mail_server):
    account = make.account()
    page = new_context(locale="fr-FR").new_page()
    page.goto("/client/password/reset")
    expect(page.get_by_role("heading", name="Réinitialiser votre mot de passe")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    wait_interactive(page, "#email")
    page.locator("#email").fill(account.contact.email)
    page.get_by_role("button", name="Envoyer le lien de réinitialisation").click()
    expect(page.get_by_text("nous lui avons envoyé un lien")).to_be_visible()

    [message] = mail_server.to(account.contact.email)
    assert message["Subject"] == (
        f"Réinitialisez votre mot de passe du portail {account.company.name}"
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Quelqu'un a demandé la réinitialisation du mot de passe" in text
    assert "Le lien ne fonctionne qu'une fois." in text
    link = re.search(r"https?://\S+", text).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Réinitialiser votre mot de passe")).to_be_visible()
    wait_interactive(page, "#password")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.get_by_text("Les deux mots de passe ne sont pas identiques.")).to_be_visible()
    page.locator("#confirm").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    page.wait_for_url(re.compile(r"/client/login\?reset=1"))
    # The link worked once: opened again, it is refused, in French.
    page.goto(link)
    wait_interactive(page, "#password")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(
        page.get_by_text("Ce lien de réinitialisation n'est pas valide ou a expiré.")
    ).to_be_visible()
