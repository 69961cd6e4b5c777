"""The statement as a PDF file for the download route (query strings in, filename and bytes out)."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.pdf.statement_pdf import render_statement_pdf
from portal_app.services import statements
from portal_app.services.actor import Actor


def statement_pdf(
    session: Session,
    *,
    actor: Actor,
    start: object,
    end: object,
    status: str = "all",
    show_payments: bool = True,
    show_credits: bool = True,
    show_aging: bool = True,
) -> tuple[str, bytes]:
    """ValidationError (with the field) for bad dates or status; NotFoundError when switched off."""
    start_day = statements.parse_day(start, "start")
    end_day = statements.parse_day(end, "end")
    views = statements.statement(
        session,
        actor=actor,
        start=start_day,
        end=end_day,
        status=status,
        show_payments=show_payments,
        show_credits=show_credits,
        show_aging=show_aging,
    )
    doc = statements.statement_document(session, actor=actor, views=views, status=status)
    filename = f"statement-{start_day.isoformat()}-{end_day.isoformat()}.pdf"
    return filename, render_statement_pdf(doc)
