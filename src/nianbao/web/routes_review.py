"""One report's view and its review marks (finding 确认/不采纳, report state), as pages and as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from nianbao.check import RULES
from nianbao.models import Report
from nianbao.store import schema
from nianbao.store.app_schema import finding_reviews, report_reviews
from nianbao.store.queries import number, stored_report
from nianbao.web.accounts import Session
from nianbao.web.app import WebError, check_csrf, current, render, store_of
from nianbao.web.report_view import SEVERITY_NAMES, flags_of, group_findings, named_keys, table_views
from nianbao.web.source import Box, Source, SourceError, load_source, locate, mismatched, page_png, parse_place

router = APIRouter()
DECISIONS = ("确认", "不采纳")
STATES = ("待审", "已审", "已退回")


def fingerprint(rule: str, keys: str, line: int | None) -> str:
    return f"{rule}|{keys}|{'' if line is None else line}"


def _load(request: Request, report_id: int) -> tuple[dict[str, Any], Report]:
    """The report as the page and the API show it, and the stored parse it came from."""
    R, A, F = schema.reports, schema.agencies, schema.findings
    with store_of(request).engine.connect() as conn:
        meta = conn.execute(sa.select(R.c.id, R.c.path, R.c.sha256, R.c.format, R.c.year, R.c.template, R.c.title,
                                      R.c.version, R.c.current, R.c.errors, R.c.warnings, R.c.agency.label("printed"),
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
    groups = [{"rule": g["rule"], "severity": g["severity"], "line": g["line"], "place": g["place"],
               "count": len(g["members"]), "fingerprints": [f["fingerprint"] for f in g["members"]]}
              for g in group_findings(findings)]
    return {"id": meta.id, "agency": meta.agency or meta.printed, "printed_agency": meta.printed, "year": meta.year,
            "template": meta.template, "title": meta.title, "path": meta.path, "sha256": meta.sha256,
            "format": meta.format,
            "version": meta.version, "current": bool(meta.current), "province": meta.province, "city": meta.city,
            "county": meta.county, "level": meta.level, "errors": meta.errors, "warnings": meta.warnings,
            "state": {"state": state.state, "reviewer": state.reviewer, "at": state.reviewed_at} if state
            else {"state": "待审", "reviewer": None, "at": None},
            "sections": [{"number": s.number, "title": s.title, "line": s.line, "end_line": s.end_line,
                          "text": s.text} for s in report.sections],
            "cells": cells, "values": dict(report.values), "findings": findings, "finding_groups": groups}, report


def _report(request: Request, report_id: int) -> dict[str, Any]:
    return _load(request, report_id)[0]


@dataclass
class Focus:
    """What the page is opened on (``?cell=`` or ``?finding=``): its cells, its line, its box."""

    keys: set[str] = field(default_factory=set)
    line: int | None = None
    cell: dict[str, Any] | None = None
    finding: str | None = None  # fingerprint
    page: int | None = None  # the PDF page shown beside the source
    box: Box | None = None  # the cell's box, or the first of the finding's cells
    boxes: list[Box] = field(default_factory=list)  # every box drawn on the page
    page_size: tuple[float, float] | None = None
    view: tuple[float, float, float, float] | None = None  # the part of the page shown (SVG viewBox, points)


def _focus(r: dict[str, Any], report: Report, source: Source, cell: str | None, finding: str | None) -> Focus:
    cells = {c["key"]: c for c in r["cells"]}
    focus = Focus()
    places: list[tuple[str | None, str | None, list[str]]] = []  # (place, raw, raws left of it on its line)
    fallback: str | None = None  # a finding's own place: its row, when none of its cells is found
    if cell:
        if cell not in cells:
            raise WebError(404, f"该报告没有键为“{cell}”的数值")
        chosen = cells[cell]
        focus.keys, focus.line, focus.cell = {cell}, chosen["line"], chosen
        places.append((chosen["place"], chosen["raw"], _left_of(r["cells"], chosen)))
    elif finding:
        named = next((f for f in r["findings"] if f["fingerprint"] == finding), None)
        if named is None:
            raise WebError(404, "该报告没有这条审核发现")
        focus.keys, focus.line, focus.finding = named_keys(named["keys"], report.values), named["line"], finding
        places.extend((cells[k]["place"], cells[k]["raw"], _left_of(r["cells"], cells[k]))
                      for k in named["keys"] if k in cells and cells[k]["place"])
        fallback = named["place"]
    if source.pages:
        for place, raw, before in places[:MAX_BOXES]:
            box = locate(r["path"], r["sha256"], place, raw, before)
            if box is not None and (not focus.boxes or box.page == focus.boxes[0].page):
                focus.boxes.append(box)
        if not focus.boxes and fallback:
            focus.boxes = [box for box in [locate(r["path"], r["sha256"], fallback)] if box is not None]
        focus.box = focus.boxes[0] if focus.boxes else None
        where = parse_place(places[0][0] if places else fallback)
        focus.page = focus.box.page if focus.box else (where.page if where else 1)
        if not 1 <= focus.page <= len(source.pages):
            focus.page = 1
        focus.page_size = source.pages[focus.page - 1]
        focus.view = _view_of(focus.page_size, focus.boxes)
    return focus


MAX_BOXES = 60  # a finding naming a whole column: its cells on one page, not a search of every page
ZOOM_WIDTH, ZOOM_HEIGHT = 360.0, 240.0  # points around the boxes: a cell and its neighbours readable in the pane


def _view_of(size: tuple[float, float], boxes: list[Box]) -> tuple[float, float, float, float]:
    """The whole page, or a window around the boxes (kept inside the page) so that a cell can be read."""
    width, height = size
    if not boxes:
        return (0.0, 0.0, width, height)
    x0, top = min(b.x0 for b in boxes), min(b.top for b in boxes)
    x1, bottom = max(b.x1 for b in boxes), max(b.bottom for b in boxes)
    view_width = min(width, max(ZOOM_WIDTH, x1 - x0 + 40))
    view_height = min(height, max(ZOOM_HEIGHT, bottom - top + 40))
    x = min(max(0.0, (x0 + x1 - view_width) / 2), width - view_width)
    y = min(max(0.0, (top + bottom - view_height) / 2), height - view_height)
    return (round(x, 1), round(y, 1), round(view_width, 1), round(view_height, 1))


def _left_of(cells: list[dict[str, Any]], cell: dict[str, Any]) -> list[str]:
    """The printed texts of the cells before ``cell`` on its line, in the order they were read."""
    same = [c for c in cells if c["line"] == cell["line"] and c["raw"] is not None]
    return [c["raw"] for c in same[:next((i for i, c in enumerate(same) if c["key"] == cell["key"]), 0)]]


@router.get("/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
def report_page(request: Request, report_id: int, cell: str | None = None, finding: str | None = None) -> Response:
    session = current(request)
    r, report = _load(request, report_id)
    source = load_source(r["path"], r["sha256"])
    focus = _focus(r, report, source, cell, finding)
    tables = table_views(r["template"], report.values, report.cells, flags_of(r["findings"], report.values),
                         focus.keys)
    flagged = {f["line"] for f in r["findings"] if f["severity"] in ("error", "warning") and f["line"]}
    context = {"session": session, "r": r, "decisions": DECISIONS, "states": STATES, "source": source,
               "focus": focus, "tables": tables, "groups": group_findings(r["findings"]),
               "cited": {c.line for c in report.cells if c.line}, "flagged_lines": flagged,
               "mismatched": mismatched(source, report.cells), "severity_names": SEVERITY_NAMES}
    return render(request, "report.html.j2", context)


@router.get("/api/reports/{report_id}")
def report_api(request: Request, report_id: int) -> dict[str, Any]:
    """One stored report: its cells, values, sections, findings (with rule explanations and review marks)
    and the findings grouped (one rule on one line is one group)."""
    current(request)
    return _report(request, report_id)


def _file_of(request: Request, report_id: int) -> tuple[str, str]:
    R = schema.reports
    with store_of(request).engine.connect() as conn:
        row = conn.execute(sa.select(R.c.path, R.c.sha256).where(R.c.id == report_id)).first()
    if row is None:
        raise WebError(404, f"没有编号为 {report_id} 的报告")
    return str(row.path), str(row.sha256)


def _box(box: Box | None) -> dict[str, Any] | None:
    if box is None:
        return None
    return {"page": box.page, "x0": round(box.x0, 1), "top": round(box.top, 1), "x1": round(box.x1, 1),
            "bottom": round(box.bottom, 1), "exact": box.exact}


@router.get("/api/reports/{report_id}/source")
def source_api(request: Request, report_id: int, cell: str | None = None) -> dict[str, Any]:
    """The lines nianbao reads from the report's file now, numbered as cells and findings cite them;
    ``pages`` for a PDF; with ``?cell=<key>`` the box of that cell on its page (points from the top left)."""
    current(request)
    path, sha256 = _file_of(request, report_id)
    source = load_source(path, sha256)
    out: dict[str, Any] = {"available": source.available, "reason": source.reason, "format": source.format,
                           "pages": len(source.pages),
                           "lines": [{"line": n, "text": t} for n, t in enumerate(source.lines, start=1)]}
    if cell:
        r, report = _load(request, report_id)
        focus = _focus(r, report, source, cell, None)
        out["cell"] = {"key": cell, "box": _box(focus.box)}
    return out


@router.get("/reports/{report_id}/pages/{page}.png", include_in_schema=False)
def page_image(request: Request, report_id: int, page: int) -> Response:
    current(request)
    path, sha256 = _file_of(request, report_id)
    try:
        png = page_png(path, sha256, page)
    except SourceError as exc:
        raise WebError(404, str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


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
