import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_app.branding import (
    BLACK,
    DEFAULT_ACCENT,
    MARK_CONTRAST,
    SIDEBAR_DARK,
    SIDEBAR_LIGHT,
    WHITE,
    accent,
    contrast_ratio,
    readable_foreground,
    relative_luminance,
    safe_color,
)

hex_colours = st.from_regex(r"\A#[0-9a-fA-F]{6}\Z")


def test_safe_color_accepts_exact_hex_and_lowercases():
    assert safe_color("#A1B2C3") == "#a1b2c3"
    assert safe_color("#000000") == "#000000"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        None,
        123,
        "#fff",
        "4f46e5",
        "#4f46e5\n",
        "#4f46e5;color:red",
        "red",
        "#gggggg",
        "#4f46e5 ",
        "#4f46e5ff",
        "url(javascript:alert(1))",
        "#４f46e5",  # full-width digit: not ASCII hex
    ],
)
def test_safe_color_falls_back_for_anything_else(bad):
    assert safe_color(bad) == DEFAULT_ACCENT
    assert safe_color(bad, default="#123456") == "#123456"


def test_luminance_ends():
    assert relative_luminance(BLACK) == 0
    assert relative_luminance(WHITE) == pytest.approx(1)
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21)


def test_readable_foreground_known_colours():
    assert readable_foreground("#ffffff") == BLACK
    assert readable_foreground("#ffff00") == BLACK
    assert readable_foreground("#000000") == WHITE
    assert readable_foreground("#4f46e5") == WHITE
    assert readable_foreground("#1e3a8a") == WHITE


@given(hex_colours)
def test_foreground_always_meets_wcag_aa(colour):
    a = accent(colour)
    assert a.foreground in (BLACK, WHITE)
    assert contrast_ratio(a.color, a.foreground) >= 4.5
    # Hovering moves away from the text colour: contrast never drops.
    assert contrast_ratio(a.hover, a.foreground) >= contrast_ratio(a.color, a.foreground) - 1e-9


def test_accent_of_invalid_value_is_default():
    a = accent("expression(alert(1))")
    assert a.color == DEFAULT_ACCENT
    assert a.foreground == WHITE
    assert a.hover.startswith("#") and len(a.hover) == 7


@given(hex_colours)
def test_brand_mark_always_stands_out_from_the_sidebar(colour):
    """Issue 18 item 14: the current page's bar is 3:1 against both sidebars (WCAG 1.4.11)."""
    a = accent(colour)
    assert contrast_ratio(a.mark_light, SIDEBAR_LIGHT) >= MARK_CONTRAST
    assert contrast_ratio(a.mark_dark, SIDEBAR_DARK) >= MARK_CONTRAST


def test_brand_mark_is_the_brand_colour_where_contrast_allows():
    green = accent("#0a7f3b")
    assert (green.mark_light, green.mark_dark) == ("#0a7f3b", "#0a7f3b")
    gold = accent("#FFD700")
    assert gold.mark_dark == "#ffd700"
    # Gold on the light sidebar is too faint: a darker gold instead, not some other colour.
    assert gold.mark_light != "#ffd700"
    assert relative_luminance(gold.mark_light) < relative_luminance("#ffd700")
