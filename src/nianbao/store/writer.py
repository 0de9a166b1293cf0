"""One write transaction of finished records, set-based: a few statements per transaction,
not a dozen per report.

The per-report statement building of SQLAlchemy Core cost more than the inserts themselves
(~0.17 ms a statement, ~25 statements a report), so the bulk rows go through the driver's
executemany with SQL built once, and what the store rules need about the batch's agencies
(their reports' years, versions, current flags) is read in one query after the inserts.
The content written is exactly what the per-report path wrote (tests/test_store.py
compares the two on a sample corpus).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from nianbao.store import record as _record
from nianbao.store import schema
from nianbao.store.record import Failed, Parsed, Record

CHUNK = 500  # parameters of one IN (...) list: well under SQLite's and PostgreSQL's limits

R = schema.reports

REPORT_COLUMNS = ("sha256", "sequence", "path", "format", "agency_id", "agency", "year", "template", "title",
                  "published", "parser_version", "ingested_at", "errors", "warnings", "signature", "document")
VALUE_COLUMNS = ("report_id", "key", "value", "is_null", "inferred", "split", "raw", "line", "place")
FINDING_COLUMNS = ("report_id", "rule", "severity", "message", "keys", "line", "place")
BAND_COLUMNS = ("band", "hash", "report_id", "year")


@dataclass(frozen=True)
class Placed:
    """A stored report as the store rules see it: its agency, year and place among the versions."""

    id: int
    agency_id: int | None
    year: int | None
    sequence: int
    version: int
    current: bool


@dataclass
class Written:
    """What one transaction stored: report ids in record order, the records by id, and the
    reports of every agency the batch touched (after renumbering), by agency."""

    ids: list[int]
    records: dict[int, Parsed]
    agencies: dict[int, list[Placed]]
    demoted: set[int]  # reports that were current and no longer are (their store findings cleared)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def insert_many(conn: sa.Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
                ) -> None:
    """Plain driver executemany for the bulk rows: Core's per-row parameter processing cost more
    than the inserts themselves."""
    if rows:
        conn.exec_driver_sql(_insert_sql(conn, table, columns), rows)


def _insert_sql(conn: sa.Connection, table: sa.Table, columns: tuple[str, ...]) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quote = conn.dialect.identifier_preparer.quote
    return (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})")


@cache
def _marked(sql: str, mark: str) -> str:
    return sql if mark == "?" else sql.replace("?", mark)


def driver_sql(conn: sa.Connection, sql: str) -> str:
    """A statement written with ``?`` marks in the driver's own style: the writer's per-report
    statements skip Core's statement building and caching (~0.2 ms a statement)."""
    return _marked(sql, "?" if conn.dialect.paramstyle == "qmark" else "%s")


def write_batch(conn: sa.Connection, records: Iterable[Record]) -> Written:
    """Insert a batch of records in the caller's transaction (the store rules run after)."""
    from nianbao.store.db import agency_for, rewrite_report

    batch = list(records)
    shas = [r.sha256 for r in batch]
    failures = schema.failures
    for part in chunks(shas):
        conn.execute(failures.delete().where(failures.c.sha256.in_(part)))
    stamp = now()
    insert_many(conn, failures, ("sha256", "path", "reason", "parser_version", "failed_at"),
                [(r.sha256, r.path, r.reason, _record.PARSER_VERSION, stamp) for r in batch if isinstance(r, Failed)])
    parsed = [r for r in batch if isinstance(r, Parsed)]
    existing: dict[str, int] = {}
    for part in chunks([r.sha256 for r in parsed]):
        existing.update((row[0], row[1]) for row in conn.execute(sa.select(R.c.sha256, R.c.id)
                                                                 .where(R.c.sha256.in_(part))))
    agencies = _agencies(conn, parsed, agency_for)
    ids: list[int] = []
    stored: dict[int, Parsed] = {}
    renumber: set[tuple[int, int]] = set()
    insert_report = _insert_sql(conn, R, REPORT_COLUMNS) + " RETURNING id"
    for record in parsed:
        agency_id = agencies.get(record.agency or "") if record.region is not None else None
        errors = sum(f[1] == "error" for f in record.findings)
        warnings = sum(f[1] == "warning" for f in record.findings)
        if record.sha256 in existing:  # a re-parse: the same file, read again by a newer parser
            report_id = rewrite_report(conn, existing[record.sha256], record, agency_id, errors, warnings)
        else:
            report_id = int(conn.exec_driver_sql(insert_report, (
                record.sha256, record.sequence, record.path, record.format, agency_id, record.agency, record.year,
                record.template, record.title, record.published, _record.PARSER_VERSION, stamp, errors, warnings,
                record.signature, record.document)).scalar_one())
            if agency_id is not None and record.year is not None:
                renumber.add((agency_id, record.year))
        ids.append(report_id)
        stored[report_id] = record
    insert_many(conn, schema.values, VALUE_COLUMNS, [
        (report_id, key, value, value is None, inferred, split, raw, line, place)
        for report_id, record in stored.items()
        for key, value, inferred, split, raw, line, place in record.values])
    insert_many(conn, schema.findings, FINDING_COLUMNS, [
        (report_id, *finding) for report_id, record in stored.items() for finding in record.findings])
    insert_many(conn, schema.prose_bands, BAND_COLUMNS, [
        (band, value, report_id, record.year) for report_id, record in stored.items() for band, value in record.bands])
    insert_many(conn, schema.prose_shingles, ("report_id", "hashes"), [
        (report_id, record.shingles) for report_id, record in stored.items() if record.shingles])
    placed = _placed(conn, {a for a, _ in renumber} | {a for a in agencies.values() if a is not None})
    demoted = _renumber(conn, placed, renumber)
    clear_demoted(conn, demoted)
    return Written(ids, stored, placed, demoted)


# An older version is compared with nothing but its year's other reports (corpus.two_reports):
# a report given after a newer one never is, and one that a newer report replaces loses the
# findings it had from other reports, so the store is the same however the reports were
# grouped into transactions (ingest workers finish in any order).
KEPT_BY_OLDER_VERSIONS = ("corpus.two_reports",)


def clear_demoted(conn: sa.Connection, report_ids: Iterable[int]) -> None:
    """Drop the findings from other reports of reports that are no longer current (the caller
    recounts their errors and warnings)."""
    ids = sorted(report_ids)
    kept = ", ".join("?" * len(KEPT_BY_OLDER_VERSIONS))
    for part in chunks(ids):
        conn.exec_driver_sql(driver_sql(conn, f"DELETE FROM findings WHERE report_id IN ({', '.join('?' * len(part))}) "
                                              f"AND other_report_id IS NOT NULL AND rule NOT IN ({kept})"),
                             (*part, *KEPT_BY_OLDER_VERSIONS))


def _agencies(conn: sa.Connection, parsed: list[Parsed], agency_for: Any) -> dict[str, int | None]:
    """Printed name → agency id for the batch: names seen before in one query, new ones in
    record order (the first of two equally long names stays the display name, as before)."""
    from nianbao.normalize import squeeze
    from nianbao.store.db import resolve_merged

    names = schema.agency_names
    printed = {r.agency: squeeze(r.agency) for r in parsed if r.agency and r.region is not None}
    known: dict[str, int] = {}
    for part in chunks(sorted(set(printed.values()))):
        known.update((row[0], row[1]) for row in conn.execute(sa.select(names.c.name, names.c.agency_id)
                                                              .where(names.c.name.in_(part))))
    merged: set[int] = set()
    for part in chunks(sorted(set(known.values()))):
        merged.update(row[0] for row in conn.execute(sa.select(schema.agencies.c.id).where(
            schema.agencies.c.id.in_(part), schema.agencies.c.merged_into.is_not(None))))
    found: dict[str, int | None] = {}
    for record in parsed:
        name = record.agency
        if not name or record.region is None or name in found:
            continue
        agency_id = known.get(printed[name])
        if agency_id is None:
            found[name] = created = agency_for(conn, name, record.region)
            if created is not None:
                known[printed[name]] = created
        else:
            found[name] = resolve_merged(conn, agency_id) if agency_id in merged else agency_id
    return found


def _placed(conn: sa.Connection, agency_ids: set[int]) -> dict[int, list[Placed]]:
    placed: dict[int, list[Placed]] = {}
    for part in chunks(sorted(agency_ids)):
        for row in conn.execute(sa.select(R.c.id, R.c.agency_id, R.c.year, R.c.sequence, R.c.version, R.c.current)
                                .where(R.c.agency_id.in_(part))):
            placed.setdefault(row.agency_id, []).append(Placed(row.id, row.agency_id, row.year, row.sequence,
                                                               row.version, bool(row.current)))
    return placed


def _renumber(conn: sa.Connection, placed: dict[int, list[Placed]], groups: set[tuple[int, int]]) -> set[int]:
    """Versions of each (agency, year) the batch added to, in the order given; the last is current.
    Only rows whose version or flag changes are updated. Returns the reports no longer current."""
    demoted = set()
    for agency_id, year in sorted(groups):
        rows = sorted((p for p in placed.get(agency_id, []) if p.year == year), key=lambda p: (p.sequence, p.id))
        for version, row in enumerate(rows, start=1):
            current = row is rows[-1]
            if row.version != version or row.current != current:
                conn.execute(R.update().where(R.c.id == row.id).values(version=version, current=current))
            if row.current and not current:
                demoted.add(row.id)
        fresh = [Placed(p.id, p.agency_id, p.year, p.sequence, version, p is rows[-1])
                 for version, p in enumerate(rows, start=1)]
        placed[agency_id] = [p for p in placed[agency_id] if p.year != year] + fresh
    return demoted
