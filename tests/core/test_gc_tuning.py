"""The backend process's garbage collector settings (core/gc_tuning.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from portal_app.core.gc_tuning import OLDER_THRESHOLDS, YOUNG_THRESHOLD

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    # A process of its own: the settings are process-wide.
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PORTAL_ENV": "test"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def test_tune_collector_freezes_start_up_and_raises_the_thresholds():
    out = _run(
        "import gc; from portal_app.core.gc_tuning import tune_collector; "
        "before = gc.get_threshold(); tune_collector(); "
        "print(before, gc.get_threshold(), gc.get_freeze_count() > 0)"
    )
    assert out == f"(700, 10, 10) {(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)} True"


def test_the_app_module_tunes_its_process():
    # What a backend worker imports (Granian's factory, `reflex run`).
    out = _run("import gc; import portal_app.portal_app; print(gc.get_threshold())")
    assert out == str((YOUNG_THRESHOLD, *OLDER_THRESHOLDS))
