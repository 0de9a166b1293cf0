"""Versioned schema migrations, from the first release on: a numbered list, applied in order.

``schema_migrations`` records each applied version. A migration is never edited once
released; a schema change is a new entry at the end. The wide per-template views are derived
from the template data and rebuilt whenever the templates' keys change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from nianbao.store import schema
from nianbao.templates import all_templates

Migration = Callable[[sa.Connection], None]


def _v1(conn: sa.Connection) -> None:
    """The first schema: agencies, their names, reports, values, findings, LSH bands, failures."""
    tables = [schema.agencies, schema.agency_names, schema.reports, schema.values, schema.findings,
              schema.prose_bands, schema.failures, schema.settings]
    schema.metadata.create_all(conn, tables=tables)


def _v2(conn: sa.Connection) -> None:
    """The web app's tables: users, sessions, review marks and report review states."""
    from nianbao.store import app_schema

    schema.metadata.create_all(conn, tables=app_schema.TABLES)


def _v3(conn: sa.Connection) -> None:
    """The web app's background upload jobs and their files."""
    from nianbao.store import app_schema

    schema.metadata.create_all(conn, tables=app_schema.JOB_TABLES)


def _v4(conn: sa.Connection) -> None:
    """Indexes the reports list sorts and pages by (keyset paging over 100,000 reports)."""
    from nianbao.store import indexes

    indexes.create_list_indexes(conn)


def _v5(conn: sa.Connection) -> None:
    """Narrative shingle hashes, the report's year on its bands, and a band index covering year
    and report: copied-prose candidates found and compared without reading documents."""
    schema.metadata.create_all(conn, tables=[schema.prose_shingles])
    if "year" not in {c["name"] for c in sa.inspect(conn).get_columns("prose_bands")}:  # v1 of a new store has it
        conn.exec_driver_sql("ALTER TABLE prose_bands ADD COLUMN year INTEGER")
        conn.exec_driver_sql("UPDATE prose_bands SET year = (SELECT year FROM reports WHERE reports.id = "
                             "prose_bands.report_id)")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_prose_bands_lookup")
    conn.exec_driver_sql("CREATE INDEX ix_prose_bands_lookup ON prose_bands (band, hash, year, report_id)")


def _v6(conn: sa.Connection) -> None:
    """A covering index on values by key: the dashboard's sums without reading the table rows."""
    from nianbao.store.sum_index import create_sum_index

    create_sum_index(conn)


def _v7(conn: sa.Connection) -> None:
    """Drop the plain index on values by key: the sum index of migration 6 starts with key and
    answers every look-up it did, and each index is one more B-tree every stored value updates."""
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_report_values_key")


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "reports, values, findings, agencies, prose index, failures", _v1),
    (2, "web app: users, sessions, finding reviews, report review states", _v2),
    (3, "web app: background upload jobs and their files", _v3),
    (4, "indexes for the reports list: sorting and keyset paging", _v4),
    (5, "narrative shingle hashes; the report's year on its bands, in their index", _v5),
    (6, "an index on values by key, value and report for the dashboard's sums", _v6),
    (7, "no separate index on values by key (the sum index covers it)", _v7),
]


def migrate(conn: sa.Connection) -> list[int]:
    """Bring the store to the latest schema; returns the versions applied now."""
    schema.metadata.create_all(conn, tables=[schema.migrations])
    done = {row[0] for row in conn.execute(sa.select(schema.migrations.c.version))}
    applied = []
    for version, description, step in MIGRATIONS:
        if version in done:
            continue
        step(conn)
        conn.execute(schema.migrations.insert().values(version=version, description=description,
                                                       applied_at=datetime.now(UTC).isoformat()))
        applied.append(version)
    _refresh_views(conn)
    return applied


def latest_version() -> int:
    return MIGRATIONS[-1][0]


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _view_sql(conn: sa.Connection, template_id: str, keys: tuple[str, ...]) -> str:
    columns = ",\n  ".join(["r.id AS report_id", "a.name AS agency", "r.year", "r.current", "r.path",
                             *(f"MAX(CASE WHEN v.key = '{key}' THEN v.value END) AS {_quote(conn, key)}"
                               for key in keys)])
    return (f"CREATE VIEW {_quote(conn, 'values_' + template_id)} AS\n"
            f"SELECT {columns}\nFROM reports r JOIN report_values v ON v.report_id = r.id\n"
            "LEFT JOIN agencies a ON a.id = r.agency_id\n"
            f"WHERE r.template = '{template_id}'\nGROUP BY r.id, a.name, r.year, r.current, r.path")


_CURRENT = """CREATE VIEW current_reports AS
SELECT r.id AS report_id, a.name AS agency, r.agency AS printed_agency, a.province, a.city, a.county, a.level,
  r.year, r.template, r.version, r.errors, r.warnings, r.path, r.sha256, r.parser_version, r.ingested_at
FROM reports r LEFT JOIN agencies a ON a.id = r.agency_id
WHERE r.current"""


def _refresh_views(conn: sa.Connection) -> None:
    """(Re)create the wide views when the templates' keys changed since they were made."""
    templates = [(t.id, t.required_keys) for t in all_templates()]
    fingerprint = hashlib.sha256(repr(templates).encode("utf-8")).hexdigest()
    settings = schema.settings
    stored = conn.execute(sa.select(settings.c.value).where(settings.c.name == "views")).scalar()
    if stored == fingerprint:
        return
    for template_id, keys in templates:
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {_quote(conn, 'values_' + template_id)}")
        conn.exec_driver_sql(_view_sql(conn, template_id, keys))
    conn.exec_driver_sql("DROP VIEW IF EXISTS current_reports")
    conn.exec_driver_sql(_CURRENT)
    conn.execute(settings.delete().where(settings.c.name == "views"))
    conn.execute(settings.insert().values(name="views", value=fingerprint))
