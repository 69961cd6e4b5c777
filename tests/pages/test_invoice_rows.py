"""The invoice list's rows depend on their own data only (issue 23 item 4): each row is one
memo component given its row and whether it is selected, and the selection is a state of its
own, so ticking a box re-renders one row and what shows the selection, not the whole list.
How fast that is, bench/click_to_screen.py measures; this checks the shape that makes it so."""

from __future__ import annotations

import re
from types import SimpleNamespace

from portal_app.core import routes
from portal_app.pages.client import invoices


def _row_elements(table_js: str) -> list[str]:
    """What the list's map makes per row: the element and its props (the arrow's body)."""
    return re.findall(r"=>\(jsx\((\w+),\{([^}]*)\}", table_js)


def test_each_invoice_row_is_one_component_given_its_row_and_selection():
    table = str(invoices._table())
    rows = _row_elements(table)
    assert len(rows) == 1, table
    element, props = rows[0]
    assert element.startswith("InvoiceRow")
    names = sorted(re.findall(r"(\w+):", props))
    assert names == ["epoch", "key", "row", "selected"]
    # Whether a row is ticked comes from the selection's own state, not the list's.
    selected = props.split("selected:", 1)[1]
    assert "invoice_selection_state.selected_ids" in selected
    assert "invoice_selection_state.selection_epoch" in props.split("epoch:", 1)[1]
    # The row's own markup (the checkbox's event, the cells) is not inlined into the list,
    # which would make every row render again whenever the list's state changes.
    assert "toggle_selected" not in table
    assert "invoice-row" not in table


def test_pay_selected_links_the_payable_ticked_rows_only():
    # Recomputed whenever the rows change: with nothing ticked it returns before the rows.
    href = invoices.InvoiceSelectionState.computed_vars["pay_selected_href"].fget
    rows = [SimpleNamespace(id=i, is_payable=i != 2) for i in (1, 2, 3)]
    assert href(SimpleNamespace(rows=rows, selected_ids=[])) == ""
    assert href(SimpleNamespace(rows=rows, selected_ids=[2])) == ""
    assert href(SimpleNamespace(rows=rows, selected_ids=[3, 2, 1])) == routes.pay_url([1, 3])
