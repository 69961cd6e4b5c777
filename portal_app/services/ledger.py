"""A cheap fingerprint of a client's money records, to notice changes made elsewhere."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, literal, union_all
from sqlmodel import Session, col, select

from portal_app.models import Invoice, Payment
from portal_app.services.actor import Actor

ClientKey = tuple[int, int]  # (company_id, client_id)
# Clients per query: keeps the IN list of one batch within what every database takes well.
BATCH = 500


def ledger_stamp(session: Session, *, actor: Actor) -> str:
    """Changes whenever one of the client's invoices or payments changes (e.g. by a webhook)."""
    key = (actor.company_id, actor.client_id)
    return ledger_stamps(session, clients=[key])[key]


def ledger_stamps(session: Session, *, clients: Collection[ClientKey]) -> dict[ClientKey, str]:
    """`ledger_stamp` of many clients at once (one grouped query per BATCH clients), for the
    worker's shared ledger poll; each key is (company_id, client_id) and only rows of that
    company and client count."""
    wanted = set(clients)
    found: dict[ClientKey, list[object]] = {key: [None, 0, None, 0] for key in wanted}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), BATCH):
        client_ids = {client_id for _, client_id in ordered[start : start + BATCH]}
        # Both tables in one round trip: the page loads that watch the ledger ask too.
        parts = [
            select(
                literal(offset).label("part"),
                model.company_id,
                model.client_id,
                func.max(model.updated_at).label("latest"),
                func.count().label("rows"),
            )
            .where(col(model.client_id).in_(client_ids))
            .group_by(model.company_id, model.client_id)
            for offset, model in ((0, Invoice), (2, Payment))
        ]
        for offset, company_id, client_id, latest, count in session.exec(union_all(*parts)):
            if (company_id, client_id) in found:
                found[(company_id, client_id)][offset : offset + 2] = [latest, count]
    return {key: "|".join(str(part) for part in parts) for key, parts in found.items()}
