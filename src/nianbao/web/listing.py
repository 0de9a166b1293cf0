"""Sorting and keyset paging for the reports list (fast on page 1 and page 2,000 alike).

A page is found from a cursor, the sort value and id of the row it starts after (or ends
before), never with OFFSET, which reads and discards every row before the page. The cursor
travels as an opaque URL-safe token (``after=`` / ``before=``) that also carries the sort it
belongs to and the page number to show. Unknown values (a report without year or agency) sort
as the smallest value, so they come first ascending and last descending.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from nianbao.store import schema

R, A = schema.reports, schema.agencies


class CursorError(Exception):
    """A paging token that cannot be used (one line, Chinese)."""


@dataclass(frozen=True)
class SortKey:
    name: str
    label: str  # the column header, Chinese
    column: sa.ColumnElement[Any]
    kind: type  # int or str: what a cursor's value must be
    nullable: bool
    default_order: str  # the order a first click on the header gives


SORTS: dict[str, SortKey] = {s.name: s for s in (
    SortKey("agency", "机关", A.c.name, str, True, "asc"),
    SortKey("year", "年度", R.c.year, int, True, "desc"),
    SortKey("errors", "错误", R.c.errors, int, False, "desc"),
    SortKey("warnings", "警告", R.c.warnings, int, False, "desc"),
    SortKey("ingested", "入库时间", R.c.ingested_at, str, False, "desc"),
)}
DEFAULT_SORT = "agency"
ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class Cursor:
    """A position in one sort: the row (value, id) a page starts after or ends before."""

    sort: str
    order: str
    value: int | str | None
    id: int
    page: int  # the number of the page this cursor leads to
    before: bool = False  # True: the page ends before the row (上一页)

    def token(self) -> str:
        data = {"s": self.sort, "o": self.order, "v": self.value, "i": self.id, "p": self.page}
        if self.before:
            data["b"] = 1
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def read_token(token: str, sort: str, order: str, *, before: bool) -> Cursor:
    """The cursor in a paging token, checked against the sort it is used with."""
    bad = CursorError("翻页参数无效，请从第一页重新开始")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    if not isinstance(data, dict) or data.get("s") != sort or data.get("o") != order:
        raise CursorError("翻页参数与当前排序不符，请从第一页重新开始")
    key, value, row_id, page = SORTS[sort], data.get("v"), data.get("i"), data.get("p")
    value_ok = (value is None and key.nullable) or (type(value) is key.kind)  # bool is not an int here
    if not value_ok or type(row_id) is not int or type(page) is not int or page < 1:
        raise bad
    return Cursor(sort, order, value, row_id, page, before)


def _order_by(key: SortKey, ascending: bool) -> list[sa.ColumnElement[Any]]:
    # Explicit NULLS FIRST/LAST so PostgreSQL (nulls largest) agrees with SQLite (nulls smallest);
    # on SQLite this is its default order, so the list indexes still serve the sort.
    if ascending:
        column = key.column.asc().nulls_first() if key.nullable else key.column.asc()
        return [column, R.c.id.asc()]
    column = key.column.desc().nulls_last() if key.nullable else key.column.desc()
    return [column, R.c.id.desc()]


def _beyond(key: SortKey, ascending: bool, value: int | str | None, row_id: int) -> sa.ColumnElement[bool]:
    """Rows strictly after (value, row_id) in the order given (unknown values smallest)."""
    column, ident = key.column, R.c.id
    if ascending:
        if value is None:
            return sa.or_(sa.and_(column.is_(None), ident > row_id), column.is_not(None))
        return sa.or_(column > value, sa.and_(column == value, ident > row_id))
    if value is None:
        return sa.and_(column.is_(None), ident < row_id)
    later = [column < value, sa.and_(column == value, ident < row_id)]
    return sa.or_(*later, column.is_(None)) if key.nullable else sa.or_(*later)


@dataclass
class Page:
    rows: list[Any]
    page: int
    next: Cursor | None
    prev: Cursor | None


def fetch_page(conn: sa.Connection, query: sa.Select[Any], sort: str, order: str, per_page: int,
               cursor: Cursor | None = None) -> Page:
    """One page of ``query`` (a select over reports joined to agencies) in the given sort.

    Two steps: the page's ids and sort values first, from a narrow query an index can answer
    without reading the wide report rows (each carries its whole parse), then those rows.
    """
    key, ascending = SORTS[sort], order == "asc"
    backwards = cursor is not None and cursor.before
    walk = ascending != backwards  # 上一页 walks the other way from the cursor, then turns round
    narrow = query.with_only_columns(R.c.id, key.column.label("sort_value")).order_by(None)
    if cursor is not None:
        narrow = narrow.where(_beyond(key, walk, cursor.value, cursor.id))
    keys = list(conn.execute(narrow.order_by(*_order_by(key, walk)).limit(per_page + 1)).all())
    more, keys = len(keys) > per_page, keys[:per_page]
    if cursor is not None and cursor.before:
        if not more:  # reached the start (rows may have gone since): show the first page
            return fetch_page(conn, query, sort, order, per_page)
        keys.reverse()
        page, more_after, more_before = max(cursor.page, 2), True, True
    else:
        page, more_after, more_before = (cursor.page if cursor else 1), more, cursor is not None
    ids = [k.id for k in keys]
    found = {r.id: r for r in conn.execute(query.order_by(None).where(R.c.id.in_(ids)))} if ids else {}
    rows = [found[i] for i in ids if i in found]
    return Page(
        rows=rows, page=page,
        next=Cursor(sort, order, _plain(keys[-1].sort_value), keys[-1].id, page + 1) if more_after and keys else None,
        prev=Cursor(sort, order, _plain(keys[0].sort_value), keys[0].id, page - 1, before=True)
        if more_before and keys else None)


def _plain(value: Any) -> int | str | None:
    return value if value is None or isinstance(value, str) else int(value)


def with_sort_values(query: sa.Select[Any]) -> sa.Select[Any]:
    """The query with every sort column under a known label (``sort_ingested`` and so on), for display."""
    return query.add_columns(*(key.column.label(f"sort_{name}") for name, key in SORTS.items()))
