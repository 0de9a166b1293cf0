"""The readable terminal view of a report: meta, sections, the three tables, findings."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from nianbao.models import Report
from nianbao.templates import TableSpec, cell_key, load_template

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
_SEVERITY_NAME = {"error": "错误", "warning": "警告", "info": "提示"}


def print_report(report: Report, console: Console) -> None:
    meta = report.meta
    console.rule(f"[bold]{meta.title or report.source.path}")
    console.print(f"文件 {report.source.path}  机关 {meta.agency or '—'}  年度 {meta.year or '—'}  "
                  f"模板 {meta.template or '—'}  发布 {meta.published or '—'}")
    console.print("部分：" + "  ".join(f"{s.number}、{s.title}（第{s.line}行）" for s in report.sections))
    if meta.template is not None:
        inferred = {c.key for c in report.cells if c.inferred}
        for table in load_template(meta.template).tables:
            console.print(_table_view(table, report.values, inferred))
    if report.findings:
        for finding in report.findings:
            place = f"第{finding.line}行 " if finding.line else ""
            style = _SEVERITY_STYLE[finding.severity]
            console.print(f"[{style}]{_SEVERITY_NAME[finding.severity]}[/] {place}{finding.message} "
                          f"[dim]({finding.rule})[/]")
    else:
        console.print("[green]未发现问题[/]")


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
