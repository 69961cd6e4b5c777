"""The only place for code that touches Reflex internals (anything beyond `rx.*`'s documented
API: its endpoint constants, how `App.__call__` assembles the backend, what its upload
endpoint does with a body), so a Reflex upgrade is reviewed here and nowhere else.
(redis_lock_fix.py and page_load.py predate this package and move here with the architecture
work.)

Version-guarded: importing it with a Reflex outside SUPPORTED_SERIES raises, so an upgrade is
a deliberate act: re-read what each module here relies on (its docstring lists it), run
tests/reflex_ext (the canary tests), then widen SUPPORTED_SERIES.
"""

from __future__ import annotations

from importlib.metadata import version

# (major, minor) series of Reflex this package was checked against.
SUPPORTED_SERIES = ((0, 10),)


def reflex_series(text: str) -> tuple[int, int]:
    """(major, minor) of a version string such as "0.10.1" or "0.10.2a1"."""
    major, minor = text.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def check_reflex_version(text: str) -> None:
    """Raise RuntimeError unless `text` is a Reflex version this package was checked against."""
    if reflex_series(text) not in SUPPORTED_SERIES:
        supported = ", ".join(f"{a}.{b}.x" for a, b in SUPPORTED_SERIES)
        raise RuntimeError(
            f"portal_app.reflex_ext was written against Reflex {supported}, not {text}: "
            "re-check the Reflex internals its modules name, run tests/reflex_ext, then add "
            "the new series to SUPPORTED_SERIES"
        )


REFLEX_VERSION = version("reflex")
check_reflex_version(REFLEX_VERSION)
