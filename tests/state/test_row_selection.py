"""Row selection (state/paged_list.RowSelectionMixin): a box that ticks in the browser before
the server answers (components/records.quick_select_cell) starts again from the server's
selection when `selection_epoch` moves, so it moves whenever the selection changes other than
as the box was ticked: a refused tick, Clear; never for a tick the server took."""

from __future__ import annotations

from types import SimpleNamespace

from portal_app.pages.client.invoices import InvoiceSelectionState


def _selection(rows: list[int], selected: list[int], max_selected: int = 100):
    return SimpleNamespace(
        rows=[SimpleNamespace(id=i) for i in rows],
        selected_ids=list(selected),
        selection_epoch=0,
        MAX_SELECTED=max_selected,
    )


def _run(handler: str, state, *args) -> None:
    InvoiceSelectionState.event_handlers[handler].fn(state, *args)


def test_a_tick_and_an_untick_the_server_takes_keep_the_epoch():
    state = _selection([1, 2, 3], [])
    _run("toggle_selected", state, 2)
    assert state.selected_ids == [2]
    _run("toggle_selected", state, 2)
    assert state.selected_ids == []
    assert state.selection_epoch == 0


def test_a_tick_past_the_limit_is_refused_and_moves_the_epoch():
    state = _selection([1, 2, 3], [1, 2], max_selected=2)
    _run("toggle_selected", state, 3)
    assert state.selected_ids == [1, 2]
    assert state.selection_epoch == 1


def test_a_row_not_on_the_page_is_refused_and_moves_the_epoch():
    state = _selection([1, 2, 3], [1])
    _run("toggle_selected", state, 99)
    assert state.selected_ids == [1]
    assert state.selection_epoch == 1


def test_clear_empties_the_selection_and_moves_the_epoch():
    state = _selection([1, 2, 3], [1, 3])
    _run("clear_selection", state)
    assert state.selected_ids == []
    assert state.selection_epoch == 1


def test_clear_with_nothing_ticked_leaves_the_epoch():
    # Every list load and page turn clears the selection; with nothing ticked there is no
    # box to put back, and a moved epoch would remount every row's box for nothing.
    state = _selection([1, 2, 3], [])
    _run("clear_selection", state)
    assert state.selected_ids == []
    assert state.selection_epoch == 0
