"""The reports list, as a page and as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from nianbao.store import schema
from nianbao.store.app_schema import report_reviews
from nianbao.store.db import StoreError
from nianbao.store.queries import Filters, select_reports
from nianbao.web.app import WebError, current, render, store_of

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
                       template=_blank(self.template), rule=_blank(self.rule), has_errors=self.has_errors)


def _listing(request: Request, wanted: ListQuery, page: int) -> dict[str, Any]:
    page = max(page, 1)
    with store_of(request).engine.connect() as conn:
        try:
            query = select_reports(conn, wanted.filters())
        except StoreError as exc:
            raise WebError(404, str(exc)) from None
        if _blank(wanted.level):
            query = query.where(schema.agencies.c.level == _blank(wanted.level))
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
        ids = [r.id for r in rows]
        states = {r.report_id: r.state for r in conn.execute(
            sa.select(report_reviews.c.report_id, report_reviews.c.state)
            .where(report_reviews.c.report_id.in_(ids)))} if ids else {}
    reports = [{"id": r.id, "agency": r.agency or r.printed, "printed_agency": r.printed, "year": r.year,
                "template": r.template, "version": r.version, "province": r.province, "city": r.city,
                "county": r.county, "level": r.level, "errors": r.errors, "warnings": r.warnings,
                "state": states.get(r.id, "待审")} for r in rows]
    return {"total": total, "page": page, "per_page": PER_PAGE, "pages": max(1, -(-total // PER_PAGE)),
            "reports": reports}


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
                 has_errors: bool = False, page: int = 1) -> Response:
    session = current(request)
    wanted = ListQuery(_empty_int(year), region, agency, level, template, rule, has_errors)
    listing = _listing(request, wanted, page)
    return render(request, "reports.html.j2", {"session": session, "filters": wanted, "levels": LEVELS,
                                               "templates": TEMPLATES, **listing})


@router.get("/api/reports")
def reports_api(request: Request, year: YearQ = None, region: str | None = None, agency: str | None = None,
                level: str | None = None, template: str | None = None, rule: str | None = None,
                has_errors: bool = False, page: Annotated[int, Query(ge=1)] = 1) -> dict[str, Any]:
    """Stored current reports, filtered, 50 a page."""
    current(request)
    return _listing(request, ListQuery(year, region, agency, level, template, rule, has_errors), page)
