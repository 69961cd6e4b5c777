"""Tests that read `.web`'s installed front-end packages (Radix Themes' CSS, PostCSS).

The unit phase of `scripts/test.sh` runs before any front-end build, so there such a test is
skipped; the script runs these tests again after the browser phase has built `.web`, with
`PORTAL_REQUIRE_FRONT_END=1`, and there a missing package is a failure, not a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal_app.core.settings import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / ".web" / "node_modules"


def require_front_end(*paths: Path) -> None:
    """Skip the calling test unless every path exists; fail instead when the suite says the
    front end has been built (PORTAL_REQUIRE_FRONT_END=1)."""
    missing = [str(path) for path in paths if not path.exists()]
    if not missing:
        return
    message = f"front-end packages not installed (.web): {', '.join(missing)}"
    if os.environ.get("PORTAL_REQUIRE_FRONT_END") == "1":
        pytest.fail(message)
    pytest.skip(message)
