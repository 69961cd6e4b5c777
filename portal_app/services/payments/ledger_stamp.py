"""A cheap fingerprint of a client's money records, to notice changes made elsewhere."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, literal, select, true, union_all
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from portal_app.models import Invoice, Payment
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


def _one_client_part(table: Table):
    """(latest updated_at, row count) of one client's rows of `table`: always one row."""
    return (
        select(func.max(table.c.updated_at).label("latest"), func.count().label("rows"))
        .where(
            table.c.client_id == bindparam("client_id"),
            table.c.company_id == bindparam("company_id"),
        )
        .subquery()
    )


# One client's stamp (every live page load reads it): plain `client_id = :client_id`
# parameters, so the statement's SQL is compiled once and taken from the cache; an expanding
# IN list is rendered anew at every execution (issue 25). Table columns, not the ORM's: a Core
# statement skips the ORM's compile and result set-up. One row, both tables, one round trip.
_INVOICES = _one_client_part(Invoice.__table__)  # type: ignore[attr-defined]
_PAYMENTS = _one_client_part(Payment.__table__)  # type: ignore[attr-defined]
_ONE_CLIENT_QUERY = select_rows(
    _INVOICES.c.latest, _INVOICES.c.rows, _PAYMENTS.c.latest, _PAYMENTS.c.rows
).select_from(_INVOICES.join(_PAYMENTS, true()))


def ledger_stamp(session: Session, *, actor: Actor) -> str:
    """Changes whenever one of the client's invoices or payments changes (e.g. by a webhook);
    equal to this client's `ledger_stamps` entry, which the worker's poll compares it with."""
    row = session.exec(
        _ONE_CLIENT_QUERY,
        params={"client_id": actor.client_id, "company_id": actor.company_id},
    ).one()
    return "|".join(str(part) for part in row)


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
    return {key: "|".join(str(part) for part in parts) for key, parts in found.items()}
