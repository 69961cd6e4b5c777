"""Demo documents for Acme: a PDF, a PNG and a CSV, one of them hidden from the client.

The bytes are generated here (fpdf2, Pillow, csv) so the demo needs no files in the repository;
they are deterministic, so seeding again points at the same content-addressed files.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from fpdf import FPDF
from PIL import Image, ImageDraw
from sqlmodel import Session

from portal_app.models import Client, Company, Document, Invoice
from portal_app.services.documents.documents import store_document

_FIXED = datetime(2026, 1, 1, tzinfo=UTC)


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines (fixed dates, so the bytes never change)."""
    pdf = FPDF()
    pdf.set_creation_date(_FIXED)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def demo_png() -> bytes:
    """A small 'site photo': a drawn picture, PNG encoded."""
    image = Image.new("RGB", (320, 200), (226, 238, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 90, 280, 180), fill=(90, 110, 140))
    draw.polygon([(30, 95), (160, 25), (290, 95)], fill=(170, 60, 50))
    draw.rectangle((140, 130, 180, 180), fill=(240, 220, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def demo_csv(today: date) -> bytes:
    """Support hours logged this year, as a spreadsheet-friendly CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Month", "Hours", "Rate (USD)", "Amount (USD)"])
    for month in range(1, 7):
        hours = 4 + month % 3
        writer.writerow([f"{today.year}-{month:02d}", hours, "85.00", f"{hours * 85:.2f}"])
    return buffer.getvalue().encode()


def seed_documents(
    session: Session, *, company: Company, client: Client, invoice: Invoice, today: date
) -> list[Document]:
    """Four documents for `client`: two on the account, one on `invoice`, one hidden."""

    def add(data: bytes, name: str, **kw) -> Document:
        return store_document(
            session,
            company_id=company.id,
            client_id=client.id,
            data=data,
            name=name,
            uploaded_by="system",
            **kw,
        )

    return [
        add(
            demo_pdf(
                "Service agreement",
                [
                    f"Between {company.name} and {client.name}.",
                    "Design, hosting and support as listed in each invoice.",
                    "Invoices are due within 30 days.",
                ],
            ),
            "Service agreement.pdf",
        ),
        add(demo_csv(today), f"Support hours {today.year}.csv"),
        add(demo_png(), "Site photo.png", invoice_id=invoice.id),
        add(
            demo_pdf("Internal margin notes", ["Staff only: never shown in the portal."]),
            "Internal margin notes.pdf",
            visible_to_client=False,
        ),
    ]
