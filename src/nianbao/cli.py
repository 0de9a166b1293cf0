"""The ``nianbao`` command: a thin layer over the library that prints reports and maps errors."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nianbao import __version__
from nianbao.errors import UnusableInput
from nianbao.models import Report
from nianbao.pipeline import parse_file
from nianbao.render_text import print_report

app = typer.Typer(add_completion=False, no_args_is_help=False, help="政府信息公开工作年度报告：解析、核对。")
EXIT_UNUSABLE = 2


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def sample_reports() -> list[Path]:
    """The fictional sample reports shipped with nianbao (the demo's default input)."""
    folder = resources.files("nianbao").joinpath("samples")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".txt"))


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@app.command()
def parse(
    files: Annotated[list[Path] | None, typer.Argument(help="Report files; none: the bundled sample reports.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text (readable) or json (contract)")] =
    OutputFormat.text,
) -> None:
    """Parse reports into the template's data: meta, the three tables, sections, findings.

    With --format json prints one contract object per file (JSON Lines for several files).
    Exit status 0 when every file parsed, 2 when a file is unusable (the others are still parsed).

    Example: nianbao parse --format json report.txt
    """
    paths = files or sample_reports()
    if not files:
        typer.echo(f"未指定文件：解析 {len(paths)} 份内置示例报告（虚构机关）。", err=True)
    console = Console(soft_wrap=True)
    failed = 0
    for path in paths:
        try:
            report = parse_file(path)
        except UnusableInput as exc:
            failed += 1
            typer.echo(f"nianbao: {exc.path}: {exc.reason}", err=True)
            continue
        _emit(report, output, console)
    if failed:
        if len(paths) > 1:
            typer.echo(f"nianbao: {failed}/{len(paths)} 个文件无法解析", err=True)
        raise typer.Exit(EXIT_UNUSABLE)


def _emit(report: Report, output: OutputFormat, console: Console) -> None:
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(report.contract(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        print_report(report, console)
