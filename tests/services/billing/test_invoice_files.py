import io
import re
import zipfile

import pytest
from pypdf import PdfReader

from portal_app.core.errors import NotFoundError
from portal_app.services.billing import invoice_files

SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _setup(make):
    company = make.company()
    mine, theirs = make.client(company), make.client(company)
    me = make.contact(mine)
    return company, mine, theirs, make.actor(me)


def test_single_pdf_has_filename_and_content(make, session):
    _, mine, _, actor = _setup(make)
    invoice = make.invoice(mine, number="INV-0001")
    filename, data = invoice_files.invoice_pdf(session, actor=actor, invoice_id=invoice.id)
    assert filename == "invoice-INV-0001.pdf"
    assert "INV-0001" in _pdf_text(data)


def test_single_pdf_filename_is_safe(make, session):
    _, mine, _, actor = _setup(make)
    invoice = make.invoice(mine, number="../é 2026/07\\x")
    filename, _ = invoice_files.invoice_pdf(session, actor=actor, invoice_id=invoice.id)
    assert SAFE.match(filename) and not filename.startswith(".")
    assert filename == "invoice-2026_07_x.pdf"


def test_single_pdf_of_another_client_or_a_draft_is_not_found(make, session):
    _, mine, theirs, actor = _setup(make)
    foreign = make.invoice(theirs)
    draft = make.invoice(mine, status="draft")
    for invoice_id in (foreign.id, draft.id, 999_999_999):
        with pytest.raises(NotFoundError):
            invoice_files.invoice_pdf(session, actor=actor, invoice_id=invoice_id)


def test_zip_holds_exactly_the_requested_invoices(make, session):
    _, mine, _, actor = _setup(make)
    first = make.invoice(mine, number="INV-1001")
    second = make.invoice(mine, number="INV-1002")
    make.invoice(mine, number="INV-1003")
    name, data = invoice_files.invoices_zip(
        session, actor=actor, invoice_ids=[second.id, first.id, second.id]
    )
    assert name.endswith(".zip") and SAFE.match(name)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["invoice-INV-1001.pdf", "invoice-INV-1002.pdf"]
        for number in ("INV-1001", "INV-1002"):
            text = _pdf_text(archive.read(f"invoice-{number}.pdf"))
            assert number in text
            assert "INV-1003" not in text


def test_zip_names_are_safe_and_distinct(make, session):
    _, mine, _, actor = _setup(make)
    a = make.invoice(mine, number="A/1")
    b = make.invoice(mine, number="A 1")
    c = make.invoice(mine, number="../../etc/passwd")
    _, data = invoice_files.invoices_zip(session, actor=actor, invoice_ids=[a.id, b.id, c.id])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert len(names) == 3 and len(set(names)) == 3
    assert all(SAFE.match(n) and not n.startswith(".") and "/" not in n for n in names)


@pytest.mark.parametrize("intruder", ["other_client", "draft", "missing"])
def test_zip_with_an_id_that_is_not_mine_is_not_found(make, session, intruder):
    company, mine, theirs, actor = _setup(make)
    own = make.invoice(mine)
    bad_id = {
        "other_client": lambda: make.invoice(theirs).id,
        "draft": lambda: make.invoice(mine, status="draft").id,
        "missing": lambda: 999_999_999,
    }[intruder]()
    with pytest.raises(NotFoundError):
        invoice_files.invoices_zip(session, actor=actor, invoice_ids=[own.id, bad_id])


def test_zip_of_another_company_invoice_is_not_found(make, session):
    _, mine, _, actor = _setup(make)
    other_company = make.company()
    foreign = make.invoice(make.client(other_company))
    with pytest.raises(NotFoundError):
        invoice_files.invoices_zip(session, actor=actor, invoice_ids=[foreign.id])


def test_empty_zip_request_is_not_found(make, session):
    _, _, _, actor = _setup(make)
    with pytest.raises(NotFoundError):
        invoice_files.invoices_zip(session, actor=actor, invoice_ids=[])
