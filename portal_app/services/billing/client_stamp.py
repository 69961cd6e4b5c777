"""One client's ledger stamp as parts of a statement (services/payments/ledger_stamp.py).

The stamp is the latest `updated_at` and the row count of the client's invoices and of its
payments. Its two subqueries live here, below the payments package, so that a statement of
billing's that a page reads anyway can carry the stamp along (the invoice page's invoice:
`invoices.open_invoice_with_stamp`) instead of a round trip of its own; `ledger_stamp` runs
them alone. Both bind `company_id` and `client_id`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, bindparam, func, select

from portal_app.models import Invoice, Payment


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


# Plain `client_id = :client_id` parameters, so a statement's SQL is compiled once and taken
# from the cache; table columns, not the ORM's (issue 25).
INVOICES_PART = _one_client_part(Invoice.__table__)  # type: ignore[attr-defined]
PAYMENTS_PART = _one_client_part(Payment.__table__)  # type: ignore[attr-defined]
# The stamp's four values in the order `stamp_text` joins them.
STAMP_COLUMNS = (
    INVOICES_PART.c.latest,
    INVOICES_PART.c.rows,
    PAYMENTS_PART.c.latest.label("payments_latest"),
    PAYMENTS_PART.c.rows.label("payments_rows"),
)


def stamp_text(parts: Iterable[object]) -> str:
    """The stamp from the four values of STAMP_COLUMNS (or of a row of the same order)."""
    return "|".join(str(part) for part in parts)
