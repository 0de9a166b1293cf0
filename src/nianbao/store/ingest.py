"""Batch ingest: files → workers (processes, or a Dask cluster) → the store, as they finish.

The main process walks the inputs, hashes each file and skips what the store already holds;
workers parse; the main process writes finished records in small transactions, so memory
stays flat in the number of files and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.store import record as _record
from nianbao.store.db import Store, StoreWriter
from nianbao.store.record import Failed, Record, file_hash, parse_to_record
from nianbao.store.sum_index import create_sum_index, drop_sum_index

# Records per transaction: the first ones small, so the first reports are soon in the store (and
# a kill early on loses little), then doubling up to COMMIT_EVERY; each transaction costs the
# writer a commit and a few look-ups (256 instead of 64: ~0.6 ms less a report in a large store).
FIRST_COMMIT = 32
COMMIT_EVERY = 256
COMMIT_SECONDS = 2.0  # and at least this often while results come in
IN_FLIGHT = 4 * COMMIT_EVERY  # parsed or being parsed, not yet written (memory: ~20 MB)


@dataclass
class IngestSummary:
    stored: int = 0
    skipped: int = 0
    failed: list[Failed] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # could not even be hashed


Task = tuple[str, str, int]  # path, sha256, sequence
Progress = Callable[[int], None]  # called with the number of files just dealt with


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def plan(store: Store, files: Iterable[Path], summary: IngestSummary, *, reparse: bool,
         progress: Progress) -> Iterator[Task]:
    """The files still to parse: not stored yet, or (with --reparse) stored by another parser."""
    known = store.known()
    seen: set[str] = set()
    start = time.time_ns() // 1_000_000 * 1_000_000  # later runs sort after earlier ones
    for index, path in enumerate(files):
        try:
            sha = file_hash(path)
        except FileNotFoundError:
            summary.unreadable.append((str(path), "文件不存在"))
            progress(1)
            continue
        except OSError as exc:
            summary.unreadable.append((str(path), f"无法读取（{exc.strerror or exc}）"))
            progress(1)
            continue
        stored_by = known.get(sha)
        if sha in seen or (stored_by is not None and not (reparse and stored_by != _record.PARSER_VERSION)):
            summary.skipped += 1
            progress(1)
            continue
        seen.add(sha)
        yield str(path), sha, start + index


def stale_sources(store: Store) -> list[Path]:
    """Stored reports' files that a different parser version read (for --reparse without paths)."""
    import sqlalchemy as sa

    from nianbao.store import schema

    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.path).where(
            schema.reports.c.parser_version != _record.PARSER_VERSION)).scalars().all()
    return [Path(p) for p in rows]


class _Writer:
    """Buffers finished records and writes them in transactions."""

    def __init__(self, store: Store, summary: IngestSummary, progress: Progress) -> None:
        self.summary, self.progress = summary, progress
        self.sink = StoreWriter(store)
        self.buffer: list[Record] = []
        self.last = time.monotonic()
        self.limit = FIRST_COMMIT

    def add(self, record: Record) -> None:
        self.buffer.append(record)
        if len(self.buffer) >= self.limit or time.monotonic() - self.last >= COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.sink.write(self.buffer)
            for record in self.buffer:
                if isinstance(record, Failed):
                    self.summary.failed.append(record)
                else:
                    self.summary.stored += 1
            self.progress(len(self.buffer))
            self.buffer = []
            self.limit = min(COMMIT_EVERY, 2 * self.limit)
        self.last = time.monotonic()

    def close(self) -> None:
        self.sink.close()


def run(store: Store, tasks: Iterator[Task], summary: IngestSummary, *, jobs: int, progress: Progress,
        scheduler: str | None = None) -> None:
    # The writer keeps hundreds of objects a report alive for a while (its record, rows, slim
    # copy): young collections every 10,000 allocations cut ~10 % of its CPU in a large store.
    from nianbao.batch import fewer_collections

    with fewer_collections():
        _run(store, tasks, summary, jobs=jobs, progress=progress, scheduler=scheduler)


def _run(store: Store, tasks: Iterator[Task], summary: IngestSummary, *, jobs: int, progress: Progress,
         scheduler: str | None = None) -> None:
    writer = _Writer(store, summary, progress)
    try:
        if scheduler is not None:
            _run_dask(tasks, writer, scheduler)
        elif jobs <= 1:
            for path, sha, sequence in tasks:
                writer.add(parse_to_record(path, sha, sequence))
        else:
            _run_processes(tasks, writer, jobs)
    finally:
        try:
            writer.flush()  # what finished before an interruption is kept
        finally:
            writer.close()


def _run_processes(tasks: Iterator[Task], writer: _Writer, jobs: int) -> None:
    # Files in flight: enough to keep every worker busy while the writer stores a full
    # transaction (the writer's time per report is close to a worker's), few enough to stay small.
    window = max(jobs * 8, IN_FLIGHT)
    from nianbao.batch import tune_worker_gc

    with ProcessPoolExecutor(max_workers=jobs, initializer=tune_worker_gc) as pool:
        pending: set[Future[Record]] = set()
        for path, sha, sequence in tasks:
            pending.add(pool.submit(parse_to_record, path, sha, sequence))
            if len(pending) >= window:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    writer.add(future.result())
        for future in _drain(pending):
            writer.add(future.result())


def _drain(pending: set[Future[Record]]) -> Iterator[Future[Record]]:
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from done


def _run_dask(tasks: Iterator[Task], writer: _Writer, scheduler: str) -> None:
    from distributed import Client, as_completed

    with Client(scheduler, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        window = max(8, 8 * sum(client.nthreads().values()))
        stream = as_completed(loop=client.loop)  # type: ignore[no-untyped-call]
        in_flight = 0
        for path, sha, sequence in tasks:
            stream.add(client.submit(parse_to_record, path, sha, sequence, pure=False))  # type: ignore[no-untyped-call]
            in_flight += 1
            if in_flight >= window:
                writer.add(next(stream).result())
                in_flight -= 1
        for done in stream:
            writer.add(done.result())


def ingest(store: Store, files: Iterable[Path], *, jobs: int | None = None, reparse: bool = False,
           scheduler: str | None = None, progress: Progress = lambda n: None) -> IngestSummary:
    """Ingest the given files (folders already expanded) into the store; see `nianbao ingest`."""
    summary = IngestSummary()
    files = list(files)
    bulk = _is_bulk(store, len(files))
    if bulk:
        with store.engine.begin() as conn:
            drop_sum_index(conn)
    try:
        tasks = plan(store, files, summary, reparse=reparse, progress=progress)
        run(store, tasks, summary, jobs=jobs or default_jobs(), progress=progress, scheduler=scheduler)
    finally:
        # Also after an interruption; a store left without it by a kill gets it at the end of the
        # next ingest (sums are the same without it, only slower).
        with store.engine.begin() as conn:
            create_sum_index(conn)
    return summary


# From this many files, and at least as many as the store holds, an ingest drops the dashboard's
# sum index and builds it once at the end (store/sum_index.py): cheaper than keeping it up to date.
BULK_FROM = 2000


def _is_bulk(store: Store, count: int) -> bool:
    if count < BULK_FROM:
        return False
    import sqlalchemy as sa

    from nianbao.store import schema

    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(schema.reports)).scalar_one()
    return count >= stored
