"""The readable terminal view of a report: meta, sections, the three tables, findings."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nianbao.check.registry import Rule
from nianbao.models import Report
from nianbao.templates import TableSpec, cell_key, load_template

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
_SEVERITY_NAME = {"error": "错误", "warning": "警告", "info": "提示"}


def print_report(report: Report, console: Console) -> None:
    meta = report.meta
    console.rule(f"[bold]{escape(meta.title or report.source.path)}")
    console.print(f"文件 {escape(report.source.path)}  机关 {escape(meta.agency or '—')}  年度 {meta.year or '—'}  "
                  f"模板 {meta.template or '—'}  发布 {escape(meta.published or '—')}")
    console.print("部分：" + "  ".join(f"{s.number}、{escape(s.title)}（第{s.line}行）" for s in report.sections))
    if meta.template is not None:
        inferred = {c.key for c in report.cells if c.inferred}
        for table in load_template(meta.template).tables:
            console.print(_table_view(table, report.values, inferred))
    _print_finding_lines(report, console)


def print_findings(report: Report, console: Console) -> None:
    """The review view of one report: its findings grouped by severity, with their places."""
    meta = report.meta
    tally = {s: sum(f.severity == s for f in report.findings) for s in _SEVERITY_NAME}
    console.rule(f"[bold]{escape(meta.agency or report.source.path)} {meta.year or ''}")
    console.print(f"文件 {escape(report.source.path)}  模板 {meta.template or '—'}  "
                  + "  ".join(f"{_SEVERITY_NAME[s]} {n}" for s, n in tally.items()))
    _print_finding_lines(report, console)


def _print_finding_lines(report: Report, console: Console) -> None:
    if not report.findings:
        console.print("[green]未发现问题[/]")
        return
    order = {"error": 0, "warning": 1, "info": 2}
    for finding in sorted(report.findings, key=lambda f: (order[f.severity], f.line or 0)):
        place = f"第{finding.line}行" if finding.line else ""
        if finding.place:
            place += f"（{finding.place}）"
        style = _SEVERITY_STYLE[finding.severity]
        console.print(f"[{style}]{_SEVERITY_NAME[finding.severity]}[/] {escape(place)} {escape(finding.message)} "
                      f"[dim]({finding.rule})[/]")


def print_batch_summary(reports: list[Report], console: Console) -> None:
    view = Table(title=f"共 {len(reports)} 份报告", title_justify="left")
    for heading in ("机关", "年度", "错误", "警告", "提示", "文件"):
        view.add_column(heading, justify="right" if heading in ("错误", "警告", "提示") else "left")
    for report in reports:
        tally = [sum(f.severity == s for f in report.findings) for s in ("error", "warning", "info")]
        view.add_row(escape(report.meta.agency or "—"), str(report.meta.year or "—"),
                     *(str(n) for n in tally), escape(report.source.path))
    console.print(view)


def print_rules(rules: list[Rule], console: Console) -> None:
    for item in rules:
        style = _SEVERITY_STYLE[item.severity]
        console.print(f"[bold]{item.id}[/]  [{style}]{_SEVERITY_NAME[item.severity]}[/]  {item.title}"
                      f"  [dim]{item.scope}[/]")
        console.print(f"    {item.explanation}", highlight=False)


def _table_view(table: TableSpec, values: dict[str, int | float | None], inferred: set[str]) -> Table:
    view = Table(title=table.title, show_lines=False, title_justify="left")
    first = table.blocks[0]
    uniform = all(len(b.columns) == len(first.columns) for b in table.blocks)
    view.add_column("")
    columns = first.columns if uniform else ()
    for column in columns:
        view.add_column(column.label, justify="right")
    if not uniform:
        view.add_column("数值", justify="right")
    for block, row in table.rows():
        row_keys = [cell_key(row.key, c.key) for c in block.columns]
        if all(k not in values for k in row_keys):
            continue
        cells = [_show(values.get(k), k in inferred) for k in row_keys]
        if not uniform:
            cells = ["  ".join(f"{c.label}:{v}" for c, v in zip(block.columns, cells, strict=True))]
        view.add_row(row.label, *cells)
    return view


def _show(value: int | float | None, inferred: bool) -> str:
    if value is None:
        return "·"
    return f"{value}*" if inferred else str(value)
