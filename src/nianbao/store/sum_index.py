"""The index the dashboard sums cells through (migration 6, issue #13).

The dashboard sums a few dozen keys (new requests, the outcome rows, the appeal rows) over up
to 100,000 reports. Through the plain ``key`` index every matching row costs a lookup in the
table for its value; an index on ``(key, value, report_id)`` answers the sums from the index
alone, and puts a key's unknown (NULL) values first, so the reports that left a cell blank are
one short range of it. Plain ``CREATE INDEX IF NOT EXISTS``: SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa

SUM_INDEX = ("ix_report_values_sum", "report_values", ("key", "value", "report_id"))


def create_sum_index(conn: sa.Connection) -> None:
    quote = conn.dialect.identifier_preparer.quote
    name, table, columns = SUM_INDEX
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
                         f"({', '.join(quote(c) for c in columns)})")
