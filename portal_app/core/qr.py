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


# A PDF draws the same codes on every render of an invoice (the pay link's key is derived, the
# EPC payload follows the balance): segno's mask choice and the run scan cost ~10 ms a code
# (issue 23, bench/pdf.py --einvoice). A code's rectangles are a few hundred small tuples.
@lru_cache(maxsize=256)
def qr_rects(payload: str) -> tuple[int, tuple[tuple[int, int, int, int], ...]]:
    """(width in modules without the quiet zone, ((row, column, width, height), ...)): the
    dark modules as rectangles, for a PDF to fill (sharper and cheaper than a PNG image).
    Each is a horizontal run of dark modules, merged with the same run in the rows below it.
    (0, ()) for no payload."""
    if not payload:
        return 0, ()
    matrix = _qr(payload).matrix
    # (column, length) of a run -> (first row, row count) of the rectangle it is growing.
    open_rects: dict[tuple[int, int], tuple[int, int]] = {}
    rects: list[tuple[int, int, int, int]] = []
    for y, row in enumerate(matrix):
        runs: set[tuple[int, int]] = set()
        start = -1
        for x, dark in enumerate([*row, 0]):
            if dark and start < 0:
                start = x
            elif not dark and start >= 0:
                runs.add((start, x - start))
                start = -1
        for key in list(open_rects):
            if key not in runs:
                top, height = open_rects.pop(key)
                rects.append((top, key[0], key[1], height))
        for key in runs:
            top, height = open_rects.get(key, (y, 0))
            open_rects[key] = (top, height + 1)
    rects.extend((top, key[0], key[1], height) for key, (top, height) in open_rects.items())
    return len(matrix), tuple(sorted(rects))
