"""The shell mounts a page's content in a transition once the page's load is over (issue 23)."""

from __future__ import annotations

import reflex as rx

from portal_app.layout import shell
from portal_app.reflex_ext.deferred import shown_after_load
from portal_app.state.portal import PortalState


def _hooks(var: rx.Var) -> str:
    data = var._get_all_var_data()
    assert data is not None
    return "\n".join(data.hooks)


def test_the_var_turns_true_in_a_transition_after_the_load():
    shown = shown_after_load(PortalState.signed_in)
    hooks = _hooks(shown)
    # Set only once the page's last update (is_hydrated) came, in a transition...
    assert "is_hydrated_rx_state_" in hooks
    assert "startTransition(" in hooks
    # ...and false at once when signed out.
    assert f"const {shown!s} = !!(" in hooks
    assert "signed_in_rx_state_" in hooks


def test_the_shell_shows_content_and_navigation_through_it():
    expected = str(shown_after_load(PortalState.signed_in))
    assert str(shell._signed_in()) == expected
    # The content's condition, and the navigation's in the sidebar and in the phone drawer.
    page = str(shell.portal_shell(rx.text("page")).render())
    assert page.count(expected) == 3
    assert expected in str(shell._nav().render())
