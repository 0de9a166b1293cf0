"""The dashboard's numbers: totals by year and by region, the outcome mix of requests, appeal outcomes,
the most frequent findings (issue #13). A library (no FastAPI).

The rows summed come from the template data (the requests table's 三、本年度办理结果 groups, the
appeals table's rows and columns), never from keys written here. Sums are taken in SQL over the
selected reports; a sum is a number only when every report of its group states every cell in it,
otherwise it is None with the count of reports that left some of it blank (a partial sum would
read as a total and be wrong).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import KeyedColumnElement

from nianbao.check import RULES
from nianbao.models import Number
from nianbao.store import schema
from nianbao.store.queries import number
from nianbao.templates import TEMPLATE_IDS, cell_key, load_template

V, F = schema.values, schema.findings
RESULTS_RULE = "requests.results_total"  # the identity whose terms are the outcome rows (（七）总计 = their sum)
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
    # The outcome rows are the terms of the template's own results identity, not a label matched here.
    terms = {term.removesuffix(".{col}") for identity in table.identities if identity.rule == RESULTS_RULE
             for term in identity.right}
    categories: dict[str, list[str]] = {}
    for block, row in table.rows():
        groups = list(row.groups)
        if row.extra or row.key not in terms:
            continue
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


Group = tuple[Any, ...]  # the values of the grouping columns (year, template) or (province, city, template)


def _where(dims: Sequence[sa.ColumnElement[Any]], group: Group) -> sa.ColumnElement[bool]:
    return sa.and_(*(d.is_(None) if v is None else d == v for d, v in zip(dims, group, strict=True)))


def _totals(conn: sa.Connection, chosen: sa.Subquery, names: list[str], reports: dict[Group, int],
            keys: dict[str, list[str]]) -> tuple[dict[tuple[Group, str], Decimal], dict[tuple[Group, str], set[int]]]:
    """Per group and key: the sum of the stated values, and the reports that leave the cell
    unknown (a NULL value, or no row at all). One pass over the keys' values grouped in SQL;
    then only the NULL rows (the sum index's first range of each key) and, where a group has
    fewer rows of a key than reports, the reports without one."""
    if not any(keys.values()) or not reports:
        return {}, {}
    # The selected ids and groups copied once into a narrow temporary table keyed by id: each
    # value found through the sum index then looks up a small table, not a wide report row (which
    # holds its compressed parse), and the planner sees a real primary key to drive the join by.
    # Named by its columns and emptied first: a rolled-back DROP may leave it on a pooled connection.
    narrow = sa.Table("dashboard_chosen_" + "_".join(names), sa.MetaData(),
                      sa.Column("id", sa.Integer, primary_key=True),
                      *(sa.Column(n, chosen.c[n].type) for n in names), prefixes=["TEMPORARY"])
    narrow.create(conn, checkfirst=True)
    try:
        conn.execute(narrow.delete())
        conn.execute(narrow.insert().from_select(["id", *names],
                                                 sa.select(chosen.c.id, *(chosen.c[n] for n in names))))
        return _sums(conn, narrow, names, reports, keys)
    finally:
        narrow.drop(conn)


def _sums(conn: sa.Connection, narrow: sa.Table, names: list[str], reports: dict[Group, int],
          keys: dict[str, list[str]]) -> tuple[dict[tuple[Group, str], Decimal], dict[tuple[Group, str], set[int]]]:
    sums: dict[tuple[Group, str], Decimal] = {}
    blank: dict[tuple[Group, str], set[int]] = {}
    dims = [narrow.c[n] for n in names]
    joined = (sa.select(*dims, V.c.key).select_from(V).join(narrow, narrow.c.id == V.c.report_id)
              .where(V.c.key.in_(sorted({k for of_template in keys.values() for k in of_template}))))
    stored_rows: dict[tuple[Group, str], int] = {}
    for row in conn.execute(joined.add_columns(sa.func.sum(V.c.value), sa.func.count())
                            .group_by(*dims, V.c.key)):
        group, key = tuple(row[:len(dims)]), str(row[len(dims)])
        if row[len(dims) + 1] is not None:
            sums[group, key] = Decimal(str(number(row[len(dims) + 1])))
        stored_rows[group, key] = int(row[len(dims) + 2])
    # A key of the group's template with fewer rows than reports (none at all included: no row
    # comes back for it) has reports that do not state it.
    short = [(group, key) for group, n in reports.items() for key in keys[str(group[-1])]
             if stored_rows.get((group, key), 0) < n]
    for row in conn.execute(joined.add_columns(V.c.report_id).where(V.c.value.is_(None))):
        blank.setdefault((tuple(row[:len(dims)]), str(row[len(dims)])), set()).add(int(row[-1]))
    stored = sa.exists().where(V.c.report_id == narrow.c.id, V.c.key == sa.bindparam("key"))
    for group, key in short:  # rare: a parse that did not store a cell of its own template
        missing = sa.select(narrow.c.id).where(_where(dims, group), ~stored)
        blank.setdefault((group, key), set()).update(int(i) for i in conn.execute(missing, {"key": key}).scalars())
    return sums, blank


def _total(measure: Measure, group: Group, reports: int, sums: dict[tuple[Group, str], Decimal],
           blank: dict[tuple[Group, str], set[int]]) -> Total:
    """A measure over a group: a number only when no report of the group leaves one of its cells
    unknown (a report counted once however many of its cells are blank)."""
    unknown: set[int] = set()
    for key in measure.keys:
        unknown |= blank.get((group, key), set())
    value = number(sum((sums.get((group, k), Decimal(0)) for k in measure.keys), Decimal(0)))
    return Total(measure.name, None if unknown or reports == 0 else value, len(unknown))


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
    reports = {tuple(row[:len(dims)]): int(row[len(dims)]) for row in counts}
    templates = {str(group[-1]) for group in reports}
    keys = {t: sorted({k for m in _measures(t) for k in m.keys}) for t in templates}  # per template
    sums, blank = _totals(conn, chosen, [d.name for d in dims], reports, keys)
    out = []
    for row in counts:
        group = tuple(row[:len(dims)])
        template = str(group[-1])
        n = reports[group]
        total = partial(_total, group=group, reports=n, sums=sums, blank=blank)
        if by == "year":
            name = "未知年度" if group[0] is None else str(group[0])
        else:
            name = "/".join(str(p) for p in group[:2] if p) or "未知地区"
        new_key = new_requests_key(template)
        new = total(Measure("本年新收申请", (new_key,))) if new_key else None
        outcomes = [total(m) for m in outcome_measures(template)]
        _, appeal_rows = appeal_grid(template)
        appeals = [{"name": label, "cells": [total(m) for m in measures]} for label, measures in appeal_rows]
        out.append(GroupTotals(name=name, template=template, reports=n, with_errors=int(row[len(dims) + 1] or 0),
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
