"""A cheap fingerprint of a client's money records, to notice changes made elsewhere."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import bindparam, func, literal, select, true, union_all
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from portal_app.models import Invoice, Payment
from portal_app.services.billing.client_stamp import (
    INVOICES_PART,
    PAYMENTS_PART,
    STAMP_COLUMNS,
    stamp_text,
)
from portal_app.services.identity.actor import Actor

ClientKey = tuple[int, int]  # (company_id, client_id)
# Clients per query: keeps the IN list of one batch within what every database takes well.
BATCH = 500

# Both tables in one round trip, built once (every live page load asks): part 0 is invoices,
# part 2 payments, each (part, company_id, client_id, latest updated_at, row count).
_STAMP_QUERY = union_all(
    *(
        select(
            literal(offset).label("part"),
            col(model.company_id),
            col(model.client_id),
            func.max(model.updated_at).label("latest"),
            func.count().label("rows"),
        )
        .where(col(model.client_id).in_(bindparam("client_ids", expanding=True)))
        .group_by(col(model.company_id), col(model.client_id))
        for offset, model in ((0, Invoice), (2, Payment))
    )
)


# One client's stamp (every live page load reads it): both tables' parts in one row, one
# round trip (services/billing/client_stamp.py, which other statements also join).
_ONE_CLIENT_QUERY = select_rows(*STAMP_COLUMNS).select_from(
    INVOICES_PART.join(PAYMENTS_PART, true())
)


def ledger_stamp(session: Session, *, actor: Actor) -> str:
    """Changes whenever one of the client's invoices or payments changes (e.g. by a webhook);
    equal to this client's `ledger_stamps` entry, which the worker's poll compares it with."""
    row = session.exec(
        _ONE_CLIENT_QUERY,
        params={"client_id": actor.client_id, "company_id": actor.company_id},
    ).one()
    return stamp_text(row)


def ledger_stamps(session: Session, *, clients: Collection[ClientKey]) -> dict[ClientKey, str]:
    """`ledger_stamp` of many clients at once (one grouped query per BATCH clients), for the
    worker's shared ledger poll; each key is (company_id, client_id) and only rows of that
    company and client count."""
    wanted = set(clients)
    found: dict[ClientKey, list[object]] = {key: [None, 0, None, 0] for key in wanted}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), BATCH):
        client_ids = sorted({client_id for _, client_id in ordered[start : start + BATCH]})
        # sqlmodel's exec() is typed for single SELECTs only; it runs this UNION all the same.
        rows = cast(
            "Iterable[tuple[int, int, int, datetime | None, int]]",
            session.exec(  # pyright: ignore[reportCallIssue]
                _STAMP_QUERY,  # pyright: ignore[reportArgumentType]
                params={"client_ids": client_ids},
            ),
        )
        for offset, company_id, client_id, latest, count in rows:
            if (company_id, client_id) in found:
                found[(company_id, client_id)][offset : offset + 2] = [latest, count]
    return {key: stamp_text(parts) for key, parts in found.items()}
