"""The company's primary colour made safe for the page: strict validation and readable text.

The colour comes from the database, so it is re-checked here before it becomes a CSS value;
anything that is not exactly #rrggbb falls back to the default accent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_ACCENT = "#4f46e5"
BLACK = "#000000"
WHITE = "#ffffff"

# fullmatch with \Z: a trailing newline or any CSS after the six digits is refused.
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")


# The sidebar's background (Radix gray-2) in the light and the dark theme: the brand mark
# (the current page's bar in the navigation) is drawn on it.
SIDEBAR_LIGHT = "#f9f9f9"
SIDEBAR_DARK = "#191919"
# WCAG 1.4.11: a graphical mark needs 3:1 against what is next to it.
MARK_CONTRAST = 3.0


@dataclass(frozen=True, slots=True)
class Accent:
    """CSS colours for the shell: the accent, text drawn on it, its hover shade, and the brand
    mark on the light and on the dark sidebar."""

    color: str
    foreground: str
    hover: str
    mark_light: str
    mark_dark: str


def safe_color(value: object, default: str = DEFAULT_ACCENT) -> str:
    """`value` lower-cased when it is exactly #rrggbb, else `default`."""
    if isinstance(value, str) and _HEX_COLOUR.fullmatch(value):
        return value.lower()
    return default


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance (0 black .. 1 white) of a #rrggbb colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(safe_color(color)))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio (1..21) between two #rrggbb colours."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable_foreground(color: str) -> str:
    """Black or white, whichever contrasts more with `color` (always at least 4.5:1)."""
    return BLACK if contrast_ratio(color, BLACK) >= contrast_ratio(color, WHITE) else WHITE


def _mix(color: str, toward: str, share: float) -> str:
    mixed = (round(a + (b - a) * share) for a, b in zip(_rgb(color), _rgb(toward), strict=True))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def mark_on(color: str, background: str) -> str:
    """`color` where it stands out from `background` by 3:1 (WCAG 1.4.11), else `color` moved
    toward black or white (whichever contrasts with `background`) just far enough."""
    color = safe_color(color)
    if contrast_ratio(color, background) >= MARK_CONTRAST:
        return color
    toward = readable_foreground(background)
    for step in range(1, 21):
        shade = _mix(color, toward, step / 20)
        if contrast_ratio(shade, background) >= MARK_CONTRAST:
            return shade
    return toward


def accent(value: object) -> Accent:
    """The shell's accent from a stored colour: validated, with readable text and a hover shade.

    The hover shade moves away from the text colour, so hovering never lowers the contrast.
    """
    color = safe_color(value)
    foreground = readable_foreground(color)
    hover = _mix(color, WHITE if foreground == BLACK else BLACK, 0.15)
    return Accent(
        color=color,
        foreground=foreground,
        hover=hover,
        mark_light=mark_on(color, SIDEBAR_LIGHT),
        mark_dark=mark_on(color, SIDEBAR_DARK),
    )
