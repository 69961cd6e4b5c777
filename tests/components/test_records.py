"""List rows as plain elements with Radix Themes' classes (issue 23 item 4)."""

from __future__ import annotations

import reflex as rx

from portal_app.components import records
from portal_app.pages.client import dashboard, invoices, statement
from portal_app.pages.client.invoices import InvoiceSelectionState

RADIX_PER_ROW = ("RadixThemesCheckbox", "RadixThemesLink", "RadixThemesBadge", "RadixThemesTable")


def test_the_quick_select_box_is_a_native_checkbox_keyed_by_the_epoch():
    row_id = rx.Var.create(7)
    cell = str(
        records.quick_select_cell(
            InvoiceSelectionState,
            row_id,
            "Select invoice 7",
            rx.Var.create(False),
            InvoiceSelectionState.selection_epoch,
        ).render()
    )
    assert '"input"' in cell
    assert 'type:"checkbox"' in cell
    assert "defaultChecked" in cell
    assert "selection_epoch" in cell  # in its key
    assert "toggle_selected" in cell
    assert "RadixThemesCheckbox" not in cell


def test_row_link_and_badge_carry_radix_classes_without_radix_components():
    link = str(records.row_link("INV-1", "/client/invoices/1").render())
    assert "ReactRouterLink" in link
    assert "rt-Link" in link
    assert "RadixThemesLink" not in link
    badge = str(records.row_badge("Paid", "green").render())
    assert "rt-Badge" in badge
    assert '"data-accent-color":"green"' in badge
    assert "RadixThemesBadge" not in badge


def test_list_tables_render_no_radix_table_components():
    tables = [
        str(invoices._table().render()),
        str(dashboard._attention_row(dashboard.DashboardState.attention[0]).render()),
        str(statement._view(statement.StatementState.views[0]).render()),
    ]
    for rendered in tables:
        for name in RADIX_PER_ROW:
            assert name not in rendered
    assert "rt-TableRoot" in tables[0]


def test_the_list_filter_is_a_radio_group_of_native_radios_with_radix_classes():
    """Issue 23: the status filter is native radios in labels with the classes Radix's
    SegmentedControl draws, named as a group; no Radix toggle group in the list's render."""
    toolbar = str(
        records.list_toolbar(
            invoices.InvoicesState,
            filters={"all": "All", "unpaid": "Unpaid"},
            filter_label="Show invoices",
            sorts={"date": "Date"},
            search_label="Search",
            max_search=40,
        ).render()
    )
    assert "SegmentedControl.Root" not in toolbar
    assert "RadixThemesSegmentedControl" not in toolbar
    assert "rt-SegmentedControlRoot" in toolbar
    assert 'role:"radiogroup"' in toolbar
    assert '"aria-label":"Show invoices"' in toolbar
    assert toolbar.count('type:"radio"') == 2
    assert "set_status" in toolbar
