"""The shell mounts a page's content in a transition once the page's load is over (issue 23)."""

from __future__ import annotations

import reflex as rx

from portal_app.layout import shell
from portal_app.reflex_ext.deferred import mounted_later, shown_after_load
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


def test_a_part_mounted_later_is_shown_after_its_condition_mounts():
    later = mounted_later("statement views")
    hooks = _hooks(later)
    # False on the first render, set once mounted (an effect without dependencies), in a
    # transition, and named by its use.
    assert f"const [{later!s}, {later!s}_set] = useState(false);" in hooks
    assert f"useEffect(() => {{ startTransition(() => {later!s}_set(true)); }}, []);" in hooks
    assert str(mounted_later("other part")) != str(later)


def test_the_statement_mounts_its_tables_after_the_rest_of_its_content():
    from portal_app.pages.client import statement

    page = str(statement.statement_page().render())
    later = str(mounted_later(statement.VIEWS_LATER))
    assert later in page
    # The tables are inside that condition, the controls and the PDF button are not.
    assert page.index(later) < page.index("statement-closing")
    assert page.index("statement-preset") < page.index(later)
