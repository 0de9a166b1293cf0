"""Rules across stored reports, run in the writer's transaction as each report is stored.

Last year's and next year's current report of the same agency (the pair rules of
check/across.py), another report of the same agency and year (corpus.two_reports), and
copied prose from other agencies found through the MinHash bands index (corpus.copied_text):
each costs a few indexed look-ups per report, however large the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import sqlalchemy as sa

from nianbao.check.across import (
    COPIED_ACROSS,
    ESTIMATE_FLOOR,
    copied_across_finding,
    cross_similarity,
    estimated_similarity,
    two_reports_finding,
)
from nianbao.check.registry import RULES, merge_repeats
from nianbao.models import Finding, Report
from nianbao.store import schema
from nianbao.store.record import decode_report

R, F = schema.reports, schema.findings


@cache
def pair_rule_ids() -> tuple[str, ...]:
    return tuple(sorted(r.id for r in RULES.values() if r.pair_check))


class StoreRules:
    """The store rules of one write transaction: reports decoded once, counts updated once."""

    def __init__(self, conn: sa.Connection, pending: Iterable[int] = (), *, fresh: bool = True) -> None:
        self.conn = conn
        self.pending = set(pending)  # written in this transaction, their rules still to run
        self.fresh = fresh  # the reports carry no store findings yet (just written)
        self.loaded: dict[int, Report] = {}
        self.touched: set[int] = set()

    def load(self, report_id: int) -> Report:
        if report_id not in self.loaded:
            if len(self.loaded) > 512:
                self.loaded.clear()
            blob = self.conn.execute(sa.select(R.c.document).where(R.c.id == report_id)).scalar_one()
            self.loaded[report_id] = decode_report(blob)
        return self.loaded[report_id]

    def run_all(self, report_ids: list[int]) -> None:
        """Earlier years first: a later year of the same batch then meets its previous year once."""
        years = {r[0]: r[1] for r in self.conn.execute(sa.select(R.c.id, R.c.year).where(R.c.id.in_(report_ids)))}
        for report_id in sorted(report_ids, key=lambda i: (years.get(i) or 0, i)):
            self.pending.discard(report_id)
            store_rules(self.conn, report_id, self)
        self.recount()

    def recount(self) -> None:
        if self.touched:
            _recount(self.conn, self.touched)
            self.touched = set()


def _load(conn: sa.Connection, report_id: int, rules: StoreRules | None = None) -> Report:
    if rules is not None:
        return rules.load(report_id)
    blob = conn.execute(sa.select(R.c.document).where(R.c.id == report_id)).scalar_one()
    return decode_report(blob)


def _current(conn: sa.Connection, agency_id: int, year: int) -> int | None:
    return conn.execute(sa.select(R.c.id).where(R.c.agency_id == agency_id, R.c.year == year, R.c.current)
                        ).scalar()


def _insert(conn: sa.Connection, report_id: int, findings: Iterable[Finding], other_id: int) -> None:
    rows = [dict(report_id=report_id, rule=f.rule, severity=f.severity, message=f.message, keys=",".join(f.keys),
                 line=f.line, place=f.place, other_report_id=other_id) for f in findings]
    if rows:
        conn.execute(F.insert(), rows)


def _pairs(report: Report, previous: Report) -> list[Finding]:
    found = [f for rule in RULES.values() if rule.pair_check for f in rule.pair_check(report, previous)]
    return merge_repeats(found, report)  # one finding per defect, as over a batch


def store_rules(conn: sa.Connection, report_id: int, rules: StoreRules | None = None) -> None:
    """The store findings of a newly stored report, and of the reports it is compared with."""
    own = rules is None
    if rules is None:
        rules = StoreRules(conn, fresh=False)
    load = rules.load
    row = conn.execute(sa.select(R.c.agency_id, R.c.year, R.c.current, R.c.sha256).where(R.c.id == report_id)).one()
    if row.agency_id is None or row.year is None:
        return
    report = load(report_id)
    touched = {report_id}
    if not rules.fresh:
        _clear(conn, report_id, ("corpus.two_reports",))
    siblings = conn.execute(sa.select(R.c.id).where(R.c.agency_id == row.agency_id, R.c.year == row.year,
                                                    R.c.id != report_id).order_by(R.c.sequence.desc())
                            ).scalars().all()
    if siblings and not _has(conn, report_id, "corpus.two_reports"):
        _insert(conn, report_id, [two_reports_finding(report, load(siblings[0]))], siblings[0])
    for sibling in siblings:  # the rule holds both ways, as over a batch
        if not _has(conn, sibling, "corpus.two_reports"):
            _insert(conn, sibling, [two_reports_finding(load(sibling), report)], report_id)
            touched.add(sibling)
    if not row.current:  # an older version given after the current one: compared with nothing else
        _finish(rules, touched, own)
        return
    if not rules.fresh:
        _clear(conn, report_id, pair_rule_ids())
    previous_id = _current(conn, row.agency_id, row.year - 1)
    if previous_id is not None:
        _insert(conn, report_id, _pairs(report, load(previous_id)), previous_id)
    next_id = _current(conn, row.agency_id, row.year + 1)
    if next_id is not None and next_id not in rules.pending:  # its pair findings are against this one now
        _clear(conn, next_id, pair_rule_ids())
        _insert(conn, next_id, _pairs(load(next_id), report), report_id)
        touched.add(next_id)
    touched |= _copied_across(conn, report_id, report, row.agency_id, row.year, rules)
    _finish(rules, touched, own)


def _finish(rules: StoreRules, touched: set[int], own: bool) -> None:
    rules.touched |= touched
    if own:
        rules.recount()


def _clear(conn: sa.Connection, report_id: int, rules: tuple[str, ...]) -> None:
    """Drop a report's findings of these rules that came from other stored reports (recomputed next)."""
    conn.execute(F.delete().where(F.c.report_id == report_id, F.c.rule.in_(rules), F.c.other_report_id.is_not(None)))


def _has(conn: sa.Connection, report_id: int, rule: str) -> bool:
    return conn.execute(sa.select(F.c.id).where(F.c.report_id == report_id, F.c.rule == rule).limit(1)
                        ).first() is not None


def _copied_across(conn: sa.Connection, report_id: int, report: Report, agency_id: int, year: int,
                   rules: StoreRules) -> set[int]:
    bands = schema.prose_bands
    mine = conn.execute(sa.select(bands.c.band, bands.c.hash).where(bands.c.report_id == report_id)).all()
    if not mine:
        return set()
    match = sa.or_(*(sa.and_(bands.c.band == band, bands.c.hash == value) for band, value in mine))
    candidates = sa.select(bands.c.report_id).distinct().join(R, R.c.id == bands.c.report_id).where(
        match, R.c.current, R.c.agency_id != agency_id, R.c.year.between(year - 1, year + 1)).subquery()
    rows = conn.execute(sa.select(R.c.id, R.c.signature).where(R.c.id.in_(sa.select(candidates.c.report_id)))
                        .order_by(R.c.id)).all()
    digest = conn.execute(sa.select(R.c.signature).where(R.c.id == report_id)).scalar_one() or b""
    touched = set()
    rule = "corpus.copied_text"
    for other_id, other_digest in rows:
        # Shared prose gives a report hundreds of band-sharing candidates in a large store;
        # the digest estimate drops the ones far from the threshold without decoding them,
        # so the cost per report stays flat as the store grows.
        if estimated_similarity(digest, other_digest or b"") < ESTIMATE_FLOOR:
            continue
        other = rules.load(other_id)
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


def _recount(conn: sa.Connection, report_ids: set[int]) -> None:
    def count(severity: str) -> sa.ScalarSelect[int]:
        return (sa.select(sa.func.count()).select_from(F)
                .where(F.c.report_id == R.c.id, F.c.severity == severity).scalar_subquery())

    conn.execute(R.update().where(R.c.id.in_(report_ids)).values(errors=count("error"), warnings=count("warning")))
