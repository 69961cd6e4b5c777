"""QR codes (segno): module runs for drawing in PDFs, SVG markup for pages. No domain here."""

from __future__ import annotations

import io
from functools import lru_cache

import segno


def _qr(payload: str) -> segno.QRCode:
    # Error correction level M (what the EPC payment QR guideline asks); never a Micro QR.
    return segno.make(payload, error="m", micro=False, boost_error=False, encoding="utf-8")


# An invoice page draws the same codes on every view (its pay link's key is derived, not
# drawn anew), and encoding one costs ~10 ms of CPU, most of an invoice view's (issue 25,
# bench/invoice_detail.py). A pay-link code's SVG is a few KB: 512 of them stay small.
@lru_cache(maxsize=512)
def qr_svg(payload: str) -> str:
    """SVG markup of the QR code (paths only: no text of the payload), or "" for none."""
    if not payload:
        return ""
    buffer = io.BytesIO()
    _qr(payload).save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def qr_runs(payload: str) -> tuple[int, list[tuple[int, int, int]]]:
    """(width in modules without the quiet zone, [(row, first column, length)] of every
    horizontal run of dark modules): what a PDF draws as filled rectangles, sharper and cheaper
    than a PNG image. (0, []) for no payload."""
    if not payload:
        return 0, []
    code = _qr(payload)
    runs: list[tuple[int, int, int]] = []
    width = 0
    for y, row in enumerate(code.matrix):
        width = len(row)
        start = -1
        for x, dark in enumerate([*row, 0]):
            if dark and start < 0:
                start = x
            elif not dark and start >= 0:
                runs.append((y, start, x - start))
                start = -1
    return width, runs
