"""Messages people read end with a full stop (issue 18 item 15, "one voice across the portal").

Scans the source for refusals raised with a constant text (PortalError and its kinds, pydantic
`refuse`) and for the notices and errors pages assign, and fails on a sentence (two words or
more) that does not end with . ! ? or … ("session no longer valid" was shown as it was).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "portal_app"
REFUSALS = {
    "ValidationError",
    "ReadOnlyError",
    "AuthError",
    "ThrottledError",
    "PortalError",
    "QuoteRefusedError",
    "refuse",
}
END = (".", "!", "?", "…")


def _texts(node: ast.AST) -> list[str]:
    """The constant text at the end of a string or f-string node."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[-1], ast.Constant):
        return [str(node.values[-1].value)]
    if isinstance(node, ast.Call) and node.args:  # gettext("..."), N_("...")
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in ("_", "N_", "gettext", "gettext_noop"):
            return _texts(node.args[0])
    return []


def _messages(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in REFUSALS and node.args:
                found += [(node.lineno, t) for t in _texts(node.args[-1])]
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and any(
                word in target.attr for word in ("notice", "error", "message")
            ):
                found += [(node.lineno, t) for t in _texts(node.value)]
    return found


def test_messages_end_with_a_full_stop():
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        for line, text in _messages(ast.parse(path.read_text(), str(path))):
            text = text.rstrip()
            if len(text.split()) >= 2 and not text.endswith(END):
                problems.append(f"{path.relative_to(ROOT.parent)}:{line}: {text!r}")
    assert problems == []
