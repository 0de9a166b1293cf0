"""Many reports at once: expand folders, parse each file, keep going past bad ones.

Checks that need other reports (carry-over from last year) run here, over the whole batch,
after every report has been parsed on its own. ``stream`` gives each file's result as soon as
it (and every file before it) is done, so a command can print while the batch goes on; the
batch rules run afterwards with ``batch_findings``.

``stream_lines`` is the same for a command that prints JSON: each worker returns the file's
finished JSON line and a slim copy of the report (what the batch rules read), so the main
process neither re-serialises nor holds thousands of whole reports; ``lines_with_findings``
then merges the batch rules' findings into the lines that gain some.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nianbao.guard import Failure, parse_guarded
from nianbao.models import Finding, Report

if TYPE_CHECKING:
    from nianbao.check.across import PairFindings

__all__ = ["REPORT_SUFFIXES", "BatchResult", "Failure", "Parsed", "batch_findings", "expand", "fewer_collections",
           "line_with_findings", "parse_batch", "stream", "stream_lines"]

# Files taken from a folder (an explicitly named file is always tried, whatever its name).
REPORT_SUFFIXES = frozenset({".txt", ".text", ".md", ".html", ".htm", ".shtml", ".xhtml", ".pdf", ".docx",
                             ".doc", ".wps", ".odt", ".png", ".jpg", ".jpeg",
                             ".xlsx", ".xls", ".et", ".ods"})


@dataclass
class BatchResult:
    reports: list[Report]
    failures: list[Failure]


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and the report files inside named folders (recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            # sorted by parts, which is how paths compare (without a Python-level comparison per pair)
            for found in sorted(path.rglob("*"), key=lambda p: p.parts):
                inside = found.parts[len(path.parts):]  # rglob extends the folder's parts: its relative_to, cheaper
                if (found.suffix.lower() in REPORT_SUFFIXES and not any(part.startswith(".") for part in inside)
                        and found.is_file()):
                    yield found
        else:
            yield path


# From this many files on, a batch is parsed by one worker process per core (results in order).
PARALLEL_FROM = 32


def _parse_one(path: Path, debug: bool) -> Report | Failure:
    return parse_guarded(path, debug=debug)


_Result = TypeVar("_Result")


def _in_order(work: Callable[[Path], _Result], files: list[Path], jobs: int | None) -> Iterator[_Result]:
    """``work`` on each file, results in the order given: in this process, or in worker processes."""
    workers = jobs if jobs is not None else (len(os.sched_getaffinity(0)) if len(files) >= PARALLEL_FROM else 1)
    if workers <= 1 or len(files) < 2:
        yield from map(work, files)
        return
    from concurrent.futures import ProcessPoolExecutor

    # Chunks of a few dozen files: fewer round trips, yet the first results come back soon.
    chunk = max(1, min(16, len(files) // (8 * workers)))
    with ProcessPoolExecutor(max_workers=workers, initializer=tune_worker_gc) as pool:
        yield from pool.map(work, files, chunksize=chunk)


def tune_worker_gc() -> None:
    """Cheaper garbage collection in a worker process that parses one file after another (its
    initializer). A parse allocates many short-lived containers, so CPython's default (a young
    collection every 700) runs hundreds of times a report, and each full collection walks
    everything the worker inherited (modules, templates, regexes). Fewer young collections and the
    inherited objects frozen out of the walk cut ~5-15 % of a report's CPU; cycles are still
    collected, so memory stays flat."""
    import gc

    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Young garbage collections every 10,000 allocations instead of 700 in this process while a
    batch's results pile up (restored after). Each result unpickled makes ~100 objects that live on,
    and each full collection walks all of them again: with Python's default, collecting took a third
    of the main process's CPU for 10,000 reports (~0.4 of ~2.2 s, most of it in the serial end)."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(10_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _parsed(files: list[Path], debug: bool, jobs: int | None) -> Iterator[Report | Failure]:
    """Each file's result, in the order given: in this process, or in worker processes."""
    yield from _in_order(partial(_parse_one, debug=debug), files, jobs)


def stream(paths: Iterable[Path], *, debug: bool = False, jobs: int | None = None) -> Iterator[Report | Failure]:
    """Each file's result with its own findings, in the order given, as soon as it is done
    (in parallel for large batches; ``jobs``: worker processes, None: one per core from
    PARALLEL_FROM files on, else none)."""
    yield from _parsed(list(expand(paths)), debug, jobs)


Record = Callable[[Report], dict[str, Any]]


@dataclass(slots=True)
class Parsed:
    """One parsed file as a command printing JSON needs it."""

    line: bytes  # the file's JSON object (``record(report)``) and a newline, UTF-8
    report: Report  # the slim copy the batch rules read (check.across.slim_report)
    errors: bool  # the report has a finding of severity "error"
    findings_at: int = -1  # where the line's "findings" array starts (``encode_split_line``), -1: unknown

    def __reduce__(self) -> tuple[type[Parsed], tuple[bytes, Report, bool, int]]:
        return Parsed, (self.line, self.report, self.errors, self.findings_at)  # cheaper than the slots' state


def _parse_line(path: Path, debug: bool, record: Record, batch: bool) -> Parsed | Failure:
    from nianbao.check.across import slim_report

    result = parse_guarded(path, debug=debug)
    if isinstance(result, Failure):
        return result
    line, findings_at = encode_split_line(record(result))
    return Parsed(line, slim_report(result, signature=batch), any(f.severity == "error" for f in result.findings),
                  findings_at)


# json.dumps(record, ensure_ascii=False) without the check for reference cycles (a record has
# none; the check's bookkeeping was ~8% of encoding a report's line), built once.
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def encode_line(record: dict[str, Any]) -> bytes:
    """One JSON Lines line, as every command prints them: ``json.dumps(record, ensure_ascii=False)``."""
    return (_LINE_ENCODER.encode(record) + "\n").encode("utf-8")


_FINDINGS = "findings"
_FINDINGS_TAIL = b"}\n"  # what follows the array when "findings" is the record's last field


def encode_split_line(record: dict[str, Any]) -> tuple[bytes, int]:
    """``encode_line(record)`` and the byte offset where its ``"findings"`` array starts, when
    that is the record's last field (else -1). The line is encoded as the fields before the array,
    then the array: the same bytes as one encoding, and the batch's findings can later be merged
    into the array alone (``line_with_findings``) without decoding and encoding the whole line."""
    if len(record) < 2 or next(reversed(record)) != _FINDINGS:
        return encode_line(record), -1
    fields = dict(record)
    findings = fields.pop(_FINDINGS)
    head = (_LINE_ENCODER.encode(fields)[:-1] + f', "{_FINDINGS}": ').encode("utf-8")
    return head + _LINE_ENCODER.encode(findings).encode("utf-8") + _FINDINGS_TAIL, len(head)


def stream_lines(paths: Iterable[Path], record: Record, *, debug: bool = False,
                 jobs: int | None = None) -> Iterator[Parsed | Failure]:
    """``stream`` for a command that prints ``record(report)`` as JSON Lines: each file's line
    and slim report, made where it was parsed (``record`` must be a module-level function, so
    that worker processes can be handed it)."""
    files = list(expand(paths))
    if len(files) > 1:
        # the slim reports' shingle codes and the batch rules need numpy: imported before the
        # workers fork, they inherit it instead of each importing it (~0.14 s of CPU), and the
        # serial end of the batch does not wait for its import either
        import numpy  # noqa: F401
    yield from _in_order(partial(_parse_line, debug=debug, record=record, batch=len(files) > 1), files, jobs)


def line_with_findings(line: bytes, findings: list[Finding], findings_at: int = -1) -> bytes:
    """A file's line with the batch rules' findings added to its ``findings``, in the order
    ``batch_findings`` gives a report's findings (by line, then rule). With ``findings_at`` (from
    ``encode_split_line``) only the findings array is decoded and encoded again (a few hundred
    bytes of a ~20 kB line: ~1 ms a line saved), else the whole line."""
    if findings_at < 0:
        record = json.loads(line)
        record[_FINDINGS] = _merged_findings(record[_FINDINGS], findings)
        return encode_line(record)
    merged = _merged_findings(json.loads(line[findings_at:-len(_FINDINGS_TAIL)]), findings)
    return line[:findings_at] + _LINE_ENCODER.encode(merged).encode("utf-8") + _FINDINGS_TAIL


def _merged_findings(contracts: list[dict[str, Any]], findings: list[Finding]) -> list[dict[str, Any]]:
    return sorted([*contracts, *(f.contract() for f in findings)], key=lambda f: (f["line"] or 0, f["rule"]))


def batch_findings(reports: list[Report], *, pairs: PairFindings | None = None) -> list[tuple[Report, list[Finding]]]:
    """The rules across reports (last year's of the same agency, the whole batch): the findings
    each report gains, added to ``report.findings`` too (sorted by line, then rule). ``pairs``:
    the pair rules' findings, made as the same reports came (check.across.PairFindings)."""
    from nianbao.check.across import cross_report_findings

    gained: list[tuple[Report, list[Finding]]] = []
    for report, findings in cross_report_findings(reports, pairs=pairs):
        if findings:
            report.findings = sorted([*report.findings, *findings], key=lambda f: (f.line or 0, f.rule))
            gained.append((report, findings))
    return gained


def parse_batch(paths: Iterable[Path], *, debug: bool = False, jobs: int | None = None) -> BatchResult:
    """Parse every file (in parallel for large batches), then the rules across the batch's reports."""
    reports: list[Report] = []
    failures: list[Failure] = []
    for result in stream(paths, debug=debug, jobs=jobs):
        if isinstance(result, Failure):
            failures.append(result)
        else:
            reports.append(result)
    batch_findings(reports)
    return BatchResult(reports, failures)
