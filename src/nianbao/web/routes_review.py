"""One report's view and its review marks (finding 确认/不采纳, report state), as pages and as JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from nianbao.check import RULES
from nianbao.store import schema
from nianbao.store.app_schema import finding_reviews, report_reviews
from nianbao.store.queries import number, stored_report
from nianbao.web.accounts import Session
from nianbao.web.app import WebError, check_csrf, current, render, store_of

router = APIRouter()
DECISIONS = ("确认", "不采纳")
STATES = ("待审", "已审", "已退回")


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
