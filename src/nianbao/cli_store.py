"""The store commands: ingest, list, show, compare, summary, export, agencies.

Registered on the ``nianbao`` app by ``register(app)``. Everything heavy (SQLAlchemy, cpca,
pyarrow, matplotlib, dask) is imported inside the command that needs it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from nianbao.store.db import Store
    from nianbao.store.queries import Filters

EXIT_UNUSABLE = 2
DbOption = Annotated[str | None, typer.Option("--db", help="SQLite file or postgresql:// URL (env NIANBAO_DB; "
                                                            "default nianbao.db).")]
YearOption = Annotated[int | None, typer.Option("--year", help="Only this report year.")]
RegionOption = Annotated[str | None, typer.Option("--region", help="Province, city or county (黑龙江省/双鸭山市).")]
AgencyOption = Annotated[str | None, typer.Option("--agency", help="One agency (any name it printed).")]
ErrorsOption = Annotated[bool, typer.Option("--has-errors", help="Only reports with errors.")]
RuleOption = Annotated[str | None, typer.Option("--rule", help="Only reports with a finding of this rule id.")]
TemplateOption = Annotated[str | None, typer.Option("--template", help="Only this template (2021, 2019, legacy).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]


def _console(**options: Any) -> Console:
    from rich.console import Console  # imported on use: start-up of the other commands stays light

    return Console(**options)


class Format(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"
    jsonl = "jsonl"


class By(StrEnum):
    region = "region"
    province = "province"
    level = "level"
    year = "year"


def _fail(message: str) -> NoReturn:
    typer.echo(f"nianbao: {message}", err=True)
    raise typer.Exit(EXIT_UNUSABLE)


def _open(db: str | None, *, create: bool = True) -> Store:
    from nianbao.store.db import StoreError, open_store

    try:
        return open_store(db, create=create)
    except StoreError as exc:
        _fail(str(exc))


@contextmanager
def _reading(db: str | None) -> Iterator[Any]:
    """A connection to the store; a store error is one line and exit status 2."""
    from nianbao.store.db import StoreError

    store = _open(db, create=False)
    try:
        with store.engine.connect() as conn:
            yield conn
    except StoreError as exc:
        _fail(str(exc))


def _filters(year: int | None = None, region: str | None = None, agency: str | None = None,
             has_errors: bool = False, rule: str | None = None, template: str | None = None) -> Filters:
    from nianbao.store.queries import Filters

    return Filters(year=year, region=region, agency=agency, has_errors=has_errors, rule=rule, template=template)


def ingest(
    files: Annotated[list[Path] | None, typer.Argument(help="Report files or folders.")] = None,
    db: DbOption = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: cores).")]
    = None,
    reparse: Annotated[bool, typer.Option("--reparse", help="Read again files another parser version stored.")]
    = False,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="A Dask scheduler (tcp://host:8786): "
                                                                      "its workers parse, this process writes.")]
    = None,
    quiet: QuietOption = False,
) -> None:
    """Parse reports into the store, in parallel; each file once (by content), resumable.

    A file already stored is skipped; a different file for the same agency and year is stored
    as a new version (the latest is current). A file that cannot be read is recorded with its
    reason and the batch goes on (exit status 2 at the end). Interrupt at any moment and run
    again: nothing is lost or stored twice. Cross-report rules (last year's report, other
    agencies' prose) run against the store as each report is stored.

    Example: nianbao ingest reports/ --db nianbao.db --jobs 2
    """
    from nianbao.batch import expand
    from nianbao.store.ingest import ingest as ingest_files
    from nianbao.store.ingest import stale_sources

    store = _open(db)
    if not files and not reparse:
        _fail("请给出报告文件或文件夹")
    chosen = list(expand(files)) if files else []
    if reparse:
        stored = set(chosen)
        chosen += [p for p in stale_sources(store) if p not in stored]
    show = not quiet and sys.stderr.isatty()
    with _progress(show, len(chosen)) as advance:
        try:
            summary = ingest_files(store, chosen, jobs=jobs, reparse=reparse, scheduler=scheduler,
                                   progress=advance)
        except OSError as exc:
            _fail(f"{scheduler or store.label}: 无法连接（{exc}）")
    for path, reason in summary.unreadable:
        typer.echo(f"nianbao: {path}: {reason}", err=True)
    for failure in summary.failed:
        typer.echo(f"nianbao: {failure.path}: {failure.reason}", err=True)
    typer.echo(f"已入库 {summary.stored} 份，跳过 {summary.skipped} 份（已在库中），"
               f"无法读取 {len(summary.failed) + len(summary.unreadable)} 份：{store.label}", err=True)
    if summary.failed or summary.unreadable:
        raise typer.Exit(EXIT_UNUSABLE)


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[int], None]]:
    if not show:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=_console(stderr=True), transient=False) as bar:
        task = bar.add_task("入库", total=total)
        yield lambda n: bar.advance(task, n)


def list_reports(
    db: DbOption = None, year: YearOption = None, region: RegionOption = None, agency: AgencyOption = None,
    has_errors: ErrorsOption = False, rule: RuleOption = None, template: TemplateOption = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="text or json")] = Format.text,
) -> None:
    """The stored reports (current versions), filterable.

    Example: nianbao list --year 2023 --region 双鸭山市 --has-errors
    """
    from rich.markup import escape
    from rich.table import Table

    from nianbao.store.queries import select_reports

    with _reading(db) as conn:
        rows = conn.execute(select_reports(conn, _filters(year, region, agency, has_errors, rule, template))).all()
    if output is Format.json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(row._mapping), ensure_ascii=False) + "\n")
        return
    view = Table(title=f"共 {len(rows)} 份报告", title_justify="left")
    for heading in ("机关", "地区", "层级", "年度", "模板", "版本", "错误", "警告", "文件"):
        view.add_column(heading, overflow="fold")  # whole names, wrapped, in a narrow terminal
    for row in rows:
        place = "/".join(p for p in (row.province, row.city, row.county) if p) or "—"
        view.add_row(escape(row.agency or row.printed or "—"), place, row.level or "—", str(row.year or "—"),
                     row.template or "—", str(row.version), str(row.errors), str(row.warnings), escape(row.path))
    _console(soft_wrap=True).print(view)


def show(
    agency: Annotated[str, typer.Argument(help="The agency (any name it printed).")],
    year: Annotated[int, typer.Option("--year", help="The report year.")],
    db: DbOption = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="text or json (the contract)")] = Format.text,
) -> None:
    """One stored report, as `nianbao parse` prints it (with the findings from the store).

    Example: nianbao show 岭东区人民政府 --year 2023
    """
    from nianbao.render_text import print_report
    from nianbao.store.queries import report_of, stored_report

    with _reading(db) as conn:
        report = stored_report(conn, report_of(conn, agency, year))
    if output is Format.json:
        sys.stdout.write(json.dumps(report.contract(), ensure_ascii=False) + "\n")
    else:
        print_report(report, _console(soft_wrap=True))


def compare(
    agency: Annotated[str, typer.Argument(help="The agency (any name it printed).")],
    years: Annotated[tuple[int, int], typer.Option("--years", help="Two years: earlier later.")],
    db: DbOption = None,
    changed: Annotated[bool, typer.Option("--changed", help="Only the cells that changed.")] = False,
    output: Annotated[Format, typer.Option("--format", "-f", help="text or json")] = Format.text,
) -> None:
    """Two years of one agency, cell by cell, with the change and the change in per cent.

    Example: nianbao compare 岭东区人民政府 --years 2022 2023
    """
    from rich.table import Table

    from nianbao.check.labels import cell_name
    from nianbao.store.queries import compare as compare_values
    from nianbao.store.queries import report_of, values_of
    from nianbao.templates import load_template, template_for_year

    first, second = years
    with _reading(db) as conn:
        before = values_of(conn, report_of(conn, agency, first))
        after = values_of(conn, report_of(conn, agency, second))
    changes = compare_values(before, after)
    if changed:
        changes = [c for c in changes if c.before != c.after]
    template = load_template(template_for_year(second))
    if output is Format.json:
        for c in changes:
            sys.stdout.write(json.dumps({"key": c.key, str(first): c.before, str(second): c.after, "change": c.delta,
                                         "percent": c.percent}, ensure_ascii=False) + "\n")
        return
    view = Table(title=f"{agency}：{first} 年与 {second} 年", title_justify="left")
    for heading in ("项目", str(first), str(second), "变化", "变化率"):
        view.add_column(heading, justify="left" if heading == "项目" else "right")
    for c in changes:
        view.add_row(cell_name(template, c.key), _shown(c.before), _shown(c.after), _shown(c.delta, sign=True),
                     "—" if c.percent is None else f"{c.percent:+.1f}%")
    _console(soft_wrap=True).print(view)


def _shown(value: object, sign: bool = False) -> str:
    if value is None:
        return "·"
    return f"{value:+}" if sign and isinstance(value, int | float) else str(value)


def summary(
    db: DbOption = None, year: YearOption = None, region: RegionOption = None,
    by: Annotated[By, typer.Option("--by", help="region (province/city), province, level or year")] = By.region,
    template: TemplateOption = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also draw a chart (PNG).")] = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="text or json")] = Format.text,
) -> None:
    """Sums of every cell over the chosen agencies, per group, and the sums' own identities checked.

    A cell some report leaves unknown is summed over the others and marked; identities are
    checked only over cells every report of the group states.

    Example: nianbao summary --year 2023 --by region --plot regions.png
    """
    from rich.table import Table

    from nianbao.check.labels import cell_name
    from nianbao.store.queries import identity_problems_of
    from nianbao.store.queries import summary as summarise
    from nianbao.templates import load_template

    with _reading(db) as conn:
        groups = summarise(conn, _filters(year, region, template=template), by.value)
    if not groups:
        _fail("没有符合条件的报告")
    problems = {(g.name, g.template): identity_problems_of(g, year) for g in groups}
    if output is Format.json:
        for g in groups:
            sys.stdout.write(json.dumps({"group": g.name, "template": g.template, "reports": g.reports,
                                         "sums": {k: _plain(v) for k, v in g.sums.items()}, "unknown": g.unknown,
                                         "identity_problems": problems[(g.name, g.template)]},
                                        ensure_ascii=False) + "\n")
    else:
        console = _console(soft_wrap=True)
        for template_id in sorted({g.template for g in groups}):
            chosen = [g for g in groups if g.template == template_id]
            spec = load_template(template_id)
            view = Table(title=f"模板 {template_id}：各组合计（· 标记有报告未填该项）", title_justify="left")
            view.add_column("项目")
            for g in chosen:
                view.add_column(f"{g.name}（{g.reports} 份）", justify="right")
            for key in spec.required_keys:
                view.add_row(cell_name(spec, key), *(f"{_plain(g.sums.get(key))}{'·' if g.unknown.get(key) else ''}"
                                                      for g in chosen))
            console.print(view)
            for g in chosen:
                for problem in problems[(g.name, g.template)]:
                    console.print(f"[red]合计不平衡[/] {g.name}：{problem}")
    if plot is not None:
        from nianbao.store.charts import summary_chart

        try:
            plot.write_bytes(summary_chart(groups, by.value))
        except OSError as exc:
            _fail(f"{plot}: 无法写入（{exc.strerror}）")
        typer.echo(f"图表已写入 {plot}", err=True)


def _plain(value: object) -> object:
    from nianbao.store.queries import number

    return number(value)


def export(
    out: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv, xlsx, parquet or jsonl")] =
    ExportFormat.csv,
    official: Annotated[bool, typer.Option("--official", help="One report's tables in the template layout "
                                                              "(xlsx; or docx/pdf/html/md by -o's suffix).")]
    = False,
    db: DbOption = None, year: YearOption = None, region: RegionOption = None, agency: AgencyOption = None,
    has_errors: ErrorsOption = False, rule: RuleOption = None, template: TemplateOption = None,
) -> None:
    """Export stored reports: one row per report, one column per key (Chinese headers in CSV/XLSX).

    CSV is UTF-8 with BOM (Excel, WPS); numbers stay numbers; an unknown cell is empty, never 0.
    With --official: the three tables of one report (--agency, --year) as the template draws them.

    Example: nianbao export --format xlsx --year 2023 -o 2023.xlsx
    """
    from nianbao.store.export import export as write_export

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _reading(db) as conn:
            if official:
                _official(conn, agency, year, out)
                return
            count = write_export(conn, _filters(year, region, agency, has_errors, rule, template), fmt.value, out)
    except OSError as exc:
        _fail(f"{out}: 无法写入（{exc.strerror}）")
    typer.echo(f"已导出 {count} 份报告：{out}", err=True)


def _official(conn: Any, agency: str | None, year: int | None, out: Path) -> None:
    from nianbao.render import ReportData, render
    from nianbao.store.export import official_workbook
    from nianbao.store.queries import report_of, stored_report

    if agency is None or year is None:
        _fail("--official 需要 --agency 和 --year")
    report = stored_report(conn, report_of(conn, agency, year))
    template = report.meta.template or "2021"
    title = report.meta.title or f"{report.meta.agency}{year}年政府信息公开工作年度报告"
    suffix = out.suffix.lower().lstrip(".")
    if suffix in ("", "xlsx"):
        out.write_bytes(official_workbook(template, report.values, title))
    elif suffix in ("docx", "pdf", "html", "md"):
        prose = {s.template_number: s.text for s in report.sections if s.template_number}
        data = ReportData.model_validate({"meta": {"year": year, "agency": report.meta.agency or agency,
                                                   "template": template, "title": report.meta.title},
                                          "values": report.values, "prose": prose})
        out.write_bytes(render(data, suffix, allow_errors=True))  # type: ignore[arg-type]
    else:
        _fail(f"{out}: --official 只能写 xlsx、docx、pdf、html 或 md")
    typer.echo(f"已写入 {report.meta.agency} {year} 年度报告的统计表：{out}", err=True)


def agencies(
    db: DbOption = None,
    merge: Annotated[tuple[str, str] | None, typer.Option("--merge", help="A B: B is the same agency as A.")]
    = None,
    set_region: Annotated[tuple[str, str] | None, typer.Option("--set-region",
                                                               help="A 省/市/区: correct A's region by hand.")]
    = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="text or json")] = Format.text,
) -> None:
    """The agency register: names seen, region and level; merge duplicates, correct regions.

    Corrections are kept across later ingests (names seen are remembered).

    Example: nianbao agencies --merge 岭东区人民政府 岭东区政府办
    """
    from rich.markup import escape
    from rich.table import Table

    from nianbao.store.db import StoreError
    from nianbao.store.register import agency_list, merge_agencies, set_agency_region

    store = _open(db, create=False)
    try:
        with store.engine.begin() as conn:
            if merge is not None:
                merged = merge_agencies(conn, *merge)
                typer.echo(f"已合并：{merge[1]} → {merged}", err=True)
            if set_region is not None:
                typer.echo(f"已更正地区：{set_agency_region(conn, *set_region)}", err=True)
            rows = agency_list(conn)
    except StoreError as exc:
        _fail(str(exc))
    if output is Format.json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    view = Table(title=f"共 {len(rows)} 个机关", title_justify="left")
    for heading in ("机关", "地区", "层级", "报告", "曾用名", "人工更正"):
        view.add_column(heading)
    for row in rows:
        view.add_row(escape(row["name"]), "/".join(p for p in (row["province"], row["city"], row["county"]) if p)
                     or "—", row["level"] or "—", str(row["reports"]), escape("、".join(row["names"])),
                     "是" if row["manual"] else "")
    _console(soft_wrap=True).print(view)


def register(app: typer.Typer) -> None:
    """Add the store commands to the ``nianbao`` app."""
    app.command()(ingest)
    app.command("list")(list_reports)
    app.command()(show)
    app.command()(compare)
    app.command()(summary)
    app.command()(export)
    app.command()(agencies)
