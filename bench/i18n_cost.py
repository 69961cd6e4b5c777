"""What the translation mechanism costs per browser tab (issue 20 item 4): the `ui_text` dict.

Page functions compile once, so a component's `_("Invoices")` is a lookup in
PortalState.ui_text, the catalog of the contact's language sent to the tab when the shell loads
(core.i18n.translated_strings; English sends an empty dict: its msgids are the text). This
prints, per shipped language, how many strings that dict holds, its size as the JSON the state
delta carries (UTF-8 bytes, and gzip-compressed as a rough guide to a compressed websocket
frame) and the milliseconds to build it once per process from the .po (cached after that).

Before issue 20 every tab carried nothing of the kind (the interface was English only).

    .venv/bin/python bench/i18n_cost.py
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal_app.core import i18n  # noqa: E402


def main() -> None:
    """Print the table of ui_text sizes per shipped language."""
    print("| language | strings | JSON bytes | gzip bytes | first build ms |")
    print("|---|---:|---:|---:|---:|")
    for language in i18n.SHIPPED_LANGUAGES:
        start = time.perf_counter()
        strings = i18n.translated_strings(language)
        built = (time.perf_counter() - start) * 1000
        data = json.dumps(strings, ensure_ascii=False, separators=(",", ":")).encode()
        packed = gzip.compress(data, compresslevel=6)
        print(f"| {language} | {len(strings)} | {len(data):,} | {len(packed):,} | {built:.0f} |")


if __name__ == "__main__":
    main()
