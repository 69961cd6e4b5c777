"""Scoped record look-ups: ids from the browser that are not plausible ids find nothing."""

from __future__ import annotations

import pytest

from portal_app.services import credits, invoices, quotes
from portal_app.services.errors import NotFoundError
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
