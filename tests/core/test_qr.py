"""core/qr: SVG markup of QR codes for pages."""

from __future__ import annotations

import uuid

import segno

from portal_app.core import qr


def test_the_same_payload_is_encoded_once_per_process(monkeypatch):
    """An invoice page shows the same pay-link code on every view: its SVG is kept (issue 25)."""
    calls: list[str] = []
    real_make = segno.make

    def counting_make(payload, **kw):
        calls.append(payload)
        return real_make(payload, **kw)

    monkeypatch.setattr(segno, "make", counting_make)
    payload = f"https://portal.example.test/i/{uuid.uuid4().hex}"
    first = qr.qr_svg(payload)
    assert first.startswith("<svg") and payload not in first
    assert qr.qr_svg(payload) == first
    assert calls == [payload]
    other = qr.qr_svg(payload + "x")
    assert other != first and calls == [payload, payload + "x"]
    assert qr.qr_svg("") == ""


def test_rects_cover_exactly_the_dark_modules_and_are_kept_per_payload(monkeypatch):
    """A PDF fills the code's rectangles; they are the module matrix, each module once, and
    the same payload is encoded once per process (issue 23)."""
    calls: list[str] = []
    real_make = segno.make

    def counting_make(payload, **kw):
        calls.append(payload)
        return real_make(payload, **kw)

    monkeypatch.setattr(segno, "make", counting_make)
    payload = (
        "BCD\n002\n1\nSCT\n\nNorthwind\nDE89370400440532013000\nEUR12.50\n\n\n" + uuid.uuid4().hex
    )
    width, rects = qr.qr_rects(payload)
    matrix = real_make(payload, error="m", micro=False, boost_error=False, encoding="utf-8").matrix
    assert width == len(matrix)
    painted = [[0] * width for _ in range(width)]
    for row, column, length, height in rects:
        for y in range(row, row + height):
            for x in range(column, column + length):
                painted[y][x] += 1
    assert painted == [[1 if dark else 0 for dark in line] for line in matrix]
    assert len(rects) < sum(map(sum, painted)) / 2  # runs merged, not one per module
    assert qr.qr_rects(payload) == (width, rects)
    assert calls == [payload]
    assert qr.qr_rects("") == (0, ())
