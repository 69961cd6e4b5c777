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
