"""GET /api/export/{kind}: cookie auth, only the cookie's client, 400 naming a bad field."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlmodel import select

from portal_app.core import routes
from portal_app.models import AuditEvent, ClientContact, Invoice
from portal_app.services.company import client_activity
from portal_app.services.identity import auth
from tests.helpers.signin import BINDING, bind

RANGE = ("2024-01-01", "2024-12-31")


def _setup(committed):
    """Two clients of one company, each with an invoice, a payment and a credit in 2024; the
    sign-in codes of a contact of each."""
    codes, numbers = [], []
    with committed() as (session, make):
        company = make.company()
        for _ in range(2):
            client = make.client(company)
            contact = make.contact(client)
            invoice = make.invoice(client, issue_date=date(2024, 3, 1))
            payment = make.payment(client, paid_at=datetime(2024, 3, 2, tzinfo=UTC))
            credit = make.credit(client, amount_minor=5_00, issue_date=date(2024, 3, 3))
            opened = auth.open_session(
                session,
                contact=contact,
                kind="password",
                lifetime=timedelta(hours=1),
                binding=BINDING,
            )
            codes.append(opened.handoff_code)
            numbers.append(
                {"invoices": invoice.number, "payments": payment.number, "credits": credit.number}
            )
    return codes, numbers


def _sign_in(client, code):
    bind(client)
    response = client.get("/api/auth/handoff", params={"code": code, "next": "/client/invoices"})
    assert response.status_code == 303 and client.cookies.get("portal_session")


def _numbers_csv(content: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


def test_signed_out_is_refused(committed, client):
    _setup(committed)
    for kind in ("invoices", "payments", "credits"):
        response = client.get(routes.export_url(kind, *RANGE, "csv"))
        assert response.status_code == 401
        assert "Number" not in response.text and "Reference" not in response.text


def test_each_client_gets_only_its_own_rows(committed, client):
    codes, numbers = _setup(committed)
    for code, mine, theirs in (
        (codes[0], numbers[0], numbers[1]),
        (codes[1], numbers[1], numbers[0]),
    ):
        client.cookies.clear()
        _sign_in(client, code)
        for kind in ("invoices", "payments", "credits"):
            response = client.get(routes.export_url(kind, *RANGE, "csv"))
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/csv")
            assert response.headers["content-disposition"] == (
                f'attachment; filename="{kind}-2024-01-01-2024-12-31.csv"'
            )
            assert response.headers["cache-control"] == "private, no-store"
            assert _numbers_csv(response.content) == [mine[kind]]
            assert theirs[kind] not in response.text


def test_xlsx_and_the_lists_filters(committed, client):
    codes, numbers = _setup(committed)
    _sign_in(client, codes[0])
    response = client.get(routes.export_url("invoices", *RANGE, "xlsx"))
    assert response.status_code == 200
    assert "spreadsheetml" in response.headers["content-type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][0] == numbers[0][
        "invoices"
    ]
    paid_only = client.get(routes.export_url("invoices", *RANGE, "csv", status="paid"))
    assert paid_only.status_code == 200 and _numbers_csv(paid_only.content) == []
    searched = client.get(
        routes.export_url("invoices", *RANGE, "csv", q=numbers[0]["invoices"][-4:])
    )
    assert _numbers_csv(searched.content) == [numbers[0]["invoices"]]


def test_bad_input_is_400_naming_the_field_and_unknown_kind_404(committed, client):
    codes, _ = _setup(committed)
    _sign_in(client, codes[0])
    cases = {
        routes.export_url("invoices", "2024-02-01", "2024-01-01", "csv"): "end:",
        routes.export_url("invoices", "", "2024-01-01", "csv"): "start:",
        routes.export_url("payments", "2024-01-01", "2024-12-31", "pdf"): "format:",
        "/api/export/credits": "start:",
    }
    for url, field in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.text.startswith(field)
    assert client.get(routes.export_url("quotes", *RANGE, "csv")).status_code == 404
    assert client.get(routes.export_url("..", *RANGE, "csv")).status_code == 404


def test_an_export_and_a_pdf_download_show_on_the_activity_page(committed, client):
    codes, numbers = _setup(committed)
    _sign_in(client, codes[0])
    assert client.get(routes.export_url("payments", *RANGE, "csv")).status_code == 200
    assert client.get(routes.export_url("payments", "bad", "bad", "csv")).status_code == 400
    with committed() as (session, _make):
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "payments_exported")
        ).one()
        invoice = session.exec(
            select(Invoice).where(Invoice.number == numbers[0]["invoices"])
        ).one()
    assert client.get(routes.invoice_pdf_url(invoice.id)).status_code == 200
    with committed() as (session, make):
        contact = session.get(ClientContact, event.actor_id)
        texts = [
            row.text
            for row in client_activity.list_activity(session, actor=make.actor(contact)).rows
        ]
    assert texts[:2] == [
        f"{contact.display_name} downloaded invoice {invoice.number}.",
        f"{contact.display_name} exported the payments.",
    ]
