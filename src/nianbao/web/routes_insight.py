"""Dashboard, compare and exports from lists (issue #13).

Everything here reads through the store's own functions (``nianbao.store.export.export``,
``queries.compare``, ``queries.summary``), the same the CLI's ``export``, ``compare`` and
``summary`` use; this module only turns their results into pages, JSON and downloads.
"""

from __future__ import annotations

import os
import tempfile
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask

from nianbao.check.labels import cell_name
from nianbao.models import Number
from nianbao.store import schema
from nianbao.store.db import StoreError
from nianbao.store.export import ExportFormat, export
from nianbao.store.queries import Filters, compare, number, report_of, select_reports, summary, values_of
from nianbao.templates import load_template, template_for_year
from nianbao.web.app import WebError, current, render, store_of

router = APIRouter()
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TOP_RULES = 15
RESULTS_GROUP = "三、本年度办理结果"  # the requests table's outcome rows, as the template groups them
MAX_YEARS = 10


def _blank(text: str | None) -> str | None:
    return (text or "").strip() or None


def _year(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise WebError(400, f"年度“{value}”不是数字")
    return int(value)


def _filters(year: str | None, region: str | None, agency: str | None, level: str | None, template: str | None,
             rule: str | None, has_errors: bool) -> Filters:
    if _blank(level):
        # The store's export selects by Filters, which has no level; exporting more than asked is worse than refusing.
        raise WebError(400, "导出暂不支持按层级筛选，请清空“层级”后再导出")
    return Filters(year=_year(year), region=_blank(region), agency=_blank(agency), template=_blank(template),
                   rule=_blank(rule), has_errors=has_errors)


def _download(request: Request, filters: Filters, fmt: ExportFormat) -> Response:
    handle, name = tempfile.mkstemp(prefix="nianbao-export-", suffix=f".{fmt}")
    os.close(handle)  # export() rewrites the file; mkstemp only reserved a private, unique name
    out = Path(name)
    try:
        with store_of(request).engine.connect() as conn:
            export(conn, filters, fmt, out)
    except StoreError as exc:
        out.unlink(missing_ok=True)
        raise WebError(404, str(exc)) from None
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    stem = "nianbao-export" + (f"-{filters.year}" if filters.year is not None else "")
    return FileResponse(out, media_type=MEDIA[fmt], filename=f"{stem}.{fmt}",
                        background=BackgroundTask(out.unlink, missing_ok=True))


@router.get("/export.csv")
def export_csv(request: Request, year: str | None = None, region: str | None = None, agency: str | None = None,
               level: str | None = None, template: str | None = None, rule: str | None = None,
               has_errors: bool = False) -> Response:
    """The reports the list's filters select, one row each, one column per key (UTF-8 CSV with a BOM)."""
    current(request)
    return _download(request, _filters(year, region, agency, level, template, rule, has_errors), "csv")


@router.get("/export.xlsx")
def export_xlsx(request: Request, year: str | None = None, region: str | None = None, agency: str | None = None,
                level: str | None = None, template: str | None = None, rule: str | None = None,
                has_errors: bool = False) -> Response:
    """The same rows as /export.csv, as an Excel workbook with Chinese headers."""
    current(request)
    return _download(request, _filters(year, region, agency, level, template, rule, has_errors), "xlsx")


# ---- compare -------------------------------------------------------------------------------------------------


def _comparison(request: Request, agency: str, years: list[int]) -> dict[str, Any]:
    chosen = sorted(set(years))
    if len(chosen) < 2:
        raise WebError(400, "请至少选择两个不同的年度")
    if len(chosen) > MAX_YEARS:
        raise WebError(400, f"一次最多对比 {MAX_YEARS} 个年度")
    with store_of(request).engine.connect() as conn:
        try:
            ids = [report_of(conn, agency, y) for y in chosen]
        except StoreError as exc:
            raise WebError(404, str(exc)) from None
        values = [values_of(conn, i) for i in ids]
        name = conn.execute(sa.select(schema.agencies.c.name).join(
            schema.reports, schema.reports.c.agency_id == schema.agencies.c.id)
            .where(schema.reports.c.id == ids[-1])).scalar()
    steps = [compare(before, after) for before, after in pairwise(values)]
    keys = [c.key for c in compare(values[0], values[-1])]
    for step in steps:  # a key only a middle year states
        keys += [c.key for c in step if c.key not in keys]
    by_step = [{c.key: c for c in step} for step in steps]
    template = load_template(template_for_year(chosen[-1]))
    rows = []
    for key in keys:
        changes = [{"change": s[key].delta, "percent": s[key].percent} for s in by_step]
        rows.append({"key": key, "label": cell_name(template, key), "values": [v.get(key) for v in values],
                     "changes": changes, "changed": len({v.get(key) for v in values}) > 1})
    return {"agency": name or agency, "years": chosen, "report_ids": ids, "rows": rows}


def _agency_names(request: Request) -> list[str]:
    A = schema.agencies
    with store_of(request).engine.connect() as conn:
        return [str(n) for n in conn.execute(sa.select(A.c.name).where(A.c.merged_into.is_(None))
                                             .order_by(A.c.name).limit(2000)).scalars()]


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, agency: str | None = None, years: Annotated[list[str] | None, Query()] = None,
                 changed: bool = False) -> Response:
    session = current(request)
    picked = [y for y in (_year(v) for v in years or []) if y is not None]
    wanted = _blank(agency)
    result = _comparison(request, wanted, picked) if wanted else None
    if result is not None and changed:
        result["rows"] = [r for r in result["rows"] if r["changed"]]
    return render(request, "compare.html.j2", {"session": session, "agency": agency or "", "years": picked,
                                               "changed": changed, "result": result,
                                               "agencies": _agency_names(request)})


@router.get("/api/compare")
def compare_api(request: Request, agency: str, years: Annotated[list[int], Query(ge=1900, le=2200)],
                changed: bool = False) -> dict[str, Any]:
    """One agency across years, cell by cell: each year's value and the change (and per cent) from the year before."""
    current(request)
    result = _comparison(request, agency.strip(), years)
    if changed:
        result["rows"] = [r for r in result["rows"] if r["changed"]]
    return result


# ---- dashboard -----------------------------------------------------------------------------------------------


def _outcome_rows(template_id: str) -> list[tuple[str, list[str]]]:
    """The outcome categories (予以公开, 部分公开, 不予公开 …) and the ``.total`` keys each sums, from the template."""
    table = load_template(template_id).table("requests")
    if table is None:
        return []
    categories: dict[str, list[str]] = {}
    for _, row in table.rows():
        groups = list(row.groups)
        if row.extra or not groups or groups[0] != RESULTS_GROUP or row.key == "requests.total":
            continue
        categories.setdefault(groups[1] if len(groups) > 1 else row.label, []).append(f"{row.key}.total")
    return list(categories.items())


def _sum(values: dict[str, Number | None], keys: list[str]) -> Number | None:
    """The sum over keys, None when any is unknown (a partial sum would be a wrong number)."""
    parts = [values.get(k) for k in keys]
    if any(p is None for p in parts):
        return None
    return number(sum(p for p in parts if p is not None))


def _summary(request: Request, year: int | None, region: str | None) -> dict[str, Any]:
    filters = Filters(year=year, region=_blank(region))
    F = schema.findings
    with store_of(request).engine.connect() as conn:
        try:
            groups = summary(conn, filters, "year")
            chosen = select_reports(conn, filters).subquery()
        except StoreError as exc:
            raise WebError(404, str(exc)) from None
        counts = conn.execute(sa.select(F.c.rule, F.c.severity, sa.func.count().label("n"),
                                        sa.func.count(sa.distinct(F.c.report_id)).label("reports"))
                              .join(chosen, chosen.c.id == F.c.report_id)
                              .group_by(F.c.rule, F.c.severity).order_by(sa.desc("n"), F.c.rule)
                              .limit(TOP_RULES)).all()
    from nianbao.check import RULES

    years = []
    for g in sorted(groups, key=lambda g: (g.name, g.template)):
        complete = g.complete()
        new = complete.get("requests.new_received.total")
        outcomes = [{"name": name, "value": _sum(complete, keys),
                     "unknown": sum(g.unknown.get(k, 0) for k in keys) > 0} for name, keys in _outcome_rows(g.template)]
        years.append({"year": g.name, "template": g.template, "reports": g.reports,
                      "new_requests": new, "new_requests_unknown": bool(g.unknown.get("requests.new_received.total")),
                      "outcomes": outcomes})
    rules = [{"rule": r.rule, "title": RULES[r.rule].title if r.rule in RULES else None, "severity": r.severity,
              "findings": r.n, "reports": r.reports} for r in counts]
    return {"year": year, "region": _blank(region), "years": years, "rules": rules}


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request, year: str | None = None, region: str | None = None) -> Response:
    session = current(request)
    return render(request, "dashboard.html.j2", {"session": session, "region": region or "",
                                                 **_summary(request, _year(year), region)})


@router.get("/api/summary")
def summary_api(request: Request, year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
                region: str | None = None) -> dict[str, Any]:
    """Totals by year and template: reports, new requests, the outcome mix; and the most frequent finding rules."""
    current(request)
    return _summary(request, year, region)
