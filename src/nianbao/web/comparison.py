"""Compare cell by cell: one agency across years, or several agencies side by side in one year (issue #13).

A library (no FastAPI) over the store's own functions (``report_of``, ``values_of``, ``compare``), the
ones ``nianbao compare`` uses. A change is None when either value is unknown; a per cent is None from
0 or an unknown value (never a number made up from a blank).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import sqlalchemy as sa

from nianbao.check.labels import cell_name
from nianbao.models import Number
from nianbao.store import schema
from nianbao.store.queries import compare, report_of, values_of
from nianbao.templates import TEMPLATE_IDS, load_template, template_for_year

MAX_COLUMNS = 10


class ComparisonError(Exception):
    """A comparison that cannot be made as asked (one Chinese line)."""


def _names(conn: sa.Connection, ids: list[int]) -> dict[int, str]:
    R, A = schema.reports, schema.agencies
    rows = conn.execute(sa.select(R.c.id, A.c.name, R.c.agency.label("printed"))
                        .select_from(R.outerjoin(A, A.c.id == R.c.agency_id)).where(R.c.id.in_(ids))).all()
    return {r.id: str(r.name or r.printed or "") for r in rows}


def _template_of(conn: sa.Connection, report_id: int, year: int) -> Any:
    stored = conn.execute(sa.select(schema.reports.c.template).where(schema.reports.c.id == report_id)).scalar()
    return load_template(stored if stored in TEMPLATE_IDS else template_for_year(year))


def _rows(values: list[dict[str, Number | None]], template: Any, base_first: bool) -> list[dict[str, Any]]:
    """One row per key any column states: each column's value, and each column's change from the
    column before (``base_first=False``: across years) or from the first column (side by side)."""
    steps = ([compare(values[0], after) for after in values[1:]] if base_first
             else [compare(before, after) for before, after in pairwise(values)])
    keys = [c.key for c in compare(values[0], values[-1])]
    seen = set(keys)
    for step in steps:  # a key only a middle column states
        for change in step:
            if change.key not in seen:
                seen.add(change.key)
                keys.append(change.key)
    by_step = [{c.key: c for c in step} for step in steps]
    rows = []
    for key in keys:
        column = [v.get(key) for v in values]
        # A key neither report of a step states (years across two templates) has no change there.
        changes = [{"change": s[key].delta, "percent": s[key].percent} if key in s
                   else {"change": None, "percent": None} for s in by_step]
        rows.append({"key": key, "label": cell_name(template, key), "values": column, "changes": changes,
                     "changed": len(set(column)) > 1})
    return rows


def across_years(conn: sa.Connection, agency: str, years: list[int]) -> dict[str, Any]:
    """One agency's current reports for ``years`` (≥ 2, sorted), each year's change from the year before.
    Raises ComparisonError, or StoreError for an unknown agency or a missing year."""
    chosen = sorted(set(years))
    if len(chosen) < 2:
        raise ComparisonError("请至少选择两个不同的年度")
    if len(chosen) > MAX_COLUMNS:
        raise ComparisonError(f"一次最多对比 {MAX_COLUMNS} 个年度")
    ids = [report_of(conn, agency, y) for y in chosen]
    values = [values_of(conn, i) for i in ids]
    name = _names(conn, ids)[ids[-1]] or agency
    return {"mode": "years", "agency": name, "years": chosen, "columns": [f"{y}年" for y in chosen],
            "report_ids": ids, "rows": _rows(values, _template_of(conn, ids[-1], chosen[-1]), base_first=False)}


def side_by_side(conn: sa.Connection, agencies: list[str], year: int) -> dict[str, Any]:
    """Several agencies' current reports for ``year``, each one's difference from the first agency's.
    Raises ComparisonError, or StoreError for an unknown agency or one without that year."""
    wanted = [a.strip() for a in agencies if a.strip()]
    if len(wanted) < 2:
        raise ComparisonError("请至少选择两个机关")
    if len(wanted) > MAX_COLUMNS:
        raise ComparisonError(f"一次最多对比 {MAX_COLUMNS} 个机关")
    ids = [report_of(conn, a, year) for a in wanted]
    if len(set(ids)) < len(ids):
        raise ComparisonError("所选机关中有重复（同一机关的不同写法），请去掉重复的机关")
    names = _names(conn, ids)
    values = [values_of(conn, i) for i in ids]
    return {"mode": "agencies", "year": year, "agencies": [names[i] for i in ids],
            "columns": [names[i] for i in ids], "report_ids": ids,
            "rows": _rows(values, _template_of(conn, ids[0], year), base_first=True)}
