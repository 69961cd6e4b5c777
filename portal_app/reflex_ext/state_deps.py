"""Which states Reflex loads from Redis for an event, from its own class-level bookkeeping.

Reflex 0.10 records, for each state var, the computed vars of other states that read it
(`BaseState._var_dependencies`) and marks those states "potentially dirty" for the var's
state (`_potentially_dirty_states`). Its Redis state manager then loads every such state
with the event's own state chain, whatever the event changes, and writes back each one it
loaded (`StateManagerRedis._get_required_state_classes`). A computed var of a page state that
reads a var of the shared shell (PortalState's `api_base`, UiLanguageState's `lang`) so made
every event of every page load and write that page's state too (issue 25).

This module only reads that bookkeeping, for the tests that keep the shell free of such
readers (tests/state/test_state_loading.py). Relies on: `_var_dependencies`,
`_get_potentially_dirty_states` and `StateManagerRedis._get_required_state_classes` of Reflex
0.10 (canary: tests/reflex_ext/test_state_deps.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reflex.istate.manager.redis import StateManagerRedis
from reflex.state import BaseState


def all_states(root: type[BaseState]) -> Iterator[type[BaseState]]:
    """`root` and every state class below it, parents first."""
    yield root
    for substate in root.get_substates():
        yield from all_states(substate)


def ancestors(state: type[BaseState]) -> set[type[BaseState]]:
    """`state` and its parents up to the root state (always loaded with it)."""
    chain: set[type[BaseState]] = set()
    current: type[BaseState] | None = state
    while current is not None:
        chain.add(current)
        current = current.get_parent_state()
    return chain


def states_loaded_for(state: type[BaseState]) -> set[type[BaseState]]:
    """The state classes Reflex's Redis state manager reads (and writes back) to run an
    event handler of `state`, computed by Reflex's own function."""

    class _Recurse:
        # _get_required_state_classes uses its instance only to call itself again.
        def _get_required_state_classes(self, *args: Any, **kwargs: Any) -> set[type[BaseState]]:
            return StateManagerRedis._get_required_state_classes(self, *args, **kwargs)  # type: ignore[arg-type]

    return _Recurse()._get_required_state_classes(state)


def readers_of(state: type[BaseState]) -> dict[str, set[tuple[str, str]]]:
    """The vars of `state` that computed vars of other states read: {var name: {(reader
    state's full name, computed var name)}}. Each reader is loaded with every event that
    loads `state`."""
    own = state.get_full_name()
    found: dict[str, set[tuple[str, str]]] = {}
    for var, readers in state._var_dependencies.items():
        others = {reader for reader in readers if reader[0] != own}
        if others:
            found[var] = others
    return found
