"""The portal's browser code lives in assets/js/ and Python only calls it by name: no JavaScript
function bodies in Python sources, every module and function Python names exists, and every
argument reaches the browser JSON-encoded."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import pytest

from portal_app.core.settings import PROJECT_ROOT
from portal_app.state import browser_js

PORTAL_APP = PROJECT_ROOT / "portal_app"

# What JavaScript code (not a call by name) looks like inside a Python string.
INLINE_JS = re.compile(
    r"=>\s*\{{1,2}"  # an arrow function's body (doubled braces in an f-string)
    r"|\bfunction\s*\*?\s*\w*\s*\("  # a function expression or declaration
    r"|\(\s*async\b"  # an async IIFE
    r"|\bnew\s+Promise\s*\("
    r"|\bdocument\.(?:createElement|getElementById|querySelector\w*|addEventListener|head|body)\b"
    r"|\bwindow\.__\w+"  # globals that scripts shared between calls
)


def inline_js_in(root: Path) -> list[str]:
    """`path:line: text` of every string constant under `root` that holds JavaScript code."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and INLINE_JS.search(text):
                line = text.strip().splitlines()[0][:80]
                found.append(f"{path.relative_to(root)}:{node.lineno}: {line}")
    return found


# Each entry: a module allowed to hold a JavaScript line, and why it cannot be a call by name.
ALLOWED = {
    # A React hook (one useEffect line) handed to Reflex's hook collection, which takes JS
    # source; it lives in reflex_ext/, the one place that touches Reflex internals.
    "reflex_ext/document_language.py",
    # The same kind: a React hook (a useState latch set in a transition from a useEffect)
    # handed to Reflex's hook collection, for the first render in slices (issue 23 item 4).
    "reflex_ext/deferred.py",
}


def test_no_python_module_holds_javascript_code():
    found = [hit for hit in inline_js_in(PORTAL_APP) if hit.split(":")[0] not in ALLOWED]
    assert found == []


def test_the_scan_sees_the_kinds_of_code_it_forbids(tmp_path):
    (tmp_path / "scripts.py").write_text(
        "A = '(() => { return 1; })()'\n"
        "B = f'''(async () => {{ await x; }})()'''\n"
        "C = 'function(e) { e.preventDefault(); }'\n"
        "D = \"const c = document.getElementById('pad');\"\n"
        "E = 'window.__portalCard.mount()'\n"
        "OK = 'window.location.replace(\"/client/login\")'\n"
        "DOC = 'document.name and document.id are Python attributes'\n"
    )
    found = inline_js_in(tmp_path)
    assert sorted(int(entry.split(":")[1]) for entry in found) == [1, 2, 3, 4, 5]


def _calls_from_python() -> list[tuple[str, str, str]]:
    """(where, module constant, function name) of every `browser_js.call(...)` in portal_app."""
    calls = []
    for path in sorted(PORTAL_APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "call"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "browser_js"
            ):
                module, function = node.args[0], node.args[1]
                assert isinstance(module, ast.Attribute), f"{path}:{node.lineno}"
                assert isinstance(function, ast.Constant), f"{path}:{node.lineno}"
                calls.append((f"{path.name}:{node.lineno}", module.attr, function.value))
    return calls


def test_every_browser_module_python_names_exists():
    for module in browser_js.MODULES:
        assert (browser_js.JS_DIR / module).is_file(), module
    # Any other .js path written in a Python source is one of ours too.
    for path in PORTAL_APP.rglob("*.py"):
        for name in re.findall(r"/js/([\w.-]+\.js)\b", path.read_text(encoding="utf-8")):
            assert (browser_js.JS_DIR / name).is_file(), f"{path}: {name}"


def test_every_function_python_calls_is_exported_by_its_module():
    calls = _calls_from_python()
    assert {module for _, module, _ in calls} == {"STRIPE_CARD", "SIGNATURE_PAD", "NAVIGATION"}
    for where, constant, function in calls:
        source = (browser_js.JS_DIR / getattr(browser_js, constant)).read_text()
        exported = re.search(rf"^export (?:async )?function {re.escape(function)}\(", source, re.M)
        assert exported, f"{where}: {constant} has no exported function {function}"


def test_a_call_carries_its_arguments_as_json_only():
    hostile = '"); alert(document.cookie); ("</script>\u2028'
    code = browser_js.call(browser_js.SIGNATURE_PAD, "read", "signature-pad", hostile, 3, None)
    match = re.fullmatch(r'import\((".*?")\)\.then\(\(m\) => m\.read\((.*)\)\)', code)
    assert match is not None, code
    assert json.loads(match.group(1)) == browser_js.module_url(browser_js.SIGNATURE_PAD)
    assert json.loads(f"[{match.group(2)}]") == ["signature-pad", hostile, 3, None]
    # Nothing outside JSON's ASCII escapes reaches the browser's parser.
    assert code.isascii()


def test_a_call_names_a_function_never_code():
    with pytest.raises(ValueError):
        browser_js.call(browser_js.STRIPE_CARD, "mount(); alert")
    with pytest.raises(ValueError):
        browser_js.module_url("../../etc/passwd")


def test_a_module_url_changes_with_the_files_content():
    for module in browser_js.MODULES:
        url = browser_js.module_url(module)
        digest = hashlib.sha256((browser_js.JS_DIR / module).read_bytes()).hexdigest()[:12]
        assert url == f"/js/{module}?v={digest}"
