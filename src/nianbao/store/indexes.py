"""Indexes the web app's reports list needs to sort and page fast over 100,000 reports (migration 4).

The list shows current reports only, filtered and sorted by one column, then by ``id``
(``nianbao.web.listing``). Each index leads with ``current``, then the sort column, and ends
with ``id``, so the first page of any sort and each keyset page after it are a short index
range (no sort of the whole table), and counting current reports reads an index, not the wide
report rows. Plain ``CREATE INDEX IF NOT EXISTS`` with quoted names: SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa

LIST_INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ix_reports_list_year", "reports", ("current", "year", "id")),
    ("ix_reports_list_errors", "reports", ("current", "errors", "id")),
    ("ix_reports_list_warnings", "reports", ("current", "warnings", "id")),
    ("ix_reports_list_ingested", "reports", ("current", "ingested_at", "id")),
    # sorting by agency name: the page's ids found from this index and agencies alone
    ("ix_reports_list_agency", "reports", ("current", "agency_id", "id")),
    ("ix_agencies_name", "agencies", ("name", "id")),  # the list's default order is the agency's name
)


def create_list_indexes(conn: sa.Connection) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for name, table, columns in LIST_INDEXES:
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
                             f"({', '.join(quote(c) for c in columns)})")
