"""The readable terminal view of a report: meta, sections, the three tables, findings.

Plain text (``text_table``), not rich: the view looks as it did with rich but `nianbao parse`
starts ~60 ms sooner. Each function takes a ``Screen`` or, for callers that have one, a rich
``Console`` (its file, width and colours are used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nianbao.models import Report
from nianbao.templates import TableSpec, cell_key, load_template
from nianbao.text_table import Column, Screen, draw_table

if TYPE_CHECKING:
    from rich.console import Console

    from nianbao.check.registry import Rule

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
_SEVERITY_NAME = {"error": "错误", "warning": "警告", "info": "提示"}


def print_report(report: Report, out: Screen | Console) -> None:
    screen = Screen.of(out)
    meta = report.meta
    screen.rule(meta.title or report.source.path)
    screen.line(f"文件 {report.source.path}  机关 {meta.agency or '—'}  年度 {meta.year or '—'}  "
                f"模板 {meta.template or '—'}  发布 {meta.published or '—'}")
    screen.line("部分：" + "  ".join(f"{s.number}、{s.title}（第{s.line}行）" for s in report.sections))
    if meta.template is not None:
        inferred = {c.key for c in report.cells if c.inferred}
        for table in load_template(meta.template).tables:
            for line in _table_view(table, report.values, inferred, screen):
                screen.line(line)
    _print_finding_lines(report, screen)


def print_findings(report: Report, out: Screen | Console) -> None:
    """The review view of one report: its findings grouped by severity, with their places."""
    screen = Screen.of(out)
    meta = report.meta
    tally = {s: sum(f.severity == s for f in report.findings) for s in _SEVERITY_NAME}
    screen.rule(f"{meta.agency or report.source.path} {meta.year or ''}")
    screen.line(f"文件 {report.source.path}  模板 {meta.template or '—'}  "
                + "  ".join(f"{_SEVERITY_NAME[s]} {n}" for s, n in tally.items()))
    _print_finding_lines(report, screen)


def _print_finding_lines(report: Report, screen: Screen) -> None:
    if not report.findings:
        screen.line(screen.style("未发现问题", "green"))
        return
    order = {"error": 0, "warning": 1, "info": 2}
    for finding in sorted(report.findings, key=lambda f: (order[f.severity], f.line or 0)):
        place = f"第{finding.line}行" if finding.line else ""
        if finding.place:
            place += f"（{finding.place}）"
        name = screen.style(_SEVERITY_NAME[finding.severity], _SEVERITY_STYLE[finding.severity])
        screen.line(f"{name} {place} {finding.message} {screen.style(f'({finding.rule})', 'dim')}")


def print_batch_summary(reports: list[Report], out: Screen | Console) -> None:
    screen = Screen.of(out)
    columns = [Column(heading, right=heading in ("错误", "警告", "提示"))
               for heading in ("机关", "年度", "错误", "警告", "提示", "文件")]
    rows = []
    for report in reports:
        tally = [sum(f.severity == s for f in report.findings) for s in ("error", "warning", "info")]
        rows.append([report.meta.agency or "—", str(report.meta.year or "—"), *(str(n) for n in tally),
                     report.source.path])
    for line in draw_table(f"共 {len(reports)} 份报告", columns, rows, screen):
        screen.line(line)


def print_rules(rules: list[Rule], out: Screen | Console) -> None:
    screen = Screen.of(out)
    for item in rules:
        screen.line(f"{screen.style(item.id, 'bold')}  "
                    f"{screen.style(_SEVERITY_NAME[item.severity], _SEVERITY_STYLE[item.severity])}  {item.title}"
                    f"  {screen.style(item.scope, 'dim')}")
        screen.line(f"    {item.explanation}")


def _table_view(table: TableSpec, values: dict[str, int | float | None], inferred: set[str],
                screen: Screen) -> list[str]:
    first = table.blocks[0]
    uniform = all(len(b.columns) == len(first.columns) for b in table.blocks)
    columns = [Column("")]
    if uniform:
        columns += [Column(column.label, right=True) for column in first.columns]
    else:
        columns.append(Column("数值", right=True))
    rows: list[list[str]] = []
    for block, row in table.rows():
        row_keys = [cell_key(row.key, c.key) for c in block.columns]
        if all(k not in values for k in row_keys):
            continue
        cells = [_show(values.get(k), k in inferred) for k in row_keys]
        if not uniform:
            cells = ["  ".join(f"{c.label}:{v}" for c, v in zip(block.columns, cells, strict=True))]
        rows.append([row.label, *cells])
    return draw_table(table.title, columns, rows, screen)


def _show(value: int | float | None, inferred: bool) -> str:
    if value is None:
        return "·"
    return f"{value}*" if inferred else str(value)
