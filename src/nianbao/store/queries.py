"""Reading the store: find agencies and reports, compare years, sum cells over agencies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from nianbao.models import Finding, Number, Report
from nianbao.normalize import squeeze
from nianbao.store import schema
from nianbao.store.db import StoreError, resolve_merged
from nianbao.store.record import decode_report

R, A, V, F, N = schema.reports, schema.agencies, schema.values, schema.findings, schema.agency_names


def number(value: object) -> Number | None:
    """A stored value as the parser had it: integral amounts back to int (PostgreSQL gives floats)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    assert isinstance(value, int | float)
    return value


@dataclass
class Filters:
    year: int | None = None
    region: str | None = None
    agency: str | None = None
    has_errors: bool = False
    rule: str | None = None
    template: str | None = None
    all_versions: bool = False
    level: str | None = None  # the agency's 省级/市级/县级/乡级


def find_agency(conn: sa.Connection, text: str) -> int:
    """The agency a user means: a name seen in a report, the same normalised name, or a unique part."""
    from nianbao.store.agencies import resolve

    name = squeeze(text)
    found = conn.execute(sa.select(N.c.agency_id).where(N.c.name == name)).scalar()
    if found is None:
        found = conn.execute(sa.select(A.c.id).where(A.c.key == resolve(name).key)).scalar()
    if found is None:
        like = conn.execute(sa.select(A.c.id, A.c.name).where(A.c.name.contains(name), A.c.merged_into.is_(None))
                            ).all()
        if len(like) > 1:
            raise StoreError(f"“{text}”对应多个机关：" + "、".join(r.name for r in like[:8]))
        found = like[0].id if like else None
    if found is None:
        raise StoreError(f"数据库中没有机关“{text}”")
    return resolve_merged(conn, found)


def select_reports(conn: sa.Connection, filters: Filters) -> sa.Select[tuple[object, ...]]:
    query = (sa.select(R.c.id, R.c.year, R.c.template, R.c.version, R.c.current, R.c.errors, R.c.warnings,
                       R.c.path, R.c.agency.label("printed"), A.c.name.label("agency"), A.c.province, A.c.city,
                       A.c.county, A.c.level)
             .select_from(R.outerjoin(A, A.c.id == R.c.agency_id)).order_by(A.c.name, R.c.year, R.c.version))
    if not filters.all_versions:
        query = query.where(R.c.current)
    if filters.year is not None:
        query = query.where(R.c.year == filters.year)
    if filters.template:
        query = query.where(R.c.template == filters.template)
    if filters.has_errors:
        query = query.where(R.c.errors > 0)
    if filters.level and filters.level.strip():
        query = query.where(A.c.level == filters.level.strip())
    if filters.region:
        region = squeeze(filters.region)
        parts = [p for p in region.replace("／", "/").split("/") if p]
        for part in parts:
            query = query.where(sa.or_(A.c.province == part, A.c.city == part, A.c.county == part))
    if filters.agency:
        query = query.where(R.c.agency_id == find_agency(conn, filters.agency))
    if filters.rule:
        query = query.where(sa.exists().where(F.c.report_id == R.c.id, F.c.rule == filters.rule))
    return query


def stored_report(conn: sa.Connection, report_id: int) -> Report:
    """A stored report as parse made it, with every finding the store holds (cross-report ones too)."""
    report = decode_report(conn.execute(sa.select(R.c.document).where(R.c.id == report_id)).scalar_one())
    rows = conn.execute(sa.select(F).where(F.c.report_id == report_id).order_by(F.c.id)).all()
    report.findings = sorted((Finding(rule=r.rule, severity=r.severity, message=r.message,
                                      keys=[k for k in r.keys.split(",") if k], line=r.line, place=r.place)
                              for r in rows), key=lambda f: (f.line or 0, f.rule))
    return report


def report_of(conn: sa.Connection, agency: str, year: int) -> int:
    agency_id = find_agency(conn, agency)
    found = conn.execute(sa.select(R.c.id).where(R.c.agency_id == agency_id, R.c.year == year, R.c.current)
                         ).scalar()
    if found is None:
        name = conn.execute(sa.select(A.c.name).where(A.c.id == agency_id)).scalar_one()
        raise StoreError(f"数据库中没有{name} {year} 年度的报告")
    return int(found)


def values_of(conn: sa.Connection, report_id: int) -> dict[str, Number | None]:
    return {r.key: number(r.value) for r in conn.execute(sa.select(V.c.key, V.c.value)
                                                        .where(V.c.report_id == report_id))}


@dataclass(frozen=True)
class Change:
    key: str
    before: Number | None
    after: Number | None

    @property
    def delta(self) -> Number | None:
        if self.before is None or self.after is None:
            return None
        return number(Decimal(str(self.after)) - Decimal(str(self.before)))

    @property
    def percent(self) -> float | None:
        """The change in per cent of the earlier value (None from 0 or an unknown value)."""
        if self.before is None or self.after is None or self.before == 0:
            return None
        return round(float((Decimal(str(self.after)) - Decimal(str(self.before))) / Decimal(str(self.before))
                           * 100), 1)


def compare(before: dict[str, Number | None], after: dict[str, Number | None]) -> list[Change]:
    """Cell by cell over the keys of both years (the later year's order first)."""
    keys = [*after, *(k for k in before if k not in after)]
    return [Change(k, before.get(k), after.get(k)) for k in keys]


@dataclass
class Group:
    name: str
    template: str
    reports: int = 0
    sums: dict[str, Decimal] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)  # key → reports where it is null

    def complete(self) -> dict[str, Number | None]:
        """The sums, None where some report leaves the cell unknown (its sum is then a lower bound)."""
        return {k: None if self.unknown.get(k) else number(v) for k, v in self.sums.items()}


def _group_name(row: Any, by: str) -> str:
    if by == "level":
        return str(row.level or "未知层级")
    if by == "year":
        return str(row.year)
    if by == "province":
        return str(row.province or "未知地区")
    parts = [p for p in (row.province, row.city) if p]
    return "/".join(str(p) for p in parts) if parts else "未知地区"


def summary(conn: sa.Connection, filters: Filters, by: str) -> list[Group]:
    """Sums of every cell per group (region: province/city; level; province; year) and template."""
    reports = select_reports(conn, filters).subquery()
    groups: dict[tuple[str, str], Group] = {}
    members: dict[int, Group] = {}
    for row in conn.execute(sa.select(reports)):
        name = _group_name(row, by)
        group = groups.setdefault((name, str(row.template)), Group(name, str(row.template)))
        group.reports += 1
        members[row.id] = group
    cells = sa.select(V.c.report_id, V.c.key, V.c.value).join(reports, reports.c.id == V.c.report_id)
    for key_row in conn.execute(cells):
        group = members[key_row.report_id]
        group.sums.setdefault(key_row.key, Decimal(0))
        if key_row.value is None:
            group.unknown[key_row.key] = group.unknown.get(key_row.key, 0) + 1
        else:
            group.sums[key_row.key] += Decimal(str(key_row.value))
    return sorted(groups.values(), key=lambda g: (g.template, g.name))


def identity_problems_of(group: Group, year: int | None) -> list[str]:
    """The template identities the group's sums break (over the cells every report states)."""
    from nianbao.render import ReportData, identity_problems

    values = {k: v for k, v in group.complete().items() if v is not None}
    data = ReportData.model_validate({"meta": {"year": year or 2021, "agency": group.name,
                                               "template": group.template}, "values": values})
    return identity_problems(data)


def report_rows(conn: sa.Connection, filters: Filters) -> Iterator[tuple[Any, dict[str, Number | None]]]:
    """Each selected report with its values, streamed (one report's values in memory at a time)."""
    return query_rows(conn, select_reports(conn, filters))


def query_rows(conn: sa.Connection, query: sa.Select[tuple[object, ...]]
               ) -> Iterator[tuple[Any, dict[str, Number | None]]]:
    """Each report a ``select_reports`` query (perhaps narrowed further) selects, with its values:
    one query by report id, one report's values in memory at a time."""
    reports = query.subquery()
    meta = {row.id: row for row in conn.execute(sa.select(reports))}
    current: int | None = None
    values: dict[str, Number | None] = {}
    cells = (sa.select(V.c.report_id, V.c.key, V.c.value).join(reports, reports.c.id == V.c.report_id)
             .order_by(V.c.report_id))
    for row in conn.execute(cells.execution_options(yield_per=5000)):
        if row.report_id != current:
            if current is not None:
                yield meta.pop(current), values
            current, values = row.report_id, {}
        values[row.key] = number(row.value)
    if current is not None:
        yield meta.pop(current), values
    for row in meta.values():  # reports without values (none stored)
        yield row, {}
