"""`shown_after_load(var)`: true once `var` is and the page's load is over, set in a transition.

Reflex applies a state update from the server in one synchronous React render: when the answer
to a page's load signs the shell in and brings the page's data, the whole page (sidebar,
toolbar, table) mounts in one long main-thread task (~700 ms at Lighthouse's 4x CPU slowdown
on the invoice list). A condition on this var keeps its old branch (the spinner) until the
load's last update (`is_hydrated`), then mounts the new one in a React transition, which React
renders in short slices it may interrupt for input; only the commit stays one task.

Why only after the load: components read state through `useSyncExternalStore`, and a store
update that lands while a transition renders makes React render it all again synchronously,
the long task again. Once shown, the var stays true while `var` does (a reconnect that sets
`is_hydrated` false again does not hide the page).

The value is a hook in the component that reads it, written as a Var carrying the state vars'
own data (so the component imports the state contexts it reads); Reflex's hook collection is
an internal, hence this module.
"""

from __future__ import annotations

import hashlib

import reflex as rx
from reflex_base.vars import Var, VarData


def shown_after_load(var: Var[bool]) -> Var[bool]:
    """`var`, turned true only after the page's load, in a transition (see the module)."""
    hydrated = rx.State.is_hydrated  # type: ignore[attr-defined]
    # The JS expressions (an f-string of a Var would give a Var marker).
    value, loaded = str(var), str(hydrated)
    name = "shown_" + hashlib.sha256(value.encode()).hexdigest()[:12]
    hook = (
        f"const [{name}_latch, {name}_set] = useState(false);\n"
        f"useEffect(() => {{ if (!({value})) {{ {name}_set(false); }} "
        f"else if ({loaded}) {{ startTransition(() => {name}_set(true)); }} }}, "
        f"[{value}, {loaded}]);\n"
        f"const {name} = !!({value}) && {name}_latch;"
    )
    data = VarData.merge(
        var._get_all_var_data(),
        hydrated._get_all_var_data(),
        VarData(
            imports={"react": ["useState", "useEffect", "startTransition"]},
            hooks={hook: None},
        ),
    )
    return Var(_js_expr=name, _var_type=bool, _var_data=data)


def mounted_later(name: str) -> Var[bool]:
    """False when the component that reads it mounts, true right after, set in a transition.

    `rx.cond(mounted_later("..."), part)` mounts `part` in a commit of its own after the rest
    of the page it is in: what is below the fold of a large page (the statement's tables)
    leaves the first commit, which is one main-thread task, for a second one React renders in
    slices. The hook sits in the condition's own component, so it starts when that mounts
    (with the page's content), not when the page does. `name` names the var: one per use.
    """
    later = "later_" + hashlib.sha256(name.encode()).hexdigest()[:12]
    hook = (
        f"const [{later}, {later}_set] = useState(false);\n"
        f"useEffect(() => {{ startTransition(() => {later}_set(true)); }}, []);"
    )
    data = VarData(
        imports={"react": ["useState", "useEffect", "startTransition"]},
        hooks={hook: None},
    )
    return Var(_js_expr=later, _var_type=bool, _var_data=data)
