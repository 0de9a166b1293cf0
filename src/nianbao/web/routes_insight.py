"""Dashboard, compare and exports from the list (issue #13): pages, JSON and downloads.

The numbers come from library modules with no FastAPI in them (``dashboard``, ``comparison``,
``exports``, ``dashboard_charts``), which read through the store's own functions; this module turns
filters into their arguments and their results into pages, JSON and files.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from nianbao.store import schema
from nianbao.store.db import StoreError
from nianbao.store.export import ExportFormat
from nianbao.web import dashboard_charts as charts
from nianbao.web.app import WebError, current, render, store_of
from nianbao.web.comparison import ComparisonError, across_years, side_by_side
from nianbao.web.dashboard import as_dict, group_totals, top_rules
from nianbao.web.exports import ExportError, bounded_ids, letters_zip, review_html, selection, write_table
from nianbao.web.routes_letters import _template as letter_template
from nianbao.web.routes_letters import content_disposition
from nianbao.web.routes_reports import LEVELS, ListQuery

router = APIRouter()
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "zip": "application/zip", "html": "text/html; charset=utf-8"}
SVG = "image/svg+xml"
YearQ = Annotated[int | None, Query(ge=1900, le=2200)]


def _blank(text: str | None) -> str | None:
    return (text or "").strip() or None


def _year(value: str | None) -> int | None:
    """A year from a form field: empty is none; anything but digits is a 400 in Chinese."""
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit() or not 1900 <= int(value) <= 2200:
        raise WebError(400, f"年度“{value}”不是有效的年份")
    return int(value)


def _wanted(year: str | None = None, region: str | None = None, agency: str | None = None, level: str | None = None,
            template: str | None = None, rule: str | None = None, has_errors: bool = False) -> ListQuery:
    """The list's filters, by keyword (the list's own ListQuery, so exports select what the list shows).
    Also the routes' query parameters, as a dependency (``Filters``)."""
    return ListQuery(year=_year(year), region=_blank(region), agency=_blank(agency), level=_blank(level),
                     template=_blank(template), rule=_blank(rule), has_errors=has_errors)


Filters = Annotated[ListQuery, Depends(_wanted)]


@contextmanager
def _connection(request: Request) -> Iterator[sa.Connection]:
    """A store connection whose store and export errors become one-line answers."""
    try:
        with store_of(request).engine.connect() as conn:
            yield conn
    except StoreError as exc:
        raise WebError(404, str(exc)) from None
    except (ExportError, ComparisonError) as exc:
        raise WebError(400, str(exc)) from None


def _stem(wanted: ListQuery) -> str:
    return "nianbao-export" + (f"-{wanted.year}" if wanted.year is not None else "")


def _file(write: Callable[[Path], object], suffix: str, name: str, fallback: str) -> Response:
    """Write to a private temporary file and send it (removed once sent, or on failure)."""
    handle, temp = tempfile.mkstemp(prefix="nianbao-export-", suffix=suffix)
    os.close(handle)  # the writer rewrites the file; mkstemp only reserved a private, unique name
    out = Path(temp)
    try:
        write(out)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return FileResponse(out, media_type=MEDIA[suffix.lstrip(".")], background=BackgroundTask(out.unlink,
                                                                                              missing_ok=True),
                        headers={"Content-Disposition": content_disposition(name, fallback)})


def _table_download(request: Request, wanted: ListQuery, fmt: ExportFormat) -> Response:
    def write(out: Path) -> None:
        with _connection(request) as conn:
            write_table(conn, selection(conn, wanted), fmt, out)

    name = f"{_stem(wanted)}.{fmt}"
    return _file(write, f".{fmt}", name, name)


@router.get("/export.csv")
def export_csv(request: Request, wanted: Filters) -> Response:
    """The reports the list's filters select, one row each, one column per key (UTF-8 CSV with a BOM)."""
    current(request)
    return _table_download(request, wanted, "csv")


@router.get("/export.xlsx")
def export_xlsx(request: Request, wanted: Filters) -> Response:
    """The same rows as /export.csv, as an Excel workbook with Chinese headers."""
    current(request)
    return _table_download(request, wanted, "xlsx")


@router.get("/export/review.html")
def export_review(request: Request, wanted: Filters) -> Response:
    """The review page ``nianbao check --html`` writes, for the list's reports (at most 2,000), as a file."""
    current(request)
    with _connection(request) as conn:
        page = review_html(conn, bounded_ids(conn, selection(conn, wanted)))
    return Response(page, media_type=MEDIA["html"],
                    headers={"Content-Disposition": content_disposition(f"审核页面-{_stem(wanted)}.html",
                                                                        f"review-{_stem(wanted)}.html")})


@router.get("/export/letters.zip")
def export_letters(request: Request, wanted: Filters) -> Response:
    """One 审核意见 DOCX per report of the list (at most 2,000), with its 确认 findings, in one zip."""
    current(request)
    wording = letter_template(request)
    with _connection(request) as conn:
        ids = bounded_ids(conn, selection(conn, wanted))
    disposition = content_disposition(f"审核意见-{_stem(wanted)}.zip", f"letters-{_stem(wanted)}.zip")
    return StreamingResponse(letters_zip(store_of(request).engine, ids, wording), media_type=MEDIA["zip"],
                             headers={"Content-Disposition": disposition})


# ---- compare -------------------------------------------------------------------------------------------------


def _agency_names(request: Request) -> list[str]:
    A = schema.agencies
    with store_of(request).engine.connect() as conn:
        return [str(n) for n in conn.execute(sa.select(A.c.name).where(A.c.merged_into.is_(None))
                                             .order_by(A.c.name).limit(2000)).scalars()]


def _comparison(request: Request, agency: str | None, years: list[int], agencies: list[str], year: int | None,
                changed: bool) -> dict[str, Any] | None:
    """Side by side when two or more agencies are named (in ``year``), else one agency across ``years``."""
    named = [a for a in (_blank(a) for a in agencies) if a]
    if len(named) < 2 and not _blank(agency):
        if named:
            raise WebError(400, "请至少选择两个机关")
        return None
    with _connection(request) as conn:
        if len(named) >= 2:
            if year is None:
                raise WebError(400, "请选择对比的年度")
            result = side_by_side(conn, named, year)
        else:
            result = across_years(conn, str(_blank(agency)), years)
    if changed:
        result["rows"] = [r for r in result["rows"] if r["changed"]]
    return result


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, agency: str | None = None, years: Annotated[list[str] | None, Query()] = None,
                 agencies: Annotated[list[str] | None, Query()] = None, year: str | None = None,
                 changed: bool = False) -> Response:
    session = current(request)
    picked = [y for y in (_year(v) for v in years or []) if y is not None]
    one_year = _year(year)
    result = _comparison(request, agency, picked, agencies or [], one_year, changed)
    return render(request, "compare.html.j2", {"session": session, "agency": agency or "", "years": picked,
                                               "agencies_picked": [a for a in agencies or [] if a.strip()],
                                               "year": one_year, "changed": changed, "result": result,
                                               "agencies": _agency_names(request)})


@router.get("/api/compare")
def compare_api(request: Request, agency: str | None = None,
                years: Annotated[list[int] | None, Query()] = None,
                agencies: Annotated[list[str] | None, Query()] = None, year: YearQ = None,
                changed: bool = False) -> dict[str, Any]:
    """Cell by cell: ``agency`` + ``years`` (one agency across years, each change from the year before), or
    ``agencies`` (two or more) + ``year`` (side by side, each change from the first agency)."""
    current(request)
    result = _comparison(request, agency, years or [], agencies or [], year, changed)
    if result is None:
        raise WebError(400, "请给出机关和年度（agency 与 years），或多个机关和一个年度（agencies 与 year）")
    return result


# ---- dashboard -----------------------------------------------------------------------------------------------


def _dashboard(conn: sa.Connection, wanted: ListQuery, parts: tuple[str, ...] = ("years", "regions", "rules")
               ) -> dict[str, Any]:
    """Totals by year, by region (in the chosen year, else the latest year selected), top findings."""
    chosen = selection(conn, wanted).order_by(None).subquery()  # sums and counts need no order
    out: dict[str, Any] = {}
    if "years" in parts or "regions" in parts:
        out["years"] = group_totals(conn, chosen, "year")
    if "regions" in parts:
        numeric = [int(g.name) for g in out["years"] if g.name.isdigit()]
        region_year = wanted.year if wanted.year is not None else max(numeric, default=None)
        regional = selection(conn, replace(wanted, year=region_year)).order_by(None).subquery()
        out["region_year"] = region_year
        out["regions"] = group_totals(conn, regional, "region") if region_year is not None else []
    if "rules" in parts:
        out["rules"] = top_rules(conn, chosen)
    return out


def _filter_context(wanted: ListQuery) -> dict[str, Any]:
    return {"year": wanted.year, "region": wanted.region, "agency": wanted.agency, "level": wanted.level,
            "template": wanted.template, "rule": wanted.rule, "has_errors": wanted.has_errors}


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request, wanted: Filters) -> Response:
    session = current(request)
    with _connection(request) as conn:
        data = _dashboard(conn, wanted)
    query = {k: "true" if v is True else v for k, v in _filter_context(wanted).items() if v not in (None, "", False)}
    return render(request, "dashboard.html.j2", {"session": session, "filters": _filter_context(wanted),
                                                 "levels": LEVELS, "query": query, "charts": _images(data), **data})


def _images(data: dict[str, Any]) -> dict[str, str]:
    """The page's charts as data: URIs drawn from the numbers the page already holds (one reading of
    the store per page, not one per chart; CSP allows img-src data:)."""
    return {name: "data:image/svg+xml;base64," + base64.b64encode(
        charts.chart_svg(partial(_draw, name, data))).decode("ascii")
        for name in charts.CHARTS}


@router.get("/api/summary")
def summary_api(request: Request, year: YearQ = None, region: str | None = None, agency: str | None = None,
                level: str | None = None, template: str | None = None, rule: str | None = None,
                has_errors: bool = False) -> dict[str, Any]:
    """What /dashboard shows: per year (and template) the reports, new requests, the outcome mix and the
    appeal outcomes (each sum null with ``blank`` = reports that left it unknown); the same per region
    for one year; the most frequent finding rules. Takes the list's filters."""
    current(request)
    wanted = _wanted(None if year is None else str(year), region, agency, level, template, rule, has_errors)
    with _connection(request) as conn:
        data = _dashboard(conn, wanted)
    return {"filters": _filter_context(wanted), "years": [as_dict(g) for g in data["years"]],
            "region_year": data["region_year"], "regions": [as_dict(g) for g in data["regions"]],
            "rules": data["rules"]}


@router.get("/dashboard/charts/{name}.svg", include_in_schema=False)
def dashboard_chart(request: Request, name: str, wanted: Filters) -> Response:
    """One dashboard chart as SVG, for the same filters as the page."""
    current(request)
    if name not in charts.CHARTS:
        raise WebError(404, f"没有名为“{name}”的图表")
    parts = {"regions": ("regions",), "rules": ("rules",)}.get(name, ("years",))
    with _connection(request) as conn:
        data = _dashboard(conn, wanted, parts)
    return Response(charts.chart_svg(lambda props: _draw(name, data, props)), media_type=SVG)


def _draw(name: str, data: dict[str, Any], props: Any) -> Any:
    if name == "trend":
        return charts.trend(data["years"], props)
    if name == "outcomes":
        return charts.outcomes(data["years"], props)
    if name == "appeals":  # the latest year selected
        return charts.appeals(data["years"][-1] if data["years"] else None, props)
    if name == "regions":
        return charts.regions(data["regions"], data["region_year"], props)
    return charts.rules(data["rules"], props)
