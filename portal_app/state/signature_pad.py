"""The signature pad's calls into assets/js/signature_pad.js: drawing on the canvas, clearing
it, and handing the drawing back as a PNG data URL (or a typed name written on it). Used by the
approval dialog (components/quote_approval.py) and its state (state/quote_approval.py)."""

from __future__ import annotations

from portal_app.state import browser_js

PAD_ID = "signature-pad"
PAD_WIDTH = 480
PAD_HEIGHT = 160

# Run on the quote pages' load: draws on the canvas with id PAD_ID, whenever it is mounted.
INSTALL_PAD_SCRIPT = browser_js.call(browser_js.SIGNATURE_PAD, "install", PAD_ID)

CLEAR_PAD_SCRIPT = browser_js.call(browser_js.SIGNATURE_PAD, "clear", PAD_ID)


def signature_script(typed_name: str) -> str:
    """Resolves to the canvas as a PNG data URL; a typed name is written on an empty pad."""
    return browser_js.call(browser_js.SIGNATURE_PAD, "read", PAD_ID, typed_name.strip())
