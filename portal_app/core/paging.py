"""Queries shared by the client record services: one page of rows with a capped count, and
one record by id within the actor's scope.

The callers build the scoped WHERE clause and the ORDER BY themselves (that is where the
rules are); this module only fetches one page plus one row (to know whether a next page
exists) and counts the matches up to a cap, so a huge list never costs a full count.

Keyset paging (`fetch_keyset_page`): a page next to one already shown starts from that
page's boundary row ("the rows after this key") instead of skipping OFFSET rows, so page
4,000 costs what page 2 costs; the last page is the first page of the reversed order. The
boundary keys travel as opaque strings (`PageSlice.first_key` / `last_key`); a key that does
not decode, or belongs to another sort, is ignored and the page is found by OFFSET.

Counts kept (`LIST_COUNTS`): numbering the last page takes an exact count of the list, the
one cost of a keyset page that grows with the list (issue 23 item 6). A caller that can name
everything the count depends on, including a fingerprint of the rows read in the same
database session before the page (the client's ledger stamp), passes that as `count_key`:
the count is then taken once per key in this process and reused, and any change to the rows
makes a new key.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import Integer, bindparam, func, literal_column, tuple_
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from portal_app.core.errors import NotFoundError

PAGE_SIZES = (10, 25, 50, 100)
COUNT_CAP = 1000
# Lists whose count a process keeps (one entry is a key and two ints: well under 1 MB).
KEPT_COUNTS = 4096


@dataclass(frozen=True, slots=True)
class KeptCount:
    """A list's count as taken: `exact`, or only known to be more than the cap (`total` is
    then cap + 1)."""

    total: int
    exact: bool


class CountCache:
    """List counts by key, the least recently used forgotten beyond `limit`. Thread-safe (a
    worker's handlers and the benchmarks' threads share it); nothing in it is ever stale by
    itself: a key names what its count depends on (see `fetch_keyset_page`)."""

    def __init__(self, limit: int = KEPT_COUNTS):
        self._limit = limit
        self._counts: OrderedDict[Hashable, KeptCount] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> KeptCount | None:
        """The count kept under `key`, or None."""
        with self._lock:
            kept = self._counts.get(key)
            if kept is not None:
                self._counts.move_to_end(key)
            return kept

    def put(self, key: Hashable, kept: KeptCount) -> None:
        """Keep `kept` under `key`; an exact count never gives way to a capped one."""
        with self._lock:
            old = self._counts.get(key)
            if old is not None and old.exact and not kept.exact:
                kept = old
            self._counts[key] = kept
            self._counts.move_to_end(key)
            while len(self._counts) > self._limit:
                self._counts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._counts)


LIST_COUNTS = CountCache()


@dataclass(frozen=True, slots=True)
class PageSlice:
    """The rows of one page, whether another follows, and the count (at most the cap)."""

    rows: list[Any]
    has_next: bool
    total: int
    total_is_capped: bool
    # The page number these rows are (a "last page" request learns it from the count).
    page: int = 1
    # Keys of the first and last row (KeysetOrder.key_of), for the pages either side.
    first_key: str = ""
    last_key: str = ""


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
    params: Mapping[str, Any] | None = None,
) -> PageSlice:
    """Page `page` (from 1) of `model` rows matching `where` in `order`, and their count
    capped at `cap` (`total_is_capped` when there are more).

    With `columns`, the rows are plain named tuples of those columns instead of ORM objects:
    far cheaper to load when the caller only formats a few fields. `params`: the values of
    the bind parameters in `where` (see `fetch_keyset_page`).
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
        statement.where(where).order_by(*order).offset((page - 1) * page_size).limit(page_size + 1),
        params=params,
    ).all()
    # Past the last page no row carried the count: ask for it alone.
    total: int = found[0][-1] if found else session.exec(count, params=params).one()
    rows = [row if columns else row[0] for row in found[:page_size]]
    return PageSlice(
        rows=rows,
        has_next=len(found) > page_size,
        total=min(total, cap),
        total_is_capped=total > cap,
        page=page,
    )


def sort_order(column: Any, id_column: Any, *, descending: bool) -> list[Any]:
    """ORDER BY `column` then the id (a stable order for paging), both one way."""
    if descending:
        return [col(column).desc(), col(id_column).desc()]
    return [col(column).asc(), col(id_column).asc()]


@dataclass(frozen=True, slots=True)
class KeysetOrder:
    """A list order for keyset paging: `column`, then `id_column`, both one way.

    A nullable column's NULLs come after every value in both directions (on SQLite and
    PostgreSQL alike, whose own NULL orders differ), ordered by id among themselves.
    `name` ties a page key to the sort it was made for.
    """

    name: str
    column: Any
    id_column: Any
    descending: bool
    nullable: bool = False

    def order_by(self) -> list[Any]:
        """The ORDER BY of the whole list (what OFFSET paging and the export use)."""
        if not self.nullable:
            return sort_order(self.column, self.id_column, descending=self.descending)
        return [
            col(self.column).is_(None),
            *sort_order(self.column, self.id_column, descending=self.descending),
        ]

    def key_of(self, row: Any) -> str:
        """The opaque key of `row` (an ORM object or a row with both columns)."""
        value = getattr(row, self.column.key)
        row_id = getattr(row, self.id_column.key)
        payload = json.dumps([self.name, _tagged(value), row_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    def parse_key(self, key: str) -> tuple[Any, int] | None:
        """(value, id) from `key`; None for anything not made by key_of for this sort."""
        if not key or len(key) > 400:
            return None
        try:
            raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
            name, tagged, row_id = json.loads(raw)
            value = _untagged(tagged)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            return None
        if name != self.name or type(row_id) is not int or not 0 < row_id <= MAX_RECORD_ID:
            return None
        if value is None and not self.nullable:
            return None
        return value, row_id


def _tagged(value: Any) -> list[Any]:
    """A key value as JSON, its type kept: dates and times are not JSON types."""
    if value is None:
        return ["n"]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"no page key for {type(value).__name__}")
    return ["i" if isinstance(value, int) else "s", value]


def _untagged(tagged: Any) -> Any:
    """The value `_tagged` wrote; ValueError for anything else."""
    if not isinstance(tagged, list) or not tagged:
        raise ValueError("page key value")
    kind, *rest = cast("list[object]", tagged)
    if kind == "n" and not rest:
        return None
    if len(rest) != 1:
        raise ValueError("page key value")
    value = rest[0]
    if kind == "t" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind == "d" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "i" and type(value) is int and abs(value) < 2**63:
        return value
    if kind == "s" and isinstance(value, str):
        return value
    raise ValueError("page key value")


@dataclass(frozen=True, slots=True)
class _Segment:
    """Part of an order with one ORDER BY an index serves: the rows with a value, or (for a
    nullable column) those without, by id."""

    nulls: bool
    descending: bool


def _segments(order: KeysetOrder, *, reverse: bool) -> list[_Segment]:
    descending = order.descending != reverse
    if not order.nullable:
        return [_Segment(nulls=False, descending=descending)]
    both = [
        _Segment(nulls=False, descending=descending),
        _Segment(nulls=True, descending=descending),
    ]
    return both[::-1] if reverse else both


# The bind parameters of the statements below: where a page starts (the boundary row's sort
# value and id) and how many rows a query reads, so that one statement serves every page.
_KEY_VALUE = "page_key_value"
_KEY_ID = "page_key_id"
_LIMIT = "page_limit"
# Statements kept by shape (`fetch_keyset_page`'s `shape`): a list has a few dozen shapes
# (sort, direction, filter, search or not) of a few statements each; beyond, start over.
KEPT_STATEMENTS = 4096
_STATEMENTS: dict[Hashable, Any] = {}


def _kept(shape: Hashable | None, part: Hashable, build: Callable[[], Any]) -> Any:
    """`build()`, or with a `shape` the statement it built for the first call of this shape
    and part: the engine then finds its compiled SQL and result columns without building,
    hashing or adapting a statement (issue 25: that cost more than running it)."""
    if shape is None:
        return build()
    key = (shape, part)
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= KEPT_STATEMENTS:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = build()
    return statement


def _segment_query(order: KeysetOrder, segment: _Segment, *, from_key: bool):
    """(conditions, ORDER BY) for `segment`, past the key in the _KEY_ parameters when
    `from_key` (a key in this segment)."""
    conditions: list[Any] = []
    if segment.nulls:
        keys = [order.id_column]
        conditions.append(col(order.column).is_(None))
    else:
        keys = [order.column, order.id_column]
        if order.nullable:
            conditions.append(col(order.column).is_not(None))
    if from_key:
        # Each value bound with its column's type (dates as SQLite stores them).
        key_id = bindparam(_KEY_ID, type_=order.id_column.type)
        if segment.nulls:
            bound, value = col(order.id_column), key_id
        else:
            # A row value comparison, which both databases answer from the (client, column,
            # id) index: the seek that replaces OFFSET.
            bound = tuple_(order.column, order.id_column)
            value = tuple_(bindparam(_KEY_VALUE, type_=order.column.type), key_id)
        conditions.append(bound < value if segment.descending else bound > value)
    by = [col(k).desc() if segment.descending else col(k).asc() for k in keys]
    return conditions, by


def _count_statement(where: Any, id_column: Any, cap: int | None):
    """SELECT the number of rows matching `where`, counting at most cap + 1 (None: all)."""
    matching = select(id_column).where(where)
    if cap is not None:
        matching = matching.limit(cap + 1)
    return select(func.count()).select_from(matching.subquery())


def _walk_statement(
    shown: list[Any],
    where: Any,
    order: KeysetOrder,
    segment: _Segment,
    from_key: bool,
    count: Any | None,
) -> Any:
    """The query of one segment of `_walk` (see `_segment_query`), its limit a parameter,
    carrying the `count` statement's value when given."""
    conditions, by = _segment_query(order, segment, from_key=from_key)
    extra = [count.scalar_subquery().label("page_slice_total")] if count is not None else []
    # sqlmodel's select() is typed for a fixed handful of entities, not a list of them.
    statement = cast(
        "Select[*tuple[Any, ...]]",
        select(*shown, *extra),  # pyright: ignore[reportCallIssue]
    )
    limit = bindparam(_LIMIT, type_=Integer)
    return statement.where(where, *conditions).order_by(*by).limit(limit)


def _walk(
    session: Session,
    shown: list[Any],
    *,
    where: Any,
    order: KeysetOrder,
    reverse: bool,
    start: tuple[Any, int] | None,
    limit: int,
    count: tuple[Hashable, Any] | None,
    params: Mapping[str, Any] | None,
    shape: Hashable | None,
) -> tuple[list[Any], int | None]:
    """Up to `limit` rows in `order` (or its reverse) after `start` (from the beginning when
    None), and the value of the `count` statement (its kind, and the statement) carried by
    the first query that found rows (no count asked when `count` is None)."""
    rows: list[Any] = []
    total: int | None = None
    started = start is None
    whole = len(shown) == 1 and isinstance(shown[0], type)
    for segment in _segments(order, reverse=reverse):
        if not started and (start is not None and (start[0] is None) != segment.nulls):
            continue  # the key lies in a later segment
        from_key = not started
        started = True
        counted = count if total is None else None
        part = (
            order.name,
            order.descending,
            order.nullable,
            segment,
            from_key,
            counted[0] if counted else None,
        )
        statement: Select[*tuple[Any, ...]] = _kept(
            shape,
            part,
            partial(
                _walk_statement,
                shown,
                where,
                order,
                segment,
                from_key,
                counted[1] if counted else None,
            ),
        )
        values = {**params} if params else {}
        values[_LIMIT] = limit - len(rows)
        if start is not None and from_key:
            values[_KEY_ID] = start[1]
            if not segment.nulls:
                values[_KEY_VALUE] = start[0]
        # Plain columns go through Core: rows as named tuples, without the ORM's per-query
        # set-up and identity map (a list page only formats them).
        found: Sequence[Any] = (
            session.exec(statement, params=values).all()
            if whole
            else session.connection().execute(statement, values).all()
        )
        if found and counted:
            total = found[0][-1]
        rows.extend(found)
        if len(rows) >= limit:
            break
    return rows, total


def fetch_keyset_page(
    session: Session,
    *,
    where: Any,
    order: KeysetOrder,
    columns: list[Any],
    page: int,
    page_size: int,
    cap: int,
    after: str = "",
    before: str = "",
    last: bool = False,
    count_key: Hashable | None = None,
    counts: CountCache = LIST_COUNTS,
    params: Mapping[str, Any] | None = None,
    shape: Hashable | None = None,
) -> PageSlice:
    """Page `page` (from 1) of the rows of `columns` matching `where` in `order`.

    How the page is found, cheapest first: `last` is the first page of the reversed order,
    numbered from an exact count; `after` (the last key of page - 1) and `before` (the first
    key of page + 1) seek from a neighbour's boundary row; otherwise page 1 is the start and
    any other page is found by OFFSET. A key that does not parse is no key. The count is
    capped at `cap` as in `fetch_page`, except for `last`, which must know where it is.
    `rows` are named tuples of `columns` (which must include the order's two columns), or
    the ORM objects when `columns` is `[Model]`.

    `count_key` (None: count every time) names this list's count in `counts`: it must change
    whenever the number of rows matching `where` may have (the caller puts in it the scope,
    the filter, and a fingerprint of the rows read in this database session before this
    call). A kept count spares the count query: on the last page, the exact count, the only
    part of a keyset page that grows with the list.

    `params`: the values of bind parameters in `where` (the actor's ids, say). `shape` (None:
    statements built for this call alone) names `where` and `columns` apart from `params`:
    every call with the same shape must pass the same SQL, so that the statements built for
    its first call (per order, way and count) serve it again. The key and the limit are this
    module's own parameters (never names in `params`: page_*).
    """
    whole = len(columns) == 1 and isinstance(columns[0], type)
    model_id = order.id_column
    kept = counts.get((count_key, cap)) if count_key is not None else None

    def count_of(limit: int | None) -> tuple[Hashable, Any]:
        kind = ("count", limit)
        return kind, _kept(shape, kind, partial(_count_statement, where, model_id, limit))

    def counted_alone(count: tuple[Hashable, Any]) -> int:
        statement: SelectOfScalar[int] = count[1]
        return session.exec(statement, params=params).one()

    def keep(total: int, *, exact: bool) -> None:
        if count_key is not None:
            counts.put((count_key, cap), KeptCount(total=total, exact=exact or total <= cap))

    def walk(*, reverse: bool, start: tuple[Any, int] | None, limit: int, count: Any):
        return _walk(
            session,
            columns,
            where=where,
            order=order,
            reverse=reverse,
            start=start,
            limit=limit,
            count=count,
            params=params,
            shape=shape,
        )

    if last:
        known = kept.total if kept is not None and kept.exact else None
        exact = count_of(None)
        found, total = walk(
            reverse=True, start=None, limit=page_size, count=exact if known is None else None
        )
        if known is not None:
            total = known
        elif total is None:
            total = counted_alone(exact)
        keep(total, exact=True)
        last_page = max(1, -(-total // page_size))
        rows = _unwrap(list(reversed(found[: total - (last_page - 1) * page_size])), whole)
        return _slice(order, rows, has_next=False, total=total, cap=total, page=last_page)
    start_after = order.parse_key(after) if page > 1 else None
    start_before = order.parse_key(before) if page > 1 and start_after is None else None
    count = count_of(cap) if kept is None else None
    if start_before is not None:
        found, total = walk(reverse=True, start=start_before, limit=page_size, count=count)
        rows = _unwrap(list(reversed(found)), whole)
        has_next = True  # the row the key names follows
    elif start_after is not None or page == 1:
        found, total = walk(reverse=False, start=start_after, limit=page_size + 1, count=count)
        rows, has_next = _unwrap(found[:page_size], whole), len(found) > page_size
    else:
        offset = fetch_page(
            session,
            order.column.class_,
            where=where,
            order=order.order_by(),
            page=page,
            page_size=page_size,
            cap=cap,
            columns=None if whole else columns,
            params=params,
        )
        return _slice(
            order,
            offset.rows,
            has_next=offset.has_next,
            total=offset.total,
            cap=cap,
            page=page,
            capped=offset.total_is_capped,
        )
    if kept is not None:
        total = kept.total
    elif total is None:  # no row carried the count: ask for it alone
        total = counted_alone(count or count_of(cap))
    if kept is None:
        keep(total, exact=False)
    return _slice(order, rows, has_next=has_next, total=total, cap=cap, page=page)


def _unwrap(rows: list[Any], whole: bool) -> list[Any]:
    """The ORM objects of `rows` when the query selected whole objects, else the rows."""
    return [row[0] for row in rows] if whole else rows


def _slice(
    order: KeysetOrder,
    rows: list[Any],
    *,
    has_next: bool,
    total: int,
    cap: int,
    page: int,
    capped: bool | None = None,
) -> PageSlice:
    return PageSlice(
        rows=rows,
        has_next=has_next,
        total=min(total, cap),
        total_is_capped=total > cap if capped is None else capped,
        page=page,
        first_key=order.key_of(rows[0]) if rows else "",
        last_key=order.key_of(rows[-1]) if rows else "",
    )


def contains_pattern(text: str) -> str:
    """The LIKE pattern of `contains_text`: `text` anywhere, its % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(column: Any, text: str | BindParameter[str]):
    """SQL: `column` contains `text`, case-insensitively; typed % and _ match literally. A
    bind parameter for `text` (a statement built once) takes `contains_pattern(text)`."""
    pattern = contains_pattern(text) if isinstance(text, str) else text
    return col(column).ilike(pattern, escape="\\")


# Plain lower-case words (status values): what `constant_in` writes into SQL as it is.
_WORD = re.compile(r"[a-z_]{1,40}")


def constant_in(column: Any, values: Iterable[str]):
    """SQL: `column` IN a fixed list of plain words (statuses), written into the SQL itself:
    a list of values would be a parameter the engine writes out anew on every execution.
    ValueError for anything but plain lower-case words."""
    words = [str(value) for value in values]
    if not words or not all(_WORD.fullmatch(word) for word in words):
        raise ValueError("constant_in takes plain lower-case words")
    return col(column).in_([literal_column(f"'{word}'") for word in words])


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
