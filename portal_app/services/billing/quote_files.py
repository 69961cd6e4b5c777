"""Quote downloads: one PDF, or a ZIP of several, always scoped to the actor."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import Session

from portal_app.core.files import safe_name_part
from portal_app.pdf.quote_pdf import render_quote_pdf
from portal_app.services.billing import quotes
from portal_app.services.company.locale import client_locale
from portal_app.services.identity.actor import Actor


def quote_filename(number: str, quote_id: int) -> str:
    """The download name of one quote's PDF, e.g. 'quote-Q-0001.pdf'."""
    return f"quote-{safe_name_part(number, str(quote_id))}.pdf"


def quote_pdf(session: Session, *, actor: Actor, quote_id: int) -> tuple[str, bytes]:
    """The actor's quote as (filename, PDF bytes); NotFoundError if it is not theirs."""
    view = quotes.quote_view(session, actor=actor, quote_id=quote_id)
    return quote_filename(view.number, view.id), render_quote_pdf(view)


def quotes_zip(session: Session, *, actor: Actor, quote_ids: list[int]) -> tuple[str, bytes]:
    """One ZIP of the actor's quotes' PDFs; any id that is not theirs makes it NotFoundError."""
    found = quotes.quotes_for_download(session, actor=actor, quote_ids=quote_ids)
    locale = client_locale(session, actor)
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for quote in found:
            view = quotes.build_quote_view(session, quote, locale=locale)
            name = quote_filename(view.number, view.id)
            if name in used:  # two numbers that differ only in unsafe characters
                name = f"quote-{safe_name_part(view.number, 'x')}-{view.id}.pdf"
            used.add(name)
            archive.writestr(name, render_quote_pdf(view))
    return "quotes.zip", buffer.getvalue()
