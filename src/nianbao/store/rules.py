"""Rules across stored reports, run in the writer's transaction as each report is stored.

Last year's and next year's current report of the same agency (the pair rules of
check/across.py), another report of the same agency and year (corpus.two_reports), and
copied prose from other agencies found through the MinHash bands index (corpus.copied_text):
each costs a few indexed look-ups per report, however large the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from nianbao.check.across import (
    COPIED_ACROSS,
    ESTIMATE_FLOOR,
    copied_across_finding,
    cross_similarity,
    estimated_similarity,
    slim_report,
    two_reports_finding,
)
from nianbao.check.registry import RULES, merge_repeats
from nianbao.models import Finding, Report
from nianbao.store import schema
from nianbao.store.record import decode_report
from nianbao.store.writer import driver_sql, insert_many

if TYPE_CHECKING:
    from nianbao.store.prose_index import ProseIndex
    from nianbao.store.writer import Placed, Written

R, F = schema.reports, schema.findings

# Reports kept decoded (slim, a few KB each) for the rules: an ingest run keeps them across
# transactions, and last year's report of an agency was mostly written a moment ago.
LOADED_AT_MOST = 4096


@cache
def pair_rule_ids() -> tuple[str, ...]:
    return tuple(sorted(r.id for r in RULES.values() if r.pair_check))


class StoreRules:
    """The store rules of one write transaction: reports decoded once, counts updated once."""

    def __init__(self, conn: sa.Connection, pending: Iterable[int] = (), *, fresh: bool = True,
                 written: Written | None = None, index: ProseIndex | None = None,
                 loaded: dict[int, Report] | None = None) -> None:
        self.conn = conn
        self.pending = set(pending)  # written in this transaction, their rules still to run
        self.fresh = fresh  # the reports carry no store findings yet (just written)
        # Decoded documents by id: this transaction's, or an ingest run's (last year's report of
        # an agency was mostly written a moment ago; decoding is ~0.6 ms a report).
        self.loaded: dict[int, Report] = {} if loaded is None else loaded
        self.touched: set[int] = set()
        # What the writer already knows (the batch's records, its agencies' reports): answered
        # from memory instead of a query per report.
        self.written = written
        self.placed: dict[int, Placed] = {}
        self.index = index  # an ingest run's copied-prose candidates in memory (SQLite), else None
        if written is not None:
            self.placed = {p.id: p for rows in written.agencies.values() for p in rows}
            self.touched |= written.demoted  # their findings from other reports were cleared: recount

    def load(self, report_id: int) -> Report:
        """The report as the rules read it: its slim copy (check.across.slim_report), from the
        record just written, else decoded from the store (whole, then slimmed: smaller to keep)."""
        found = self.loaded.get(report_id)
        if found is None:
            if len(self.loaded) >= LOADED_AT_MOST:
                self.loaded.clear()
            record = self.written.records.get(report_id) if self.written is not None else None
            if record is not None and record.slim is not None:
                found = record.slim
            else:
                blob = self.conn.exec_driver_sql(driver_sql(self.conn, "SELECT document FROM reports WHERE id = ?"),
                                                 (report_id,)).scalar_one()
                found = slim_report(decode_report(blob))
            self.loaded[report_id] = found
        return found

    def run_all(self, report_ids: list[int]) -> None:
        """Earlier years first: a later year of the same batch then meets its previous year once."""
        years = {i: self.placed[i].year for i in report_ids if i in self.placed}
        missing = [i for i in report_ids if i not in self.placed]
        if missing:
            years.update((r[0], r[1]) for r in self.conn.execute(sa.select(R.c.id, R.c.year)
                                                                 .where(R.c.id.in_(missing))))
        for report_id in sorted(report_ids, key=lambda i: (years.get(i) or 0, i)):
            self.pending.discard(report_id)
            store_rules(self.conn, report_id, self)
        self.recount()

    def row(self, report_id: int) -> tuple[int | None, int | None, bool]:
        """A stored report's agency, year and current flag."""
        if report_id in self.placed:
            p = self.placed[report_id]
            return p.agency_id, p.year, p.current
        row = self.conn.execute(sa.select(R.c.agency_id, R.c.year, R.c.current).where(R.c.id == report_id)).one()
        return row.agency_id, row.year, bool(row.current)

    def siblings(self, report_id: int, agency_id: int, year: int) -> list[int]:
        """The agency's other reports of the year, the latest given first."""
        if self.written is not None and agency_id in self.written.agencies:
            rows = [p for p in self.written.agencies[agency_id] if p.year == year and p.id != report_id]
            return [p.id for p in sorted(rows, key=lambda p: p.sequence, reverse=True)]
        return list(self.conn.execute(sa.select(R.c.id).where(R.c.agency_id == agency_id, R.c.year == year,
                                                              R.c.id != report_id).order_by(R.c.sequence.desc())
                                      ).scalars().all())

    def current(self, agency_id: int, year: int) -> int | None:
        if self.written is not None and agency_id in self.written.agencies:
            return next((p.id for p in self.written.agencies[agency_id] if p.year == year and p.current), None)
        return _current(self.conn, agency_id, year)

    def recount(self) -> None:
        if self.touched:
            recount_findings(self.conn, self.touched)
            self.touched = set()


def _load(conn: sa.Connection, report_id: int, rules: StoreRules | None = None) -> Report:
    if rules is not None:
        return rules.load(report_id)
    blob = conn.execute(sa.select(R.c.document).where(R.c.id == report_id)).scalar_one()
    return decode_report(blob)


def _current(conn: sa.Connection, agency_id: int, year: int) -> int | None:
    return conn.execute(sa.select(R.c.id).where(R.c.agency_id == agency_id, R.c.year == year, R.c.current)
                        ).scalar()


# Findings made across stored reports name the other report.
OTHER_FINDING_COLUMNS = ("report_id", "rule", "severity", "message", "keys", "line", "place", "other_report_id")


def _insert(conn: sa.Connection, report_id: int, findings: Iterable[Finding], other_id: int) -> None:
    insert_many(conn, F, OTHER_FINDING_COLUMNS, [(report_id, f.rule, f.severity, f.message, ",".join(f.keys), f.line,
                                            f.place, other_id) for f in findings])


def _pairs(report: Report, previous: Report) -> list[Finding]:
    found = [f for rule in RULES.values() if rule.pair_check for f in rule.pair_check(report, previous)]
    return merge_repeats(found, report)  # one finding per defect, as over a batch


def store_rules(conn: sa.Connection, report_id: int, rules: StoreRules | None = None) -> None:
    """The store findings of a newly stored report, and of the reports it is compared with."""
    own = rules is None
    if rules is None:
        rules = StoreRules(conn, fresh=False)
    load = rules.load
    agency_id, year, current = rules.row(report_id)
    if agency_id is None or year is None:
        return
    touched = {report_id}
    if not rules.fresh:
        _clear(conn, report_id, ("corpus.two_reports",))
    siblings = rules.siblings(report_id, agency_id, year)
    if siblings and not _has(conn, report_id, "corpus.two_reports"):
        _insert(conn, report_id, [two_reports_finding(load(report_id), load(siblings[0]))], siblings[0])
    for sibling in siblings:  # the rule holds both ways, as over a batch
        if not _has(conn, sibling, "corpus.two_reports"):
            _insert(conn, sibling, [two_reports_finding(load(sibling), load(report_id))], report_id)
            touched.add(sibling)
    if not current:  # an older version given after the current one: compared with nothing else
        _finish(rules, touched, own)
        return
    if not rules.fresh:
        _clear(conn, report_id, pair_rule_ids())
    previous_id = rules.current(agency_id, year - 1)
    if previous_id is not None:
        _insert(conn, report_id, _pairs(load(report_id), load(previous_id)), previous_id)
    next_id = rules.current(agency_id, year + 1)
    if next_id is not None and next_id not in rules.pending:  # its pair findings are against this one now
        _clear(conn, next_id, pair_rule_ids())
        _insert(conn, next_id, _pairs(load(next_id), load(report_id)), report_id)
        touched.add(next_id)
    touched |= _copied_across(conn, report_id, agency_id, year, rules)
    _finish(rules, touched, own)


def _finish(rules: StoreRules, touched: set[int], own: bool) -> None:
    rules.touched |= touched
    if own:
        rules.recount()


def _clear(conn: sa.Connection, report_id: int, rules: tuple[str, ...]) -> None:
    """Drop a report's findings of these rules that came from other stored reports (recomputed next)."""
    marks = ", ".join("?" * len(rules))
    conn.exec_driver_sql(driver_sql(conn, f"DELETE FROM findings WHERE report_id = ? AND rule IN ({marks}) "
                                          "AND other_report_id IS NOT NULL"), (report_id, *rules))


def _has(conn: sa.Connection, report_id: int, rule: str) -> bool:
    return conn.exec_driver_sql(driver_sql(conn, "SELECT id FROM findings WHERE report_id = ? AND rule = ? LIMIT 1"),
                                (report_id, rule)).first() is not None


def _copied_across(conn: sa.Connection, report_id: int, agency_id: int, year: int, rules: StoreRules) -> set[int]:
    record = rules.written.records.get(report_id) if rules.written is not None else None
    if record is not None:  # just written: its bands and digest are in memory
        mine, digest = record.bands, record.signature or b""
    else:
        bands = schema.prose_bands
        mine = [(r[0], r[1]) for r in conn.execute(sa.select(bands.c.band, bands.c.hash)
                                                   .where(bands.c.report_id == report_id))]
        digest = conn.execute(sa.select(R.c.signature).where(R.c.id == report_id)).scalar_one() or b""
    if not mine:
        return set()
    touched = set()
    rule = "corpus.copied_text"
    index = rules.index
    if index is not None and record is not None and index.holds(digest):
        close = index.close_candidates(mine, digest, agency_id, year)  # no SQL: see store/prose_index.py
    else:
        rows = _candidates(conn, mine, agency_id, year)
        # Shared prose gives a report hundreds of band-sharing candidates in a large store;
        # the digest estimate drops the ones far from the threshold without decoding them.
        close = [other_id for (other_id, _), estimate in zip(rows, _estimates(digest, [r[1] for r in rows]),
                                                             strict=True)
                 if estimate >= ESTIMATE_FLOOR]
    # Of those (a few in 10,000 reports, more as the store grows), the shingle hashes drop the
    # ones clearly below the threshold, so only near or true copies are decoded and compared.
    far = _far_below(conn, report_id, record.shingles if record is not None else None, close, index)
    for other_id in close:
        if other_id in far:
            continue
        report, other = rules.load(report_id), rules.load(other_id)
        score = cross_similarity(report, other)
        if score is None or score < COPIED_ACROSS:
            continue
        if not _has(conn, report_id, rule):
            _insert(conn, report_id, [copied_across_finding(report, other, score)], other_id)
            touched.add(report_id)
        if not _has(conn, other_id, rule):
            _insert(conn, other_id, [copied_across_finding(other, report, score)], report_id)
            touched.add(other_id)
    return touched


def _candidates(conn: sa.Connection, mine: list[tuple[int, int]], agency_id: int, year: int
                ) -> list[tuple[int, bytes | None]]:
    """Current reports of other agencies, of the same or a neighbouring year, sharing a band, by id.

    Two plain look-ups, so the plan cannot go wrong: the band index (band, hash, year,
    report_id) gives the sharers of the three years, then their rows by primary key. (As one
    join, SQLite scanned every current report of the three years through the reports list's
    (current, year) index and probed its bands: a cost per report growing with the store.)"""
    params: dict[str, int] = {"low": year - 1, "high": year + 1}
    for index, (band, value) in enumerate(mine):
        params[f"b{index}"], params[f"h{index}"] = band, value
    sharers = sorted(conn.execute(_sharers(len(mine)), params).scalars().all())
    rows: list[tuple[int, bytes | None]] = []
    for start in range(0, len(sharers), 500):
        rows += [(row[0], row[1]) for row in conn.execute(_sharer_rows(), {"ids": sharers[start:start + 500]})
                 if row[2] and row[3] != agency_id]
    return rows


@cache
def _sharers(count: int) -> sa.Select[int]:
    """Reports of the three years sharing one of ``count`` bands (bound parameters, compiled once)."""
    bands = schema.prose_bands
    return sa.select(bands.c.report_id).distinct().where(sa.or_(*(
        sa.and_(bands.c.band == sa.bindparam(f"b{i}"), bands.c.hash == sa.bindparam(f"h{i}"),
                bands.c.year.between(sa.bindparam("low"), sa.bindparam("high")))
        for i in range(count))))


@cache
def _sharer_rows() -> sa.Select[int, bytes | None, bool, int | None]:
    # Current and agency are checked by the caller: with them in SQL, SQLite scans the reports
    # list's (current, year) index instead of looking the ids up by primary key.
    return sa.select(R.c.id, R.c.signature, R.c.current, R.c.agency_id).where(
        R.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(R.c.id)


# Hash collisions move a shingle-hash similarity by ~0.001 each; pairs from this margin up are
# confirmed on the documents (cross_similarity), so the findings are exactly the documents' own.
HASHED_MARGIN = 0.05


def _far_below(conn: sa.Connection, report_id: int, mine: bytes | None, others: list[int],
               index: ProseIndex | None = None) -> set[int]:
    """Candidates whose shingle-hash similarity is below COPIED_ACROSS − HASHED_MARGIN (a report
    stored before migration 5 has no hashes: never dropped here). An ingest run's index holds
    the hashes in memory; else they are read from the store."""
    if not others:
        return set()
    import numpy as np

    shingles = schema.prose_shingles
    if mine is None:
        mine = conn.execute(sa.select(shingles.c.hashes).where(shingles.c.report_id == report_id)).scalar()
        if mine is None:
            return set()
    held = index.shingles_of(others) if index is not None and index.loaded else None
    if held is None:
        held = []
        for start in range(0, len(others), 500):
            part = others[start:start + 500]
            sql = f"SELECT report_id, hashes FROM prose_shingles WHERE report_id IN ({', '.join('?' * len(part))})"
            held += [(row[0], row[1]) for row in conn.exec_driver_sql(driver_sql(conn, sql), tuple(part))]
    own = np.frombuffer(mine, dtype="<u4")
    theirs = [np.frombuffer(hashes, dtype="<u4") for _, hashes in held]
    far = set()
    for (other_id, _), their, shared in zip(held, theirs, shared_counts(own, theirs), strict=True):
        union = own.size + their.size - shared
        if union and shared / union < COPIED_ACROSS - HASHED_MARGIN:
            far.add(other_id)
    return far


def shared_counts(own: Any, others: list[Any]) -> list[int]:
    """How many values ``own`` shares with each of the others (ascending arrays of distinct
    values: ``np.intersect1d``'s size), in one array pass: a report has dozens of close
    candidates in a large store, and numpy calls per pair cost more than the comparison itself."""
    import numpy as np

    if not others or not own.size:
        return [0] * len(others)
    flat = np.concatenate(others)
    at = np.searchsorted(own, flat)
    found = np.concatenate(([0], np.cumsum(own[np.minimum(at, own.size - 1)] == flat)))  # hits before each place
    sizes = np.array([other.size for other in others])
    ends = np.cumsum(sizes)
    return [int(n) for n in found[ends] - found[ends - sizes]]


def _estimates(digest: bytes, others: list[bytes | None]) -> list[float]:
    """estimated_similarity of the digest against each of the others, in one array operation
    (the same share of equal permutations; 0.0 for a missing or differently sized digest)."""
    import numpy as np

    size = len(digest)
    if size % 8:  # never for our digests; the plain loop handles the odd case the same way
        return [estimated_similarity(digest, other or b"") for other in others]
    if not size or not others:
        return [0.0] * len(others)
    same = [i for i, other in enumerate(others) if other is not None and len(other) == size]
    found = [0.0] * len(others)
    if same:
        mine = np.frombuffer(digest, dtype="<u8")
        theirs = np.frombuffer(b"".join(others[i] or b"" for i in same), dtype="<u8").reshape(len(same), -1)
        equal = (theirs == mine).sum(axis=1)
        for i, count in zip(same, equal.tolist(), strict=True):
            found[i] = count / mine.size
    return found


def recount_findings(conn: sa.Connection, report_ids: set[int]) -> None:
    """The reports' error and warning counts, from their findings."""

    def count(severity: str) -> sa.ScalarSelect[int]:
        return (sa.select(sa.func.count()).select_from(F)
                .where(F.c.report_id == R.c.id, F.c.severity == severity).scalar_subquery())

    conn.execute(R.update().where(R.c.id.in_(report_ids)).values(errors=count("error"), warnings=count("warning")))
