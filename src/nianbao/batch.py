"""Many reports at once: expand folders, parse each file, keep going past bad ones.

Checks that need other reports (carry-over from last year) run here, over the whole batch,
after every report has been parsed on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nianbao.check.across import cross_report_findings
from nianbao.guard import Failure, parse_guarded
from nianbao.models import Report

__all__ = ["REPORT_SUFFIXES", "BatchResult", "Failure", "expand", "parse_batch"]

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


def parse_batch(paths: Iterable[Path], *, debug: bool = False, jobs: int | None = None) -> BatchResult:
    """Parse every file (in parallel for large batches), then the rules across the batch's reports.

    ``jobs``: worker processes (None: one per core from PARALLEL_FROM files on, else none)."""
    reports: list[Report] = []
    failures: list[Failure] = []
    for result in _parsed(list(expand(paths)), debug, jobs):
        if isinstance(result, Failure):
            failures.append(result)
        else:
            reports.append(result)
    for report, findings in cross_report_findings(reports):
        report.findings = sorted([*report.findings, *findings], key=lambda f: (f.line or 0, f.rule))
    return BatchResult(reports, failures)
