"""Opening a store and writing parsed files into it, one transaction per batch of records.

A transaction holds whole reports only (report, values, findings, index bands), so a
``kill -9`` at any moment leaves each report either fully stored or absent; the content
hash is unique, so a re-run never stores a file twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from nianbao.store import record as _record
from nianbao.store import schema
from nianbao.store.migrate import migrate
from nianbao.store.record import Parsed, Record, Region

if TYPE_CHECKING:
    from nianbao.models import Report
    from nianbao.store.prose_index import ProseIndex

DEFAULT_DB = "nianbao.db"
WRITER_CACHE_KIB = 256 * 1024  # SQLite page cache of a writing connection


class StoreError(Exception):
    """The store cannot be opened or used (one line, Chinese, names the store)."""


def store_url(target: str | None) -> str:
    """A SQLAlchemy URL from --db, NIANBAO_DB, or the default SQLite file."""
    target = target or os.environ.get("NIANBAO_DB") or DEFAULT_DB
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    if "://" in target:
        return target
    return f"sqlite:///{Path(target)}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; a kill leaves no torn write
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a process kill (not a power cut)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@dataclass
class Store:
    engine: sa.Engine
    url: str

    @property
    def label(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def known(self) -> dict[str, str]:
        """Content hash → parser version, for every stored report and recorded failure."""
        with self.engine.connect() as conn:
            found = {r.sha256: r.parser_version for r in conn.execute(
                sa.select(schema.reports.c.sha256, schema.reports.c.parser_version))}
            for row in conn.execute(sa.select(schema.failures.c.sha256, schema.failures.c.parser_version)):
                found.setdefault(row.sha256, row.parser_version)
        return found

    def write(self, records: Iterable[Record]) -> list[int]:
        """Store records in one transaction; returns the ids of the reports written."""
        with self.engine.begin() as conn:
            return _write(conn, records, None)


class StoreWriter:
    """The writes of one ingest run: one connection throughout and, on SQLite, the copied-prose
    candidates in memory (store/prose_index.py), so they cost no SQL however large the store."""

    def __init__(self, store: Store) -> None:
        from nianbao.store.prose_index import ProseIndex

        self.conn = store.engine.connect()
        self.index = ProseIndex() if self.conn.dialect.name == "sqlite" else None
        # Reports decoded (slim) for the store rules, kept across transactions while the index
        # vouches that no one else wrote (emptied whenever it reads the store again).
        self.decoded: dict[int, Report] = {}

    def write(self, records: Iterable[Record]) -> list[int]:
        """Store records in one transaction (as ``Store.write``); returns the ids of the reports written."""
        try:
            with self.conn.begin():
                return _write(self.conn, records, self.index, self.decoded)
        except BaseException:
            if self.index is not None:
                self.index.invalidate()  # what it added may have been rolled back
            self.decoded.clear()
            raise

    def close(self) -> None:
        self.conn.close()


def _write(conn: sa.Connection, records: Iterable[Record], index: ProseIndex | None,
           decoded: dict[int, Report] | None = None) -> list[int]:
    from nianbao.store.rules import StoreRules
    from nianbao.store.writer import write_batch

    if conn.dialect.name == "sqlite":
        # The writer's connection only: a page cache that holds the growing indexes
        # (default 2 MB), and fewer, larger WAL checkpoints (each one syncs twice).
        conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        conn.exec_driver_sql("PRAGMA wal_autocheckpoint=8192")
    written = write_batch(conn, records)
    if index is None:
        decoded = None  # nothing tells whether another connection changed a document
    elif index.sync(conn, written) and decoded is not None:
        decoded.clear()  # the store was read again: another writer, or a re-parse
    StoreRules(conn, written.ids, written=written, index=index, loaded=decoded).run_all(written.ids)
    return written.ids


def open_store(target: str | None = None, *, create: bool = True) -> Store:
    """Open the store at ``target`` (a path or URL), creating and migrating it as needed
    (``create=False``: a SQLite file that does not exist is an error, not a new empty store)."""
    url = store_url(target)
    try:
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if path.parent and not path.parent.exists():
                raise StoreError(f"{path}: 数据库所在文件夹不存在")
            if not create and not path.exists():
                raise StoreError(f"{path}: 数据库不存在（先用 nianbao ingest 建立）")
            engine = sa.create_engine(url)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
        with engine.begin() as conn:
            migrate(conn)
    except ModuleNotFoundError as exc:
        raise StoreError(f"{url}: 缺少数据库驱动（{exc.name}）") from None
    except sa.exc.ArgumentError:
        raise StoreError(f"{target}: 不是可用的数据库地址") from None
    except sa.exc.DatabaseError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreError(f"{engine.url.render_as_string(hide_password=True)}: 无法打开数据库（{reason}）") from None
    return Store(engine, url)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def agency_for(conn: sa.Connection, printed: str | None, region: Region | None) -> int | None:
    """The agency a printed name belongs to: a name seen before (hand corrections included),
    else one with the same normalised key, else a new agency."""
    if not printed or region is None:
        return None
    from nianbao.normalize import squeeze
    from nianbao.store.writer import driver_sql

    def run(sql: str, *parameters: object) -> Any:
        # Driver SQL: a new agency every few reports of a large run, and Core's statement
        # building cost more than these look-ups (~0.2 ms a statement).
        return conn.exec_driver_sql(driver_sql(conn, sql), parameters)

    name = squeeze(printed)
    agency_id = run("SELECT agency_id FROM agency_names WHERE name = ?", name).scalar()
    if agency_id is None:
        key, province, city, county, level, adcode = region
        agency_id = run('SELECT id FROM agencies WHERE "key" = ?', key).scalar()
        if agency_id is None:
            agency_id = run('INSERT INTO agencies ("key", name, province, city, county, level, adcode) '
                            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            key, name, province, city, county, level, adcode).scalar_one()
        elif len(name) > len(run("SELECT name FROM agencies WHERE id = ?", agency_id).scalar_one()):
            run("UPDATE agencies SET name = ? WHERE id = ?", name, agency_id)  # the fullest name
        run("INSERT INTO agency_names (name, agency_id) VALUES (?, ?)", name, agency_id)
    return resolve_merged(conn, agency_id)


def resolve_merged(conn: sa.Connection, agency_id: int) -> int:
    from nianbao.store.writer import driver_sql

    seen = set()
    while agency_id not in seen:
        seen.add(agency_id)
        target = conn.exec_driver_sql(driver_sql(conn, "SELECT merged_into FROM agencies WHERE id = ?"),
                                      (agency_id,)).scalar()
        if target is None:
            return agency_id
        agency_id = target
    return agency_id


def renumber(conn: sa.Connection, agency_id: int, year: int | None) -> None:
    """Versions of one agency's reports for a year in the order given; the last is current (a
    report no longer current loses its findings from other reports, as in ingest)."""
    from nianbao.store.rules import recount_findings
    from nianbao.store.writer import clear_demoted

    reports = schema.reports
    rows = conn.execute(sa.select(reports.c.id, reports.c.current)
                        .where(reports.c.agency_id == agency_id, reports.c.year == year)
                        .order_by(reports.c.sequence, reports.c.id)).all()
    for version, (report_id, _) in enumerate(rows, start=1):
        conn.execute(reports.update().where(reports.c.id == report_id).values(version=version,
                                                                               current=report_id == rows[-1][0]))
    demoted = {report_id for report_id, current in rows[:-1] if current}
    if demoted:
        clear_demoted(conn, demoted)
        recount_findings(conn, demoted)


def rewrite_report(conn: sa.Connection, report_id: int, record: Parsed, agency_id: int | None, errors: int,
                   warnings: int) -> int:
    """A re-parse: the same file, read again by a newer parser, keeps its id, sequence and version."""
    reports = schema.reports
    for table in (schema.values, schema.findings, schema.prose_bands, schema.prose_shingles):
        conn.execute(table.delete().where(table.c.report_id == report_id))
    conn.execute(schema.findings.delete().where(schema.findings.c.other_report_id == report_id))
    conn.execute(reports.update().where(reports.c.id == report_id).values(
        path=record.path, format=record.format, agency_id=agency_id, agency=record.agency, year=record.year,
        template=record.template, title=record.title, published=record.published,
        parser_version=_record.PARSER_VERSION, ingested_at=_now(), errors=errors, warnings=warnings,
        signature=record.signature, document=record.document))
    return report_id
