"""What the portal prints when it starts: no "Page ... is being redefined" warnings (pages come
from the route table through app.add_page, once each)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_the_start_log_has_no_redefined_page_warnings(portal_server):
    log = portal_server.log_path.read_text(errors="replace")
    # The log is the real one: the server compiled the pages before it answered /ping.
    assert "Compiling" in log or "compil" in log.lower(), log[-2000:]
    redefined = [line for line in log.splitlines() if "is being redefined" in line]
    assert redefined == [], "\n".join(redefined[:5])
