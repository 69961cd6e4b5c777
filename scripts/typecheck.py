"""Type-check portal_app with pyright ([tool.pyright] in pyproject.toml) in one run.

Fails (exit 1) on any error in a path listed as `strict` there (core/ and the payments package
so far); errors elsewhere, checked in basic mode, are only counted per package, because the
rest of the tree is brought in package by package. Usage, from the project folder with the venv
active: `python scripts/typecheck.py` (a table for the terminal) or `--markdown` (the table in
README.md's Development section).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_of(relative: str) -> str:
    """The package an error is counted under: services/<domain>, else the top-level module."""
    parts = relative.split("/")
    if len(parts) > 3 and parts[1] == "services":
        return "/".join(parts[:3])
    if len(parts) > 2:
        return "/".join(parts[:2])
    return relative


def main() -> int:
    markdown = "--markdown" in sys.argv[1:]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pyright"]
    strict = [path.rstrip("/") for path in config.get("strict", [])]
    # pyright exits 1 whenever it finds an error; the decision is made below.
    run = subprocess.run(  # noqa: S603 - fixed command, no user input
        ["pyright", "--outputjson"],  # noqa: S607 - the venv's pyright, put on PATH by activate
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout, run.stderr, sep="\n", file=sys.stderr)
        print("pyright did not run", file=sys.stderr)
        return 2
    counts: Counter[str] = Counter()
    strict_errors: list[str] = []
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        relative = Path(diagnostic["file"]).resolve().relative_to(ROOT).as_posix()
        if any(relative == path or relative.startswith(path + "/") for path in strict):
            line = diagnostic["range"]["start"]["line"] + 1
            strict_errors.append(f"{relative}:{line}: {diagnostic['message']}")
            continue
        counts[package_of(relative)] += 1

    if markdown:
        print("| package (basic mode) | errors |")
        print("| --- | ---: |")
        for package, count in sorted(counts.items()):
            print(f"| `{package}` | {count} |")
        print(f"| **total** | {sum(counts.values())} |")
    else:
        for package, count in sorted(counts.items()):
            print(f"{count:6d}  {package}")
        print(f"{sum(counts.values()):6d}  errors outside the strict paths (reported, not failing)")
    for error in strict_errors:
        print(error, file=sys.stderr)
    print(f"strict ({', '.join(strict)}): {len(strict_errors)} errors", file=sys.stderr)
    return 1 if strict_errors else 0


if __name__ == "__main__":
    sys.exit(main())
