"""The reports list, one report's view, and the review marks, as pages and as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from nianbao.check import RULES
from nianbao.store import schema
from nianbao.store.app_schema import finding_reviews, report_reviews
from nianbao.store.db import StoreError
from nianbao.store.queries import Filters, number, select_reports, stored_report
from nianbao.web.accounts import Session
from nianbao.web.app import WebError, check_csrf, current, render, store_of

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


def fingerprint(rule: str, keys: str, line: int | None) -> str:
    return f"{rule}|{keys}|{'' if line is None else line}"


def _report(request: Request, report_id: int) -> dict[str, Any]:
    R, A, F = schema.reports, schema.agencies, schema.findings
    with store_of(request).engine.connect() as conn:
        meta = conn.execute(sa.select(R.c.id, R.c.path, R.c.format, R.c.year, R.c.template, R.c.title, R.c.version,
                                      R.c.current, R.c.errors, R.c.warnings, R.c.agency.label("printed"),
                                      A.c.name.label("agency"), A.c.province, A.c.city, A.c.county, A.c.level)
                            .select_from(R.outerjoin(A, A.c.id == R.c.agency_id)).where(R.c.id == report_id)).first()
        if meta is None:
            raise WebError(404, f"没有编号为 {report_id} 的报告")
        report = stored_report(conn, report_id)
        rows = conn.execute(sa.select(F).where(F.c.report_id == report_id).order_by(F.c.line, F.c.rule, F.c.id)).all()
        marks = {m.fingerprint: m for m in conn.execute(
            finding_reviews.select().where(finding_reviews.c.report_id == report_id))}
        state = conn.execute(report_reviews.select().where(report_reviews.c.report_id == report_id)).first()
    findings = []
    for row in rows:
        mark = marks.get(fingerprint(row.rule, row.keys, row.line))
        rule = RULES.get(row.rule)
        findings.append({"rule": row.rule, "severity": row.severity, "message": row.message,
                         "keys": [k for k in row.keys.split(",") if k], "line": row.line, "place": row.place,
                         "other_report_id": row.other_report_id,
                         "fingerprint": fingerprint(row.rule, row.keys, row.line),
                         "rule_title": rule.title if rule else None,
                         "rule_explanation": rule.explanation if rule else None,
                         "review": None if mark is None else {"decision": mark.decision, "comment": mark.comment,
                                                              "reviewer": mark.reviewer, "at": mark.reviewed_at}})
    cells = [{"key": c.key, "value": number(c.value), "raw": c.raw, "line": c.line, "place": c.place,
              "inferred": c.inferred, "split": c.split} for c in report.cells]
    return {"id": meta.id, "agency": meta.agency or meta.printed, "printed_agency": meta.printed, "year": meta.year,
            "template": meta.template, "title": meta.title, "path": meta.path, "format": meta.format,
            "version": meta.version, "current": bool(meta.current), "province": meta.province, "city": meta.city,
            "county": meta.county, "level": meta.level, "errors": meta.errors, "warnings": meta.warnings,
            "state": {"state": state.state, "reviewer": state.reviewer, "at": state.reviewed_at} if state
            else {"state": "待审", "reviewer": None, "at": None},
            "sections": [{"number": s.number, "title": s.title, "line": s.line, "end_line": s.end_line,
                          "text": s.text} for s in report.sections],
            "cells": cells, "findings": findings}


@router.get("/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
def report_page(request: Request, report_id: int) -> Response:
    session = current(request)
    return render(request, "report.html.j2", {"session": session, "r": _report(request, report_id),
                                              "decisions": DECISIONS, "states": STATES})


@router.get("/api/reports/{report_id}")
def report_api(request: Request, report_id: int) -> dict[str, Any]:
    """One stored report: its cells, sections, findings (with rule explanations and review marks)."""
    current(request)
    return _report(request, report_id)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _exists(request: Request, report_id: int) -> None:
    with store_of(request).engine.connect() as conn:
        if conn.execute(sa.select(schema.reports.c.id).where(schema.reports.c.id == report_id)).scalar() is None:
            raise WebError(404, f"没有编号为 {report_id} 的报告")


def mark_finding(request: Request, session: Session, report_id: int, finding: str, decision: str,
                 comment: str) -> None:
    if decision not in DECISIONS:
        raise WebError(400, f"审核结论只能是{'或'.join(DECISIONS)}")
    _exists(request, report_id)
    F = schema.findings
    with store_of(request).engine.begin() as conn:
        known = {fingerprint(r.rule, r.keys, r.line) for r in conn.execute(
            sa.select(F.c.rule, F.c["keys"], F.c.line).where(F.c.report_id == report_id))}
        if finding not in known:
            raise WebError(404, "该报告没有这条审核发现")
        conn.execute(finding_reviews.delete().where(finding_reviews.c.report_id == report_id,
                                                    finding_reviews.c.fingerprint == finding))
        conn.execute(finding_reviews.insert().values(report_id=report_id, fingerprint=finding, decision=decision,
                                                     comment=comment.strip()[:2000], reviewer=session.user.name,
                                                     reviewed_at=_now()))


def set_state(request: Request, session: Session, report_id: int, state: str) -> None:
    if state not in STATES:
        raise WebError(400, f"报告状态只能是{'、'.join(STATES)}")
    _exists(request, report_id)
    with store_of(request).engine.begin() as conn:
        conn.execute(report_reviews.delete().where(report_reviews.c.report_id == report_id))
        conn.execute(report_reviews.insert().values(report_id=report_id, state=state, reviewer=session.user.name,
                                                    reviewed_at=_now()))


@router.post("/reports/{report_id}/findings", include_in_schema=False)
def review_form(request: Request, report_id: int, finding: Annotated[str, Form()], decision: Annotated[str, Form()],
                comment: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "") -> Response:
    session = current(request)
    check_csrf(request, session, csrf_token)
    mark_finding(request, session, report_id, finding, decision, comment)
    return RedirectResponse(f"/reports/{report_id}#findings", status_code=303)


@router.post("/reports/{report_id}/state", include_in_schema=False)
def state_form(request: Request, report_id: int, state: Annotated[str, Form()],
               csrf_token: Annotated[str, Form()] = "") -> Response:
    session = current(request)
    check_csrf(request, session, csrf_token)
    set_state(request, session, report_id, state)
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


class FindingMark(BaseModel):
    finding: str
    decision: str
    comment: str = ""


class StateMark(BaseModel):
    state: str


@router.post("/api/reports/{report_id}/findings")
def review_api(request: Request, report_id: int, mark: FindingMark) -> dict[str, Any]:
    """Mark a finding 确认 or 不采纳 (header X-CSRF-Token required)."""
    session = current(request)
    check_csrf(request, session, None)
    mark_finding(request, session, report_id, mark.finding, mark.decision, mark.comment)
    return {"ok": True}


@router.post("/api/reports/{report_id}/state")
def state_api(request: Request, report_id: int, mark: StateMark) -> dict[str, Any]:
    """Set a report's state: 待审, 已审 or 已退回 (header X-CSRF-Token required)."""
    session = current(request)
    check_csrf(request, session, None)
    set_state(request, session, report_id, mark.state)
    return {"ok": True}


@router.get("/api/session")
def session_api(request: Request) -> dict[str, Any]:
    """Who is signed in, and the CSRF token the API's state-changing calls send as X-CSRF-Token."""
    session = current(request)
    return {"user": session.user.name, "role": session.user.role, "csrf_token": session.csrf}
