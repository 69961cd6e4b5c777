"""QR code images (segno): PNG for PDFs, SVG markup for pages. No domain here."""

from __future__ import annotations

import io

import segno


def _qr(payload: str) -> segno.QRCode:
    # Error correction level M (what the EPC payment QR guideline asks); never a Micro QR.
    return segno.make(payload, error="m", micro=False, boost_error=False, encoding="utf-8")


def qr_svg(payload: str) -> str:
    """SVG markup of the QR code (paths only: no text of the payload), or "" for none."""
    if not payload:
        return ""
    buffer = io.BytesIO()
    _qr(payload).save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def qr_png(payload: str) -> bytes:
    """PNG bytes of the QR code, or b"" for none."""
    if not payload:
        return b""
    buffer = io.BytesIO()
    _qr(payload).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
