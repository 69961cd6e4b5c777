"""Scoped record look-ups: ids from the browser that are not plausible ids find nothing."""

from __future__ import annotations

import pytest

from portal_app.core.errors import NotFoundError
from portal_app.core.paging import fetch_page, sort_order
from portal_app.models import Invoice
from portal_app.services.billing import credits, invoices, quotes
from tests.helpers.quotes import add_quote


@pytest.mark.parametrize("bad_id", [0, -1, True, 2**31, 2**63, 10**30, "1", 1.0, None])
def test_implausible_ids_are_not_found_on_every_database(make, session, bad_id):
    client = make.client(make.company())
    actor = make.actor(make.contact(client))
    make.invoice(client)
    add_quote(session, client, number=f"Q-{client.id}")
    for lookup in (invoices.get_client_invoice, quotes.get_client_quote, credits.get_client_credit):
        with pytest.raises(NotFoundError):
            lookup(session, actor=actor, **{_arg(lookup): bad_id})


def _arg(lookup) -> str:
    return {
        invoices.get_client_invoice: "invoice_id",
        quotes.get_client_quote: "quote_id",
        credits.get_client_credit: "credit_id",
    }[lookup]


def _client_with_invoices(make, count: int):
    client = make.client(make.company())
    for n in range(count):
        make.invoice(client, number=f"P-{n:03d}")
    return client


def _page(session, client, *, page: int, page_size: int = 3, cap: int = 1000, columns=None):
    return fetch_page(
        session,
        Invoice,
        where=Invoice.client_id == client.id,
        order=sort_order(Invoice.number, Invoice.id, descending=False),
        page=page,
        page_size=page_size,
        cap=cap,
        columns=columns,
    )


def test_a_page_carries_the_count_of_all_matches_and_whether_more_follow(make, session):
    client = _client_with_invoices(make, 7)
    _client_with_invoices(make, 2)  # another client's rows are not counted
    first = _page(session, client, page=1)
    assert [inv.number for inv in first.rows] == ["P-000", "P-001", "P-002"]
    assert isinstance(first.rows[0], Invoice)
    assert (first.total, first.total_is_capped, first.has_next) == (7, False, True)
    last = _page(session, client, page=3, columns=[Invoice.id, Invoice.number])
    assert [row.number for row in last.rows] == ["P-006"]
    assert (last.total, last.has_next) == (7, False)


def test_past_the_last_page_the_count_is_still_right(make, session):
    client = _client_with_invoices(make, 4)
    beyond = _page(session, client, page=9)
    assert (beyond.rows, beyond.total, beyond.has_next) == ([], 4, False)
    nobody = _page(session, make.client(make.company()), page=1)
    assert (nobody.rows, nobody.total) == ([], 0)


def test_the_count_stops_at_the_cap(make, session):
    client = _client_with_invoices(make, 6)
    capped = _page(session, client, page=1, cap=4)
    assert (capped.total, capped.total_is_capped) == (4, True)
    exact = _page(session, client, page=2, cap=6)
    assert (exact.total, exact.total_is_capped) == (6, False)
