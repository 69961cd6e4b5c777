"""Every audit action and record kind the code can write reads in the reader's language.

The source is read (not run): each call that writes an audit event, directly or through a
helper that passes its `action` / `entity_type` on, gives the actions and record kinds it can
write. An action with no sentence of its own, or a record kind with no name, would be shown
in words made from its English key; these tests fail instead, so a new action needs its
sentence. A value the reader cannot work out fails too, until DYNAMIC below says what it is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from portal_app.models import statuses
from portal_app.services.company import audit_log, client_activity

ROOT = Path(__file__).resolve().parents[3] / "portal_app"

# The audit writers everything else goes through: (module, function) -> where each value is.
_BASE = {
    ("audit", "record"): {
        "action": ("action", None, None, "{}"),
        "entity_type": ("entity_type", None, "", "{}"),
    },
    ("audit", "record_contact_action"): {
        "action": ("action", 4, None, "{}"),
        "entity_type": ("entity_type", 2, None, "{}"),
    },
    ("audit", "insert_contact_action"): {
        "action": ("action", 4, None, "{}"),
        "entity_type": ("entity_type", 2, None, "{}"),
    },
}
# Values the reader cannot work out from the source: (module, expression) -> what they are.
DYNAMIC: dict[tuple[str, str], set[str]] = {
    # services/identity/auth.py and staff_auth.py (the two SignInSide values).
    ("signin", "side.failed_action"): {"login_failed", "staff_login_failed"},
    # An e-mailed link is to an invoice or a quote (services/identity/invitations.py).
    ("invitations", "invitation.entity_type"): {"invoice", "quote"},
    # Staff write invoices, quotes and credits (services/billing/staff_records.py).
    ("staff_records", "kind.name"): {"invoice", "quote", "credit"},
    ("staff_mail", "kind.name"): {"invoice", "quote", "credit"},
    ("staff_cancellations", "'recurring' if kind == 'recurring' else 'subscription'"): {
        "recurring",
        "subscription",
    },
    # What a client downloads or exports (services/company/client_activity.py).
    ("client_activity", "f'{entity_type}_downloaded'"): {
        f"{kind}_downloaded" for kind in client_activity.DOWNLOAD_ENTITIES
    },
    ("client_activity", "f'{what}_exported'"): {
        f"{kind}_exported" for kind in client_activity.EXPORT_KINDS
    },
    # A thread's page is an invoice's or a quote's (state/document_thread.py, staff_thread.py).
    ("document_thread", "self._document_type"): {"invoice", "quote"},
    ("staff_thread", "self._document_type"): {"invoice", "quote"},
}


@dataclass(frozen=True)
class _Param:
    """The enclosing function's own parameter, formatted by `fmt` ("{}" as it is)."""

    name: str
    fmt: str = "{}"


def _parents(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child._parent = node  # type: ignore[attr-defined]


def _enclosing(node: ast.AST | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        node = getattr(node, "_parent", None)
    return node


def _positional(fn) -> list[str]:
    return [a.arg for a in fn.args.posonlyargs + fn.args.args]


def _defaults(fn) -> dict[str, object]:
    pos = _positional(fn)
    found = dict(zip(pos[len(pos) - len(fn.args.defaults) :], fn.args.defaults, strict=True))
    found |= {a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True) if d}
    return {k: v.value for k, v in found.items() if isinstance(v, ast.Constant)}


def _assigned(scope: ast.AST, name: str, nested: bool) -> list[ast.expr]:
    nodes = ast.walk(scope) if nested else ast.iter_child_nodes(scope)
    return [
        node.value
        for node in nodes
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]


def _resolve(expr: ast.expr, fn, module: str, tree: ast.Module):
    """The strings `expr` can be, a _Param when it is made of the enclosing function's own
    parameter, None when unknown."""
    known = DYNAMIC.get((module, ast.unparse(expr)))
    if known is not None:
        return frozenset(known)
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return frozenset({expr.value})
    if isinstance(expr, ast.IfExp):
        a, b = _resolve(expr.body, fn, module, tree), _resolve(expr.orelse, fn, module, tree)
        return a | b if isinstance(a, frozenset) and isinstance(b, frozenset) else None
    if isinstance(expr, ast.JoinedStr):
        holes = [v for v in expr.values if isinstance(v, ast.FormattedValue)]
        if len(holes) != 1:
            return None
        fmt = "".join(
            v.value.replace("{", "{{").replace("}", "}}") if isinstance(v, ast.Constant) else "{}"
            for v in expr.values
        )
        inner = _resolve(holes[0].value, fn, module, tree)
        if isinstance(inner, _Param) and inner.fmt == "{}":
            return _Param(inner.name, fmt)
        return frozenset(fmt.format(v) for v in inner) if isinstance(inner, frozenset) else None
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
        # A lookup in a module's table: any of its values.
        for table in _assigned(tree, expr.value.id, nested=False):
            if isinstance(table, ast.Dict):
                values = [_resolve(v, fn, module, tree) for v in table.values if v is not None]
                if values and all(isinstance(v, frozenset) for v in values):
                    return frozenset().union(*values)
        return None
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        # A member of one of the models' StrEnums (SessionKind.CODE).
        enum = getattr(statuses, expr.value.id, None)
        member = getattr(enum, expr.attr, None) if enum is not None else None
        return frozenset({str(member)}) if isinstance(member, str) else None
    if isinstance(expr, ast.Name):
        if fn is not None:
            if expr.id in _positional(fn) or expr.id in [a.arg for a in fn.args.kwonlyargs]:
                return _Param(expr.id)
            local = _assigned(fn, expr.id, nested=True)
        else:
            local = []
        values: set[str] = set()
        for value in local or _assigned(tree, expr.id, nested=False):
            found = _resolve(value, fn, module, tree)
            if not isinstance(found, frozenset):
                return None
            values |= found
        return frozenset(values) or None
    return None


def _callee(call: ast.Call, module: str, imported: dict[str, tuple[str, str]]):
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return (imported.get(func.value.id, ("", func.value.id))[1], func.attr)
    if isinstance(func, ast.Name):
        return imported.get(func.id, (module, func.id))
    return None


def _imports(tree: ast.AST) -> dict[str, tuple[str, str]]:
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portal_app"):
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module.rsplit(".", 1)[-1], alias.name)
    return names


def _written() -> tuple[set[tuple[str, str]], list[str]]:
    """(action, entity_type) pairs the code can write, and the calls it could not read."""
    trees = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        _parents(tree)
        trees.append((path, path.stem, tree, _imports(tree)))
    # (module, function) -> ways it writes: per slot (parameter, position, default, format)
    # when its caller says the value, ("", None, values, "") when it is fixed.
    writers = {key: {frozenset(spec.items())} for key, spec in _BASE.items()}
    while True:
        pairs: set[tuple[str, str]] = set()
        unread: list[str] = []
        grown = False
        for path, module, tree, imported in trees:
            for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
                for spec in list(writers.get(_callee(call, module, imported), ())):
                    fn = _enclosing(call)
                    got = {slot: _argument(call, fn, module, tree, how) for slot, how in spec}
                    if any(isinstance(v, _Param) for v in got.values()) and fn is not None:
                        # A helper passing its own parameter on: its callers say the value.
                        pos, defaults = _positional(fn), _defaults(fn)
                        way = frozenset(
                            (
                                slot,
                                (
                                    v.name,
                                    pos.index(v.name) if v.name in pos else None,
                                    defaults.get(v.name),
                                    v.fmt,
                                )
                                if isinstance(v, _Param)
                                else ("", None, v, ""),
                            )
                            for slot, v in got.items()
                        )
                        ways = writers.setdefault((module, fn.name), set())
                        if way not in ways:
                            ways.add(way)
                            grown = True
                        continue
                    if not all(isinstance(v, frozenset) for v in got.values()):
                        where = path.relative_to(ROOT.parent)
                        unread.append(f"{where}:{call.lineno}: {ast.unparse(call)[:100]}")
                        continue
                    pairs |= {(a, e) for a in got["action"] for e in got["entity_type"]}
        if not grown:
            return pairs, unread


def _argument(call: ast.Call, fn, module: str, tree: ast.Module, how: tuple):
    """What a writer's slot gets at this call: values, a _Param, or None when unknown."""
    name, index, default, fmt = how
    if not name:
        return default
    keywords = {k.arg: k.value for k in call.keywords}
    expr = keywords.get(name)
    if expr is None and index is not None and index < len(call.args):
        expr = call.args[index]
    if expr is None:
        spread = keywords.get(None)
        kwarg = fn.args.kwarg if fn is not None else None
        if isinstance(spread, ast.Name) and kwarg is not None and spread.id == kwarg.arg:
            # f(**kw) inside def g(..., **kw): g's caller may name it.
            return _Param(name, fmt)
        return None if default is None else frozenset({fmt.format(default)})
    found = _resolve(expr, fn, module, tree)
    if isinstance(found, _Param):
        return _Param(found.name, fmt.format(found.fmt) if found.fmt != "{}" else fmt)
    return frozenset(fmt.format(v) for v in found) if isinstance(found, frozenset) else None


def test_every_audit_write_is_read():
    pairs, unread = _written()
    assert not unread, "Say in DYNAMIC what these can write:\n" + "\n".join(unread)
    # The reader is not blind: the log's best-known events are among what it found.
    actions = {a for a, _ in pairs}
    assert {"invoice_viewed", "payment_completed", "login_failed", "thread.answered"} <= actions
    assert {"invoice_downloaded", "payments_exported"} <= actions


def test_every_action_the_code_writes_has_its_own_sentence():
    pairs, _ = _written()
    missing = sorted(
        f"{action} (on {entity or 'no record'})"
        for action, entity in pairs
        if not audit_log.has_own_sentence(action, entity)
    )
    assert not missing, "Add a sentence to audit_log._SENTENCES for:\n" + "\n".join(missing)


def test_every_record_kind_the_code_writes_has_a_name():
    pairs, _ = _written()
    kinds = {entity for _, entity in pairs if entity}
    assert {"invoice", "payment_method", "session"} <= kinds
    missing = sorted(kind for kind in kinds if not audit_log.names_record_kind(kind))
    assert not missing, "Name these record kinds in audit_log:\n" + "\n".join(missing)
