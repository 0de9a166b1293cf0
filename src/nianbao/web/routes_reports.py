"""The reports list, as a page and as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from nianbao.check import RULES
from nianbao.store.app_schema import report_reviews
from nianbao.store.db import StoreError
from nianbao.store.queries import Filters, select_reports
from nianbao.web.app import WebError, current, render, store_of
from nianbao.web.listing import DEFAULT_SORT, ORDERS, SORTS, CursorError, fetch_page, read_token, with_sort_values

router = APIRouter()
PER_PAGE = 50
DECISIONS = ("确认", "不采纳")
STATES = ("待审", "已审", "已退回")
LEVELS = ("省级", "市级", "县级", "乡级")
TEMPLATES = ("2021", "2019", "legacy")


def _blank(text: str | None) -> str | None:
    return (text or "").strip() or None


@dataclass
class ListQuery:
    """The list's filters as the page and the API take them (``level`` is the agency's 省级/市级/县级)."""

    year: int | None = None
    region: str | None = None
    agency: str | None = None
    level: str | None = None
    template: str | None = None
    rule: str | None = None
    has_errors: bool = False

    def filters(self) -> Filters:
        return Filters(year=self.year, region=_blank(self.region), agency=_blank(self.agency),
                       template=_blank(self.template), rule=_blank(self.rule), has_errors=self.has_errors,
                       level=_blank(self.level))

    def query_string(self) -> str:
        """The filters as URL parameters (blank ones left out), for the sort, paging and export links."""
        given = {"year": self.year, "region": _blank(self.region), "agency": _blank(self.agency),
                 "level": _blank(self.level), "template": _blank(self.template), "rule": _blank(self.rule),
                 "has_errors": "true" if self.has_errors else None}
        return urlencode({k: v for k, v in given.items() if v is not None})


def _listing(request: Request, wanted: ListQuery, sort: str | None, order: str | None, after: str | None,
             before: str | None) -> dict[str, Any]:
    sort = sort or DEFAULT_SORT
    if sort not in SORTS:
        raise WebError(400, f"不能按“{sort}”排序（可选：{'、'.join(SORTS)}）")
    order = order or SORTS[sort].default_order
    if order not in ORDERS:
        raise WebError(400, f"排序方向只能是 asc 或 desc，不是“{order}”")
    if after and before:
        raise WebError(400, "after 与 before 只能给一个")
    try:
        cursor = read_token(after or before or "", sort, order, before=bool(before)) if after or before else None
    except CursorError as exc:
        raise WebError(400, str(exc)) from None
    with store_of(request).engine.connect() as conn:
        try:
            query = select_reports(conn, wanted.filters())
        except StoreError as exc:
            raise WebError(404, str(exc)) from None
        total = conn.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        found = fetch_page(conn, with_sort_values(query), sort, order, PER_PAGE, cursor)
        ids = [r.id for r in found.rows]
        states = {r.report_id: r.state for r in conn.execute(
            sa.select(report_reviews.c.report_id, report_reviews.c.state)
            .where(report_reviews.c.report_id.in_(ids)))} if ids else {}
    reports = [{"id": r.id, "agency": r.agency or r.printed, "printed_agency": r.printed, "year": r.year,
                "template": r.template, "version": r.version, "province": r.province, "city": r.city,
                "county": r.county, "level": r.level, "errors": r.errors, "warnings": r.warnings,
                "ingested_at": r.sort_ingested, "state": states.get(r.id, "待审")} for r in found.rows]
    return {"total": total, "page": found.page, "per_page": PER_PAGE, "pages": max(1, -(-total // PER_PAGE)),
            "sort": sort, "order": order, "next": found.next.token() if found.next else None,
            "prev": found.prev.token() if found.prev else None, "reports": reports}


YearQ = Annotated[int | None, Query(ge=1900, le=2200)]


def _empty_int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise WebError(400, f"年度“{value}”不是数字")
    return int(value)


@router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
def reports_page(request: Request, year: str | None = None, region: str | None = None, agency: str | None = None,
                 level: str | None = None, template: str | None = None, rule: str | None = None,
                 has_errors: bool = False, sort: str | None = None, order: str | None = None,
                 after: str | None = None, before: str | None = None) -> Response:
    session = current(request)
    wanted = ListQuery(_empty_int(year), region, agency, level, template, rule, has_errors)
    listing = _listing(request, wanted, sort, order, after, before)
    return render(request, "reports.html.j2", {
        "session": session, "filters": wanted, "levels": LEVELS, "templates": TEMPLATES, "rules": sorted(RULES),
        "sorts": SORTS, "query": wanted.query_string(), **listing})


@router.get("/api/reports")
def reports_api(request: Request, year: YearQ = None, region: str | None = None, agency: str | None = None,
                level: str | None = None, template: str | None = None, rule: str | None = None,
                has_errors: bool = False, sort: str | None = None, order: str | None = None,
                after: str | None = None, before: str | None = None) -> dict[str, Any]:
    """Stored current reports, filtered and sorted, 50 a page; ``next``/``prev`` are tokens for ``after``/``before``."""
    current(request)
    return _listing(request, ListQuery(year, region, agency, level, template, rule, has_errors), sort, order,
                    after, before)
