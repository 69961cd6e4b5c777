"""The statement as a PDF file: for the download route (bytes) and for the page's background
build (a private file behind a short-lived signed URL, with progress while it is drawn)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from portal_app.core.settings import Settings
from portal_app.pdf.statement_pdf import PROGRESS_EVERY, render_statement_pdf
from portal_app.schemas.statement import StatementDocument
from portal_app.services.billing import generated_files, statements
from portal_app.services.billing.generated_files import GeneratedFile
from portal_app.services.identity.actor import Actor


def prepare_statement(
    session: Session,
    *,
    actor: Actor,
    start: object,
    end: object,
    status: str = "all",
    show_payments: bool = True,
    show_credits: bool = True,
    show_aging: bool = True,
) -> tuple[str, StatementDocument]:
    """(file name, document) of the actor's statement, everything the PDF needs read from the
    database; ValidationError (with the field) for bad dates or status; NotFoundError when
    the statement module is switched off."""
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
    return f"statement-{start_day.isoformat()}-{end_day.isoformat()}.pdf", doc


def statement_pdf(session: Session, *, actor: Actor, **choices) -> tuple[str, bytes]:
    """(file name, PDF bytes) for the download route; same choices and errors as
    prepare_statement."""
    filename, doc = prepare_statement(session, actor=actor, **choices)
    return filename, render_statement_pdf(doc)


def write_statement_file(
    *,
    actor: Actor,
    filename: str,
    doc: StatementDocument,
    progress: Callable[[int, int], None] | None = None,
    every: int = PROGRESS_EVERY,
    settings: Settings | None = None,
) -> GeneratedFile:
    """Draw a prepared statement into a private file for this actor's session and return it
    with its signed download token. No database access: run it off the event loop, after the
    session that prepared `doc` is closed. `progress(lines_done, lines_total)` as for
    render_statement_pdf; whatever it raises (a cancel) propagates and nothing is kept."""
    data = render_statement_pdf(doc, progress=progress, every=every)
    return generated_files.save_generated(
        actor=actor, data=data, filename=filename, settings=settings
    )
