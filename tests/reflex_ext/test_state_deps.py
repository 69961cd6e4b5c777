"""Canary for reflex_ext/state_deps.py: Reflex still loads, with an event's state, the states
whose computed vars read its vars (the bookkeeping the issue 25 tests rely on)."""

from __future__ import annotations

import reflex as rx

from portal_app.reflex_ext.state_deps import ancestors, readers_of, states_loaded_for


# Registered in Reflex's state tree for the whole test process: keep them a parent and its
# own substate only.
class DepsCanaryParent(rx.State):
    amount: int = 0


class DepsCanaryReader(DepsCanaryParent):
    @rx.var
    def doubled(self) -> int:
        return self.amount * 2


def test_a_computed_var_reading_a_parent_var_is_loaded_with_every_parent_event():
    reader = DepsCanaryReader.get_full_name()

    assert readers_of(DepsCanaryParent) == {"amount": {(reader, "doubled")}}
    # Loaded (and written back) with every event of the parent and of any of its substates
    # (a page's shell): not a sibling here, so tests/state/test_state_loading.py, run in the
    # same process, sees no stray.
    assert DepsCanaryReader in states_loaded_for(DepsCanaryParent)


def test_a_state_without_readers_loads_only_its_chain():
    assert readers_of(DepsCanaryReader) == {}
    assert states_loaded_for(DepsCanaryReader) == ancestors(DepsCanaryReader)
