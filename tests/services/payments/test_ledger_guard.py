"""Money moves only through services/payments/ledger.py: no other module writes a balance, a
paid or applied or refunded amount of an existing row (the whole class of lost-update and
double-spend bugs came from code that did)."""

from __future__ import annotations

import ast
from pathlib import Path

import portal_app

MONEY_COLUMNS = {
    "balance_minor",
    "paid_to_date_minor",
    "applied_minor",
    "refunded_minor",
    "voided_minor",
    "held_minor",
}
ROOT = Path(portal_app.__file__).parent
LEDGER = ROOT / "services" / "payments" / "ledger.py"
# Where a money column is set on a row that holds no money yet: a document's totals computed
# from its lines while it is new or a draft (nothing can have been paid on it); and the demo
# seed, which writes a made-up history as it would have happened (tests/demo/test_seed.py
# checks the ledger rules hold on it).
ALLOWED = {
    ("services/billing/invoice_math.py", "apply_totals"),
    ("services/billing/staff_records.py", "_apply"),
    ("demo/seed.py", "_make_invoice"),
    ("demo/seed.py", "_make_credit"),
    ("demo/seed.py", "_seed_payments_and_credits"),
}


def _writes(path: Path) -> list[tuple[str, int, str]]:
    """(function, line, column) of every assignment to a money column, and every
    `.values(column=...)` of an UPDATE, in one module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            targets: list[ast.expr] = []
            if isinstance(child, ast.Assign):
                targets = list(child.targets)
            elif isinstance(child, ast.AugAssign | ast.AnnAssign):
                targets = [child.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in MONEY_COLUMNS:
                    found.append((name, child.lineno, target.attr))
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "values"
            ):
                for keyword in child.keywords:
                    if keyword.arg in MONEY_COLUMNS:
                        found.append((name, child.lineno, keyword.arg))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_only_the_ledger_writes_money_columns():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if path == LEDGER:
            continue
        relative = path.relative_to(ROOT).as_posix()
        for function, line, column in _writes(path):
            if (relative, function) not in ALLOWED:
                offenders.append(f"{relative}:{line} {function}() writes {column}")
    assert offenders == [], "money moves outside the ledger:\n" + "\n".join(offenders)


def test_the_guard_sees_a_write(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def pay(invoice, amount):\n"
        "    invoice.balance_minor -= amount\n"
        "    session.exec(update(Credit).values(balance_minor=0))\n"
    )
    assert _writes(sample) == [("pay", 2, "balance_minor"), ("pay", 3, "balance_minor")]
