"""The dashboard's numbers: totals by year and by region, the outcome mix of requests, appeal outcomes,
the most frequent findings (issue #13). A library (no FastAPI).

The rows summed come from the template data (the requests table's 三、本年度办理结果 groups, the
appeals table's rows and columns), never from keys written here. Sums are taken in SQL over the
selected reports; a sum is a number only when every report of its group states every cell in it,
otherwise it is None with the count of reports that left some of it blank (a partial sum would
read as a total and be wrong).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import KeyedColumnElement

from nianbao.check import RULES
from nianbao.models import Number
from nianbao.store import schema
from nianbao.store.queries import number
from nianbao.templates import TEMPLATE_IDS, cell_key, load_template

V, F = schema.values, schema.findings
RESULTS_GROUP = "三、本年度办理结果"  # the requests table's outcome rows, as the template groups them
NEW_REQUESTS = ("requests", "new_received")  # (table, row suffix) of 本年新收申请, located in the template
TOP_RULES = 15


@dataclass(frozen=True)
class Measure:
    """A named sum of cells (one key, or the rows of an outcome category)."""

    name: str
    keys: tuple[str, ...]


@dataclass
class Total:
    """A measure's sum over a group: ``value`` None when ``blank`` reports left some of its cells unknown."""

    name: str
    value: Number | None
    blank: int


@dataclass
class GroupTotals:
    name: str  # the year, or the region (省/市)
    template: str
    reports: int
    with_errors: int
    findings: int
    new_requests: Total | None  # None: the template has no such row (legacy)
    outcomes: list[Total] = field(default_factory=list)
    appeals: list[dict[str, Any]] = field(default_factory=list)  # {"name", "cells": [Total per column]}


def _template(template_id: str) -> Any:
    return load_template(template_id) if template_id in TEMPLATE_IDS else None


def new_requests_key(template_id: str) -> str | None:
    """本年新收申请's 总计 cell, or None when the template has no requests table (legacy)."""
    template = _template(template_id)
    table = template.table(NEW_REQUESTS[0]) if template else None
    if table is None:
        return None
    for block, row in table.rows():
        if row.key.endswith("." + NEW_REQUESTS[1]) and not row.extra:
            return cell_key(row.key, block.columns[-1].key)
    return None


def outcome_measures(template_id: str) -> list[Measure]:
    """The outcome categories (予以公开, 部分公开, 不予公开 …), each summing the 总计 column of its rows."""
    template = _template(template_id)
    table = template.table("requests") if template else None
    if table is None:
        return []
    categories: dict[str, list[str]] = {}
    for block, row in table.rows():
        groups = list(row.groups)
        if row.extra or not groups or groups[0] != RESULTS_GROUP or row.label.endswith("总计"):
            continue  # (七)总计 is the sum of the categories, not one of them
        total_column = block.columns[-1].key  # 总计, the last column
        # A row's shortest printed form names it ((二)部分公开 without its long parenthesis).
        name = groups[1] if len(groups) > 1 else min((row.label, *row.variants), key=len)
        categories.setdefault(name, []).append(cell_key(row.key, total_column))
    return [Measure(name, tuple(keys)) for name, keys in categories.items()]


def appeal_grid(template_id: str) -> tuple[list[str], list[tuple[str, list[Measure]]]]:
    """The appeals table (表四) as the template has it: the outcome column names (结果维持, 结果纠正,
    其他结果, 尚未审结, 总计) and per row (行政复议, 行政诉讼 …) one measure per column."""
    template = _template(template_id)
    table = template.table("appeals") if template else None
    if table is None:
        return [], []
    columns: list[str] = []
    rows = []
    for block, row in table.rows():
        columns = columns or [c.label for c in block.columns]
        label = "".join(f"{g}·" for g in row.groups) + row.label
        rows.append((label, [Measure(c.label, (cell_key(row.key, c.key),)) for c in block.columns]))
    return columns, rows


Found = dict[tuple[Any, ...], tuple[Number | None, int]]  # group → (sum over its reports, reports stating it all)


def _totals(conn: sa.Connection, chosen: sa.Subquery, dims: list[KeyedColumnElement[Any]],
            measures: list[tuple[str, ...]]) -> dict[tuple[str, ...], Found]:
    """Per measure (its keys) and group: the sum over the group's reports and how many reports
    state every cell of it. One pass over the values: per report first, then per group."""
    if not measures:
        return {}
    columns = []
    for i, keys in enumerate(measures):
        inside = V.c.key.in_(keys)
        columns.append(sa.func.sum(sa.case((inside, V.c.value))).label(f"s{i}"))
        columns.append(sa.func.sum(sa.case((sa.and_(inside, V.c.value.is_not(None)), 1), else_=0)).label(f"k{i}"))
    wanted = sorted({k for keys in measures for k in keys})
    per_report = (sa.select(*dims, V.c.report_id, *columns).join(chosen, chosen.c.id == V.c.report_id)
                  .where(V.c.key.in_(wanted)).group_by(*dims, V.c.report_id).subquery())
    outer_dims = [per_report.c[d.name] for d in dims]
    sums = []
    for i, keys in enumerate(measures):
        sums += [sa.func.sum(per_report.c[f"s{i}"]),
                 sa.func.sum(sa.case((per_report.c[f"k{i}"] == len(keys), 1), else_=0))]
    found: dict[tuple[str, ...], Found] = {keys: {} for keys in measures}
    for row in conn.execute(sa.select(*outer_dims, *sums).group_by(*outer_dims)):
        group = tuple(row[:len(dims)])
        for i, keys in enumerate(measures):
            at = len(dims) + 2 * i
            found[keys][group] = (number(row[at]), int(row[at + 1] or 0))
    return found


def _total(name: str, found: Found, group: tuple[Any, ...], reports: int) -> Total:
    value, complete = found.get(group, (None, 0))
    blank = reports - complete  # a report without the cell stored at all is blank too
    return Total(name, value if blank == 0 and value is not None else None, blank)


def _measures(template_id: str) -> list[Measure]:
    """Every measure the dashboard shows for a template."""
    new_key = new_requests_key(template_id)
    appeals = [m for _, row in appeal_grid(template_id)[1] for m in row]
    return [*([Measure("new", (new_key,))] if new_key else []), *outcome_measures(template_id), *appeals]


def group_totals(conn: sa.Connection, chosen: sa.Subquery, by: str) -> list[GroupTotals]:
    """Totals per group of the selected reports (``chosen``: the list's query as a subquery):
    ``by="year"`` groups by year and template, ``by="region"`` by province/city and template."""
    dims: list[KeyedColumnElement[Any]] = ([chosen.c.year, chosen.c.template] if by == "year"
                                         else [chosen.c.province, chosen.c.city, chosen.c.template])
    counts = conn.execute(sa.select(*dims, sa.func.count(), sa.func.sum(sa.case((chosen.c.errors > 0, 1), else_=0)),
                                    sa.func.sum(chosen.c.errors + chosen.c.warnings))
                          .group_by(*dims)).all()
    templates = {str(row[len(dims) - 1]) for row in counts}
    measures = {m.keys for t in templates for m in _measures(t)}
    totals = _totals(conn, chosen, dims, sorted(measures))

    def found(measure: Measure) -> Found:
        return totals[measure.keys]

    out = []
    for row in counts:
        group = tuple(row[:len(dims)])
        template = str(group[-1])
        reports = int(row[len(dims)])
        if by == "year":
            name = "未知年度" if group[0] is None else str(group[0])
        else:
            name = "/".join(str(p) for p in group[:2] if p) or "未知地区"
        new_key = new_requests_key(template)
        new = _total("本年新收申请", found(Measure("new", (new_key,))), group, reports) if new_key else None
        outcomes = [_total(m.name, found(m), group, reports) for m in outcome_measures(template)]
        _, appeal_rows = appeal_grid(template)
        appeals = [{"name": label, "cells": [_total(m.name, found(m), group, reports) for m in measures]}
                   for label, measures in appeal_rows]
        out.append(GroupTotals(name=name, template=template, reports=reports, with_errors=int(row[len(dims) + 1] or 0),
                               findings=int(row[len(dims) + 2] or 0), new_requests=new, outcomes=outcomes,
                               appeals=appeals))
    if by == "year":  # years in order, an unknown year first (so the last group is the latest year)
        return sorted(out, key=lambda g: (g.name.isdigit(), g.name, g.template))
    return sorted(out, key=lambda g: (-g.reports, g.name, g.template))


def top_rules(conn: sa.Connection, chosen: sa.Subquery, limit: int = TOP_RULES) -> list[dict[str, Any]]:
    """The most frequent finding rules over the selected reports, with their title from the registry."""
    rows = conn.execute(sa.select(F.c.rule, F.c.severity, sa.func.count().label("n"),
                                  sa.func.count(sa.distinct(F.c.report_id)).label("reports"))
                        .join(chosen, chosen.c.id == F.c.report_id)
                        .group_by(F.c.rule, F.c.severity).order_by(sa.desc("n"), F.c.rule).limit(limit)).all()
    return [{"rule": r.rule, "title": RULES[r.rule].title if r.rule in RULES else None, "severity": r.severity,
             "findings": int(r.n), "reports": int(r.reports)} for r in rows]


def as_dict(group: GroupTotals) -> dict[str, Any]:
    return asdict(group)
