"""The index the dashboard sums cells through (migration 6, issue #13).

The dashboard sums a few dozen keys (new requests, the outcome rows, the appeal rows) over up
to 100,000 reports. Through the plain ``key`` index every matching row costs a lookup in the
table for its value; an index on ``(key, value, report_id)`` answers the sums from the index
alone, and puts a key's unknown (NULL) values first, so the reports that left a cell blank are
one short range of it. Plain ``CREATE INDEX IF NOT EXISTS``: SQLite and PostgreSQL alike.

A large ingest works without it and builds it once at the end (store/ingest.py): the index
takes each stored value at a scattered place, and once it outgrows the page cache every
transaction rewrites thousands of its pages (10,000 reports: 58 s with it, 41 s + 2.6 s to
build it after). Every ingest ends by building it if it is missing (after one killed midway).
"""

from __future__ import annotations

import sqlalchemy as sa

SUM_INDEX = ("ix_report_values_sum", "report_values", ("key", "value", "report_id"))


def create_sum_index(conn: sa.Connection) -> None:
    quote = conn.dialect.identifier_preparer.quote
    name, table, columns = SUM_INDEX
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
                         f"({', '.join(quote(c) for c in columns)})")


def drop_sum_index(conn: sa.Connection) -> None:
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {quote(SUM_INDEX[0])}")
