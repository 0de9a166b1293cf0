"""The ``nianbao`` command: a thin layer over the library that prints reports and maps errors."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, NoReturn

import typer

from nianbao import __version__, cli_params
from nianbao.batch import BatchResult, Failure, Record, batch_findings, stream
from nianbao.guard import internal_reason
from nianbao.ingest import limits
from nianbao.models import Report
from nianbao.normalize import safe_name

# Start-up: only what parsing needs is imported here; rich, the renderers, the review page and
# workbook, the sample generator and the store are imported by the commands that use them.
if TYPE_CHECKING:
    from nianbao.render import ReportData

cli_params.install()  # paths and choices coerced without importing pydantic (issue #12)

EXIT_ERRORS = 1
EXIT_UNUSABLE = 2
DEBUG_ENV = "NIANBAO_DEBUG"


def _debug() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0") or "--debug" in sys.argv[1:]


class _App(typer.Typer):
    """The command, with a last line of defence: an unexpected exception is one line on stderr
    and exit status 2 (1 means "errors found" for ``check``); the traceback only with --debug."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        every = self.registered_commands
        try:
            if not args and not kwargs:
                self._only(_invoked_command(sys.argv[1:]))
            return super().__call__(*args, **kwargs)
        except KeyboardInterrupt:
            sys.stderr.write("nianbao: 已中断\n")
            raise SystemExit(130) from None
        except BrokenPipeError:  # the reader of our output went away (| head): not an error of ours
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0) from None
        except Exception as exc:
            if _debug():
                traceback.print_exception(exc, file=sys.stderr)
            sys.stderr.write(f"nianbao: {internal_reason(exc)}（加 --debug 可看详细信息）\n")
            raise SystemExit(EXIT_UNUSABLE) from None
        finally:
            self.registered_commands = every  # a later call in the same process sees every command

    def _only(self, name: str | None) -> None:
        """Start-up: typer inspects every registered command's signature before running one
        (~30 ms for the store's and web's commands); when the command line names one of ours,
        build only that one. Help and errors for it read the same."""
        if name is None or any(group.name == name for group in self.registered_groups):
            return
        chosen = [c for c in self.registered_commands
                  if c.callback is not None and (c.name or c.callback.__name__.replace("_", "-").lower()) == name]
        if len(chosen) == 1:
            self.registered_commands = chosen


def _invoked_command(argv: list[str]) -> str | None:
    """The command the arguments name, after the global options (None: none, or --help/--version)."""
    with_value = {limit.option for limit in limits.ALL_LIMITS}
    at = 0
    while at < len(argv):
        arg = argv[at]
        if arg in ("--help", "--version"):
            return None
        if not arg.startswith("-"):
            return arg
        at += 2 if arg in with_value else 1
    return None


app = _App(add_completion=False, no_args_is_help=False, pretty_exceptions_enable=False,
           help="政府信息公开工作年度报告：解析、核对、生成。")


# The sample command's default --formats: nianbao.sample.corpus.SAMPLE_FORMATS (a test keeps
# them equal), written out so that start-up does not import the sample generator.
SAMPLE_FORMATS_DEFAULT = "txt,md,html,docx,pdf"


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def sample_reports() -> list[Path]:
    """The fictional sample reports shipped with nianbao (the demo's default input)."""
    folder = resources.files("nianbao").joinpath("samples")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".txt"))


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nianbao {__version__}")
        raise typer.Exit()


def _limit_option(limit: limits.Limit, what: str) -> Any:
    return typer.Option(limit.option, help=f"{what} (default {limit.default}; env {limit.env}).",
                        min=1, show_default=False)


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="On an internal error, print its traceback.")] = False,
    max_file_mb: Annotated[int | None, _limit_option(limits.FILE_MB, "Largest input file, MB")] = None,
    max_image_mpx: Annotated[int | None, _limit_option(limits.IMAGE_MPX, "Most pixels per image, millions")]
    = None,
    max_pdf_pages: Annotated[int | None, _limit_option(limits.PDF_PAGES, "Most pages per PDF")] = None,
    max_unpacked_mb: Annotated[int | None, _limit_option(limits.UNPACKED_MB, "Largest unpacked DOCX/XLSX, MB")]
    = None,
    max_depth: Annotated[int | None, _limit_option(limits.DEPTH, "Deepest element nesting of a web page")]
    = None,
) -> None:
    """Limits set here (or by their environment variables) apply to every file read."""
    if debug:
        os.environ[DEBUG_ENV] = "1"
    chosen = {limits.FILE_MB: max_file_mb, limits.IMAGE_MPX: max_image_mpx, limits.PDF_PAGES: max_pdf_pages,
              limits.UNPACKED_MB: max_unpacked_mb, limits.DEPTH: max_depth}
    for limit, number in chosen.items():
        if number is not None:
            os.environ[limit.env] = str(number)  # the environment: worker processes see it too
    for limit in limits.ALL_LIMITS:
        try:
            limits.value(limit)
        except limits.LimitSettingError as exc:
            _fail(str(exc))


@app.command()
def parse(
    files: Annotated[list[Path] | None, typer.Argument(help="Report files or folders; none: the bundled samples.")]
    = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text (readable) or json (contract)")] =
    OutputFormat.text,
    streamed: Annotated[bool, typer.Option("--stream", help=STREAM_HELP)] = False,
) -> None:
    """Parse reports into the template's data: meta, the three tables, sections, findings.

    With --format json prints one contract object per file (JSON Lines for several files);
    with --stream too, each as soon as it is done (the rules across reports follow at the end).
    Exit status 0 when every file parsed, 2 when a file is unusable (the others are still parsed).

    Example: nianbao parse --format json report.txt
    """
    paths = _inputs(files)
    if output is OutputFormat.json:
        printed = _print_json_batch(paths, _contract_record, streamed=streamed)
        _report_failures(printed, paths)
        return
    batch = _run_batch(paths, output, _contract_record, streamed=streamed)
    from nianbao.render_text import print_report
    from nianbao.text_table import Screen

    screen = Screen.stdout()
    for report in batch.reports:
        print_report(report, screen)
    _report_failures(_Printed.of(batch), paths)


@app.command()
def check(
    files: Annotated[list[Path] | None, typer.Argument(help="Report files or folders; none: the bundled samples.")]
    = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text (terminal) or json (findings)")] =
    OutputFormat.text,
    html: Annotated[Path | None, typer.Option("--html", help="Write the review page (one HTML file).")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write the findings workbook, one row each.")] = None,
    streamed: Annotated[bool, typer.Option("--stream", help=STREAM_HELP)] = False,
) -> None:
    """Check reports and print the findings (审核意见), by severity, with their places.

    Exit status: 0 no errors, 1 errors found, 2 a file could not be read (the others are still
    checked). Reports of one agency for consecutive years in the same batch are also checked
    against each other (carry-over).

    Example: nianbao check reports/ --html review.html --xlsx findings.xlsx
    """
    paths = _inputs(files)
    if output is OutputFormat.json and html is None and xlsx is None:
        printed = _print_json_batch(paths, _findings_record, streamed=streamed)
        _report_failures(printed, paths)
        if printed.errors:
            raise typer.Exit(EXIT_ERRORS)
        return
    batch = _run_batch(paths, output, _findings_record, streamed=streamed)
    if output is OutputFormat.text:
        from nianbao.render_text import print_findings
        from nianbao.text_table import Screen

        for report in batch.reports:
            print_findings(report, Screen.stdout())
    if html is not None:
        from nianbao.review.html import review_page

        _write(html, review_page(batch).encode("utf-8"))
        typer.echo(f"审核页面已写入 {html}", err=True)
    if xlsx is not None:
        from nianbao.review.xlsx import findings_workbook

        _write(xlsx, findings_workbook(batch))
        typer.echo(f"审核意见表已写入 {xlsx}", err=True)
    if output is OutputFormat.text and len(batch.reports) > 1:
        from nianbao.render_text import print_batch_summary
        from nianbao.text_table import Screen

        print_batch_summary(batch.reports, Screen.stdout())
    _report_failures(_Printed.of(batch), paths)
    if any(f.severity == "error" for r in batch.reports for f in r.findings):
        raise typer.Exit(EXIT_ERRORS)


@app.command()
def rules(
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json")] = OutputFormat.text,
) -> None:
    """The rule catalogue: id, severity, what each rule checks and why."""
    from nianbao.check import RULES
    from nianbao.render_text import print_rules

    catalogue = sorted(RULES.values(), key=lambda r: r.id)
    if output is OutputFormat.json:
        for item in catalogue:
            sys.stdout.write(json.dumps({"id": item.id, "severity": item.severity, "title": item.title,
                                         "explanation": item.explanation, "scope": item.scope,
                                         "phrasings": list(item.phrasings)},
                                        ensure_ascii=False) + "\n")
        return
    from nianbao.text_table import Screen

    print_rules(catalogue, Screen.stdout())


class RenderFormat(StrEnum):
    html = "html"
    md = "md"
    docx = "docx"
    pdf = "pdf"


@app.command()
def render(
    data: Annotated[Path | None, typer.Argument(help="Report data: JSON with meta, values and optional prose.")]
    = None,
    from_excel: Annotated[Path | None, typer.Option("--from-excel", help="A workbook from `nianbao template`.")]
    = None,
    fmt: Annotated[RenderFormat, typer.Option("--format", "-f", help="html, md, docx or pdf")] = RenderFormat.html,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (default: beside the data).")]
    = None,
    allow_errors: Annotated[bool, typer.Option("--allow-errors", help="Render even if identities fail.")] = False,
) -> None:
    """Write a report in the template's layout from data (the contract's meta and values).

    The data may also give "intro" (text before section 一), "prose" (section number → text)
    and "fee_wan" (信息处理费 collected, 万元). Data that breaks a table identity is refused
    with the cells listed, unless --allow-errors.

    Example: nianbao render data.json --format docx -o report.docx
    """
    if (data is None) == (from_excel is None):
        _fail("请给出一个数据文件（JSON），或用 --from-excel 给出填好的工作簿，二者选一")
    from nianbao.render import BrokenIdentities
    from nianbao.render import render as render_report

    source = data or from_excel
    assert source is not None
    blanks: list[str] = []
    report_data = _load_report_data(data) if data is not None else _load_workbook(source, blanks)
    if blanks:
        shown = "、".join(blanks[:12]) + (f" 等 {len(blanks)} 格" if len(blanks) > 12 else "")
        if not allow_errors:
            typer.echo(f"nianbao: {source}: 工作簿有 {len(blanks)} 个数值单元格未填写，未生成报告"
                       f"（为 0 请填 0；可加 --allow-errors 留空生成）：{shown}", err=True)
            raise typer.Exit(EXIT_ERRORS)
        typer.echo(f"nianbao: {source}: 注意，{len(blanks)} 个数值单元格未填写，报告中留空：{shown}", err=True)
    try:
        blob = render_report(report_data, fmt.value, allow_errors=allow_errors)
    except BrokenIdentities as exc:
        typer.echo(f"nianbao: {source}: 数据不满足表格勾稽关系，未生成报告（可加 --allow-errors 强制生成）：", err=True)
        for problem in exc.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(EXIT_ERRORS) from None
    target = out or source.with_suffix(f".{fmt.value}")
    _write(target, blob)
    typer.echo(f"报告已写入 {target}", err=True)


@app.command()
def sample(
    count: Annotated[int, typer.Option("-n", "--count", min=1, help="How many sample reports.")] = 30,
    out: Annotated[Path, typer.Option("--output", "-o", help="Folder for cases/, gold/ and manifest.json.")] =
    Path("samples"),
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same corpus.")] = 7,
    defects: Annotated[float, typer.Option("--defects", min=0.0, max=1.0, help="Share with planted defects.")]
    = 0.3,
    formats: Annotated[str, typer.Option("--formats", help="Comma-separated: txt,md,html,docx,pdf")] =
    SAMPLE_FORMATS_DEFAULT,
    families: Annotated[str, typer.Option("--families", help="Layout families instead of formats: all, or "
                                          "comma-separated crawled,legacy-provincial,blank-cells,div-grid,"
                                          "browser-copy,pdftotext-raw,xlsx,pdf-markdown,wrapped-title")] = "",
) -> None:
    """Write a corpus of fictional sample reports with their gold data (score.py format).

    Agencies are made up (…县示范…局), numbers are consistent over the years (carry-over),
    layouts carry the damage of real copies, and a share of the reports carries planted
    defects; gold/<id>.json records the values and the rule ids each sample must raise.

    Example: nianbao sample -n 200 -o samples/ --seed 7 --defects 0.3 --formats txt,html,pdf
    With --families (e.g. --families all) every sample is drawn in one of the chosen layout
    families, in turn; the gold lists in accept_null what the family leaves undecided.
    """
    from nianbao.sample.corpus import make_corpus
    from nianbao.sample.families import parse_families

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    try:
        layouts = parse_families(families) if families.strip() else ()
        manifest = make_corpus(out, count, seed=seed, defect_share=defects, formats=chosen, families=layouts)
    except ValueError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{out}: 无法写入（{exc.strerror}）")
    planted = sum(bool(m["defects"]) for m in manifest)
    typer.echo(f"已生成 {len(manifest)} 份示例报告（其中 {planted} 份含预置问题）：{out / 'cases'}，"
               f"标准答案 {out / 'gold'}，清单 {out / 'manifest.json'}", err=True)


@app.command()
def template(
    xlsx: Annotated[Path, typer.Option("--xlsx", help="Where to write the blank workbook.")],
    year: Annotated[int, typer.Option("--year", min=2008, max=2100, help="Report year (decides the template).")],
    agency: Annotated[str, typer.Option("--agency", help="The agency's name, filled in for you.")] = "",
) -> None:
    """Write the blank tables of the year's template as an Excel workbook to fill in.

    Totals are live formulas, so the sums show as you type; fill 报告信息 too, then
    `nianbao render --from-excel filled.xlsx --format docx` writes the report.

    Example: nianbao template --xlsx blank.xlsx --year 2024
    """
    from nianbao.render.workbook import blank_workbook
    from nianbao.templates import template_for_year

    _write(xlsx, blank_workbook(year, agency))
    typer.echo(f"空白表格已写入 {xlsx}（{year} 年度，模板 {template_for_year(year)}）", err=True)


def _load_workbook(path: Path, blanks: list[str]) -> ReportData:
    from nianbao.render.workbook import WorkbookError, read_workbook

    try:
        return read_workbook(path.read_bytes(), blanks)
    except FileNotFoundError:
        _fail(f"{path}: 文件不存在")
    except OSError as exc:
        _fail(f"{path}: 无法读取文件（{exc.strerror or type(exc).__name__}）")
    except WorkbookError as exc:
        _fail(f"{path}: {exc}")


def _load_report_data(path: Path) -> ReportData:
    from pydantic import ValidationError

    from nianbao.render import ReportData

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ReportData.model_validate(raw)
    except FileNotFoundError:
        _fail(f"{path}: 文件不存在")
    except OSError as exc:
        _fail(f"{path}: 无法读取文件（{exc.strerror or type(exc).__name__}）")
    except RecursionError:
        _fail(f"{path}: JSON 嵌套过深")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{path}: 不是有效的 JSON（{exc}）")
    except ValidationError as exc:
        problems = "；".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        _fail(f"{path}: 数据不完整或格式不对（{problems}）")


def _fail(message: str) -> NoReturn:
    typer.echo(f"nianbao: {message}", err=True)
    raise typer.Exit(EXIT_UNUSABLE)


def _write(path: Path, blob: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
    except OSError as exc:
        _fail(f"{path}: 无法写入（{exc.strerror}）")


def _inputs(files: list[Path] | None) -> list[Path]:
    if files:
        return files
    paths = sample_reports()
    typer.echo(f"未指定文件：使用 {len(paths)} 份内置示例报告（虚构机关）。", err=True)
    return paths


def _contract_record(report: Report) -> dict[str, Any]:
    return report.contract()


def _findings_record(report: Report) -> dict[str, Any]:
    return {"source": report.source.contract(), "meta": report.meta.contract(),
            "findings": [f.contract() for f in report.findings]}


STREAM_HELP = ("With --format json: print each file's line as soon as it is done; findings of the rules "
               "across reports follow as extra lines {source, batch_findings} at the end.")


def _run_batch(paths: list[Path], output: OutputFormat, record: Record, *,
               streamed: bool) -> BatchResult:
    """Parse the files, saying each unusable file's reason as it comes; with --format json print
    one object per file, in the order given (the output contract).

    Rules across reports need the whole batch, so they run at the end. By default each file's
    object waits for them and holds all its findings. With ``streamed`` (and JSON) each file's
    object is printed as soon as it and the files before it are done, with its own findings;
    each report the batch rules add findings to then gets one more line after all the files'
    objects, ``{"source": {"path", "sha256"}, "batch_findings": [...]}``."""
    live = streamed and output is OutputFormat.json
    reports: list[Report] = []
    failures: list[Failure] = []
    for result in stream(paths, debug=_debug()):
        if isinstance(result, Failure):
            failures.append(result)
            _say_failure(result)
        else:
            reports.append(result)
            if live:
                _write_line(record(result))
    gained = batch_findings(reports) if len(reports) > 1 else []
    if output is OutputFormat.json and not live:
        for report in reports:
            _write_line(record(report))
    elif live:
        for report, findings in gained:
            _write_line({"source": {"path": report.source.path, "sha256": report.source.sha256},
                         "batch_findings": [f.contract() for f in findings]})
    return BatchResult(reports, failures)


def _write_line(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@dataclass
class _Printed:
    """What is left to say after a batch's lines are printed: how many reports, which files failed."""

    reports: int
    failures: list[Failure]
    errors: bool = False  # some report has a finding of severity "error"

    @classmethod
    def of(cls, batch: BatchResult) -> _Printed:
        return cls(len(batch.reports), batch.failures,
                   any(f.severity == "error" for r in batch.reports for f in r.findings))


def _print_json_batch(paths: list[Path], record: Record, *, streamed: bool) -> _Printed:
    """``_run_batch`` for --format json, the output byte for byte the same: each file's line is
    made by the process that parsed it, and only a slim copy of each report (what the rules
    across reports read) is kept for the batch rules. Without ``streamed`` the lines wait (past
    64 MB in a temporary file, not in memory), and the findings arrays of the lines of reports that gain
    findings are re-made."""
    from nianbao.batch import Parsed, encode_line, fewer_collections, line_with_findings, stream_lines
    from nianbao.check.across import PairFindings

    out = _binary_stdout()
    slims: list[Report] = []
    pairs = PairFindings()  # the pair rules run as the reports come, while the workers parse the rest
    findings_at: list[int] = []  # where each held line's findings array starts (Parsed.findings_at)
    printed = _Printed(0, [])
    with _HeldLines() as held, fewer_collections():
        for result in stream_lines(paths, record, debug=_debug()):
            if isinstance(result, Parsed):
                slims.append(result.report)
                pairs.add(result.report)
                printed.errors |= result.errors
                if streamed:
                    out.write(result.line)
                    out.flush()
                else:
                    held.add(result.line)
                    findings_at.append(result.findings_at)
            else:
                printed.failures.append(result)
                _say_failure(result)
        printed.reports = len(slims)
        gained = batch_findings(slims, pairs=pairs) if len(slims) > 1 else []
        printed.errors |= any(f.severity == "error" for _, found in gained for f in found)
        if streamed:
            for report, findings in gained:
                out.write(encode_line({"source": {"path": report.source.path, "sha256": report.source.sha256},
                                       "batch_findings": [f.contract() for f in findings]}))
        else:
            added = {id(report): findings for report, findings in gained}
            for report, at, line in zip(slims, findings_at, held, strict=True):
                out.write(line_with_findings(line, added[id(report)], at) if id(report) in added else line)
    out.flush()
    return printed


class _HeldLines:
    """Lines waiting for the batch rules, in order: in memory up to ``limit`` bytes, the rest in
    a temporary file (10,000 reports make ~250 MB of JSON)."""

    def __init__(self, limit: int = 64 << 20) -> None:
        self._limit = limit
        self._kept: list[bytes] = []
        self._size = 0
        self._spilled: list[int] = []
        self._file: BinaryIO | None = None

    def add(self, line: bytes) -> None:
        if self._file is None and self._size + len(line) <= self._limit:
            self._kept.append(line)
            self._size += len(line)
            return
        if self._file is None:
            import tempfile

            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        self._file.write(line)
        self._spilled.append(len(line))

    def __iter__(self) -> Iterator[bytes]:
        yield from self._kept
        if self._file is not None:
            self._file.seek(0)
            for size in self._spilled:
                yield self._file.read(size)

    def __enter__(self) -> _HeldLines:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def _binary_stdout() -> BinaryIO:
    sys.stdout.flush()  # anything printed as text goes first
    buffer: BinaryIO | None = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # stdout replaced by a text-only stream (a test harness)
        raise RuntimeError("stdout takes no bytes")
    return buffer


def _say_failure(failure: Failure) -> None:
    if failure.detail:
        sys.stderr.write(failure.detail)
    hint = "（加 --debug 可看详细信息）" if failure.internal and not failure.detail else ""
    typer.echo(f"nianbao: {failure.path}: {failure.reason}{hint}", err=True)


def _report_failures(batch: _Printed, paths: list[Path]) -> None:
    """The end of a batch: the count of unusable files (each was reported as it came)."""
    if batch.failures:
        total = batch.reports + len(batch.failures)
        internal = sum(f.internal for f in batch.failures)
        if total > 1:
            typer.echo(f"nianbao: {len(batch.failures)}/{total} 个文件无法读取"
                       + (f"（其中 {internal} 个为内部错误）" if internal else ""), err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    if not batch.reports:
        _fail("没有找到报告文件：" + "、".join(safe_name(str(p)) for p in paths))


# The store commands (ingest, list, show, compare, summary, export, agencies) live in cli_store.
from nianbao.cli_store import register as _register_store_commands  # noqa: E402

_register_store_commands(app)

# The web commands (serve, users) live in cli_web.
from nianbao.cli_web import register as _register_web_commands  # noqa: E402

_register_web_commands(app)
