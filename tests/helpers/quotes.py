"""Quotes with lines and totals, built the same way by the unit and the browser tests."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image, ImageDraw
from sqlmodel import Session

from portal_app.models import Client, Quote, QuoteLine
from portal_app.services.billing.invoice_math import LineInput, build_lines, copy_lines


def add_quote(
    session: Session,
    client: Client,
    *,
    number: str,
    status: str = "sent",
    currency: str = "USD",
    lines: list[LineInput] | None = None,
    issue_date: date | None = None,
    valid_until: date | None | str = "default",
    **kw,
) -> Quote:
    """A quote with its lines and totals (one taxed design line unless `lines` given).

    Issued five days ago and valid for 30 days after issue unless told (None: no end date).
    """
    issue = issue_date or date.today() - timedelta(days=5)
    quote = Quote(
        company_id=client.company_id,
        client_id=client.id,
        number=number,
        status=status,
        currency=currency,
        issue_date=issue,
        valid_until=issue + timedelta(days=30) if valid_until == "default" else valid_until,
        **kw,
    )
    built = build_lines(lines or [LineInput("Design work", 3000, 100_00, "VAT", 2000)])
    quote.subtotal_minor = sum(line.net_minor for line in built)
    quote.tax_minor = sum(line.tax_minor for line in built)
    quote.amount_minor = quote.subtotal_minor + quote.tax_minor
    session.add(quote)
    session.flush()
    session.add_all(copy_lines(built, QuoteLine, quote_id=quote.id))
    session.flush()
    return quote


def signature_png(blank: bool = False, size: tuple[int, int] = (300, 100)) -> bytes:
    """A PNG like a signature canvas gives: transparent, with a dark stroke unless `blank`."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line(
            [(10, 60), (80, 20), (150, 70), (280, 30)], fill="black", width=3
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
