"""Many reports at once: expand folders, parse each file, keep going past bad ones.

Checks that need other reports (carry-over from last year) run here, over the whole batch,
after every report has been parsed on its own. ``stream`` gives each file's result as soon as
it (and every file before it) is done, so a command can print while the batch goes on; the
batch rules run afterwards with ``batch_findings``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nianbao.guard import Failure, parse_guarded
from nianbao.models import Finding, Report

__all__ = ["REPORT_SUFFIXES", "BatchResult", "Failure", "batch_findings", "expand", "parse_batch", "stream"]

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
            for found in sorted(path.rglob("*")):
                if (found.is_file() and found.suffix.lower() in REPORT_SUFFIXES
                        and not any(part.startswith(".") for part in found.relative_to(path).parts)):
                    yield found
        else:
            yield path


# From this many files on, a batch is parsed by one worker process per core (results in order).
PARALLEL_FROM = 32


def _parse_one(path: Path, debug: bool) -> Report | Failure:
    return parse_guarded(path, debug=debug)


def _parsed(files: list[Path], debug: bool, jobs: int | None) -> Iterator[Report | Failure]:
    """Each file's result, in the order given: in this process, or in worker processes."""
    workers = jobs if jobs is not None else (len(os.sched_getaffinity(0)) if len(files) >= PARALLEL_FROM else 1)
    if workers <= 1 or len(files) < 2:
        for path in files:
            yield parse_guarded(path, debug=debug)
        return
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(partial(_parse_one, debug=debug), files, chunksize=8)


def stream(paths: Iterable[Path], *, debug: bool = False, jobs: int | None = None) -> Iterator[Report | Failure]:
    """Each file's result with its own findings, in the order given, as soon as it is done
    (in parallel for large batches; ``jobs``: worker processes, None: one per core from
    PARALLEL_FROM files on, else none)."""
    yield from _parsed(list(expand(paths)), debug, jobs)


def batch_findings(reports: list[Report]) -> list[tuple[Report, list[Finding]]]:
    """The rules across reports (last year's of the same agency, the whole batch): the findings
    each report gains, added to ``report.findings`` too (sorted by line, then rule)."""
    from nianbao.check.across import cross_report_findings

    gained: list[tuple[Report, list[Finding]]] = []
    for report, findings in cross_report_findings(reports):
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
