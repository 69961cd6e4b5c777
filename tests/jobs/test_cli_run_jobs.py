"""`python -m portal_app.cli run-jobs`: runs the jobs once and prints what each did."""

from datetime import date

from sqlmodel import Session, col, select, update

from portal_app import cli
from portal_app.core import db
from portal_app.models import Invoice, RecurringInvoice
from tests.conftest import Factory
from tests.helpers.recurring import add_recurring


def test_run_jobs_prints_a_summary_and_issues(engine, monkeypatch, capsys):
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    start = date(2034, 2, 28)
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        schedule = add_recurring(
            session, make.client(make.company()), number="R-cli", start_date=start
        )
        session.commit()
    try:
        code = cli.main(["run-jobs", "--today", start.isoformat(), "--only", "recurring_invoices"])
        out = capsys.readouterr().out
        assert code == 0
        assert out.startswith("2034-02-28: jobs run") and "recurring_invoices: issued=" in out
        assert "link_expiry" not in out
        with Session(engine) as session:
            issued = session.exec(
                select(Invoice).where(Invoice.recurring_invoice_id == schedule.id)
            ).all()
        assert len(issued) == 1
    finally:
        with Session(engine) as session:
            session.exec(
                update(RecurringInvoice)
                .where(col(RecurringInvoice.id) == schedule.id)
                .values(status="cancelled")
            )
            session.commit()
