"""Queries shared by the client record services: one page of rows with a capped count, and
one record by id within the actor's scope.

The callers build the scoped WHERE clause and the ORDER BY themselves (that is where the
rules are); this module only fetches one page plus one row (to know whether a next page
exists) and counts the matches up to a cap, so a huge list never costs a full count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from portal_app.core.errors import NotFoundError

PAGE_SIZES = (10, 25, 50, 100)
COUNT_CAP = 1000


@dataclass(frozen=True, slots=True)
class PageSlice:
    """The rows of one page, whether another follows, and the count (at most the cap)."""

    rows: list[Any]
    has_next: bool
    total: int
    total_is_capped: bool


def fetch_page(
    session: Session,
    model: Any,
    *,
    where: Any,
    order: list[Any],
    page: int,
    page_size: int,
    cap: int,
    columns: list[Any] | None = None,
) -> PageSlice:
    """Page `page` (from 1) of `model` rows matching `where` in `order`, and their count
    capped at `cap` (`total_is_capped` when there are more).

    With `columns`, the rows are plain named tuples of those columns instead of ORM objects:
    far cheaper to load when the caller only formats a few fields.
    """
    capped = select(model.id).where(where).limit(cap + 1).subquery()
    count = select(func.count()).select_from(capped)
    # The capped count rides along with the page as a one-off subquery: one round trip.
    shown: list[Any] = [*columns] if columns else [model]
    # sqlmodel's select() is typed for a fixed handful of entities, not a list of them.
    statement = cast(
        "Select[*tuple[Any, ...]]",
        select(*shown, count.scalar_subquery().label("page_slice_total")),  # pyright: ignore[reportCallIssue]
    )
    found = session.exec(
        statement.where(where).order_by(*order).offset((page - 1) * page_size).limit(page_size + 1)
    ).all()
    # Past the last page no row carried the count: ask for it alone.
    total: int = found[0][-1] if found else session.exec(count).one()
    rows = [row if columns else row[0] for row in found[:page_size]]
    return PageSlice(
        rows=rows,
        has_next=len(found) > page_size,
        total=min(total, cap),
        total_is_capped=total > cap,
    )


def sort_order(column: Any, id_column: Any, *, descending: bool) -> list[Any]:
    """ORDER BY `column` then the id (a stable order for paging), both one way."""
    if descending:
        return [col(column).desc(), col(id_column).desc()]
    return [col(column).asc(), col(id_column).asc()]


def contains_text(column: Any, text: str):
    """SQL: `column` contains `text`, case-insensitively; typed % and _ match literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return col(column).ilike(f"%{escaped}%", escape="\\")


# Ids are 32-bit integer columns; a bigger id from the browser would make PostgreSQL raise
# instead of finding nothing.
MAX_RECORD_ID = 2**31 - 1


def get_scoped(session: Session, model: Any, *, scope: Any, record_id: object, noun: str):
    """The `model` row with this id that also matches `scope` (the actor's conditions).

    NotFoundError(noun) for an id that is not a positive int (bools too) or is beyond the id
    column's range, and for a row that is missing or outside the scope, so another client's
    record looks exactly like no record.
    """
    if (
        not isinstance(record_id, int)
        or isinstance(record_id, bool)
        or not 0 < record_id <= MAX_RECORD_ID
    ):
        raise NotFoundError(noun)
    row = session.exec(select(model).where(scope, model.id == record_id)).first()
    if row is None:
        raise NotFoundError(noun)
    return row


# ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
_PLAIN_ID = re.compile(r"[0-9]{1,12}")


def parse_record_id(raw: object, what: str) -> int:
    """A record id from a URL or the browser; NotFoundError(what) unless it is a plain number."""
    text = str(raw if raw is not None else "").strip()
    if not _PLAIN_ID.fullmatch(text) or int(text) <= 0:
        raise NotFoundError(what)
    return int(text)
