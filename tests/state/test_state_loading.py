"""An event loads and writes only the states it needs (issue 25).

Reflex's Redis state manager loads, with an event's own state chain, every state holding a
computed var that reads a var of a state in that chain, and writes each back. A page state's
computed var reading the shell's `api_base` or `lang` therefore made every event of every
signed-in page (staff pages too, under UiLanguageState) load that page's state from Redis.
These tests read Reflex's own bookkeeping (portal_app/reflex_ext/state_deps.py), not timings.
"""

from __future__ import annotations

from reflex.state import State

from portal_app.pages.client.invoice_detail import InvoiceDetailState
from portal_app.pages.client.invoices import InvoiceSelectionState, InvoicesState
from portal_app.pages.route_table import PAGES
from portal_app.reflex_ext.state_deps import all_states, ancestors, readers_of, states_loaded_for
from portal_app.state.portal import PortalState
from portal_app.state.staff import StaffState
from portal_app.state.ui_language import UiLanguageState

assert PAGES  # every page module imported: their states are in the tree


def _names(states) -> list[str]:
    return sorted(state.__name__ for state in states)


def test_an_invoice_page_event_loads_only_its_own_state_chain():
    loaded = states_loaded_for(InvoiceDetailState)

    assert _names(loaded - ancestors(InvoiceDetailState)) == []


def test_paging_the_invoice_list_loads_the_list_and_its_selection_only():
    # The selection's "pay selected" link reads the list's rows: loading it is needed.
    loaded = states_loaded_for(InvoicesState)

    assert _names(loaded - ancestors(InvoicesState)) == ["InvoiceSelectionState"]
    assert InvoiceSelectionState in loaded


def test_no_event_loads_another_pages_state():
    # Only the event's own chain and the states below its own state may come along.
    strays = {}
    for state in all_states(State):
        below = set(all_states(state))
        extra = states_loaded_for(state) - ancestors(state) - below
        if extra:
            strays[state.__name__] = _names(extra)

    assert strays == {}


def test_no_computed_var_reads_a_var_of_the_shared_shell():
    # A page needing api_base or lang builds the text in the browser (PortalState.api_base +
    # a path, `_()`) or sets a plain var in its handler, so new pages do not regress.
    for shell in (State, UiLanguageState, PortalState, StaffState):
        assert readers_of(shell) == {}, shell.__name__
