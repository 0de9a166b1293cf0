"""The review page: one self-contained HTML file for a batch (no server, no script, prints well).

A summary of every report (agency, year, errors, warnings), then per report its findings and
its tables drawn as the template draws them, with the cells a finding names highlighted and
each value's source line (and page) in its tooltip and in a small note under it. All text from
the reports goes through Jinja2's autoescaping: nothing in a report can become markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from nianbao import __version__
from nianbao.batch import BatchResult
from nianbao.models import Report, Severity
from nianbao.render.layout import table_grid
from nianbao.render.model import Grid
from nianbao.templates import load_template

SEVERITY_NAMES: dict[Severity, str] = {"error": "错误", "warning": "警告", "info": "提示"}
_RANK: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass
class _TableView:
    title: str
    grid: Grid
    flags: dict[str, str]  # key → worst severity of a finding naming it
    sources: dict[str, str] = field(default_factory=dict)  # key → "第57行 原文“1077980元”"


def _environment() -> Environment:
    return Environment(loader=PackageLoader("nianbao.review", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


def counts(report: Report) -> dict[Severity, int]:
    tally: dict[Severity, int] = {"error": 0, "warning": 0, "info": 0}
    for finding in report.findings:
        tally[finding.severity] += 1
    return tally


def _tables(report: Report) -> list[_TableView]:
    if report.meta.template is None:
        return []
    flags: dict[str, str] = {}
    for finding in sorted(report.findings, key=lambda f: _RANK[f.severity], reverse=True):
        if finding.severity == "info":
            continue
        for key in finding.keys:
            flags[key] = finding.severity
            for prefix_key in report.values:  # a finding on a row names every cell of it
                if prefix_key.startswith(key + "."):
                    flags.setdefault(prefix_key, finding.severity)
    sources = {}
    for cell in report.cells:
        where = f"第{cell.line}行" if cell.line else ""
        if cell.place:
            where += f"（{cell.place}）"
        raw = f" 原文“{cell.raw}”" if cell.raw is not None else ""
        how = "，由表内勾稽关系推算" if cell.inferred else ("，从连写数字中拆分" if cell.split else "")
        sources[cell.key] = f"{where}{raw}{how}".strip()
    views = []
    for table in load_template(report.meta.template).tables:
        views.append(_TableView(table.title, table_grid(table, report.values), flags, sources))
    return views


def review_page(batch: BatchResult, title: str = "政府信息公开工作年度报告审核意见") -> str:
    reports = sorted(batch.reports, key=lambda r: (-counts(r)["error"], -counts(r)["warning"],
                                                   r.meta.agency or "", r.meta.year or 0))
    entries: list[dict[str, Any]] = []
    for index, report in enumerate(reports, start=1):
        entries.append({
            "anchor": f"r{index}", "report": report, "counts": counts(report),
            "findings": sorted(report.findings, key=lambda f: (_RANK[f.severity], f.line or 0)),
            "tables": _tables(report),
        })
    template = _environment().get_template("review.html.j2")
    return template.render(title=title, entries=entries, failures=batch.failures, severity_names=SEVERITY_NAMES,
                           generated=datetime.now().strftime("%Y-%m-%d %H:%M"), version=__version__)
