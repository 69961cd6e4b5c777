"""No link wraps a button (issue 18 item 13): a button inside a link is two Tab stops, and the
name a screen reader announces for the link is not the one shown on the button. A link drawn
as a button is `components.common.link_button` (one element); a button that does something
has its own on_click.

Scans the source of portal_app for `rx.link(...)` calls with an `rx.button(...)` anywhere
inside them (a `rx.link(rx.button(...))` came back into a page three times before this test).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "portal_app"


def _is_rx_call(node: ast.AST, name: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "rx"
    )


def _buttons_in_links(tree: ast.AST) -> list[int]:
    """Line numbers of rx.link calls that hold an rx.button call."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if not _is_rx_call(node, "link"):
            continue
        assert isinstance(node, ast.Call)
        inner = [*node.args, *(k.value for k in node.keywords)]
        if any(_is_rx_call(sub, "button") for arg in inner for sub in ast.walk(arg)):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_a_button_in_a_link():
    tree = ast.parse('rx.link(rx.hstack(rx.button("Pay now")), href="/client/pay")')
    assert _buttons_in_links(tree) == [1]


def test_no_link_in_the_portal_wraps_a_button():
    found = [
        f"{path.relative_to(ROOT.parent)}:{line}"
        for path in sorted(ROOT.rglob("*.py"))
        for line in _buttons_in_links(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "use components.common.link_button instead: " + ", ".join(found)
