"""The upload runner: one thread in the server process that ingests queued upload files, one at a time.

Each file goes through the same steps as ``nianbao.store.ingest`` (content hash; a file the store
already holds or already failed on is not parsed again; ``parse_to_record``; ``Store.write``), so
uploads keep the store's idempotence and version order. Parsing runs in a separate process
(one worker, started on demand and closed when the queue is empty) so the server's event loop and
other users' requests keep the GIL. Every file's result is written to the store as soon as it is
known, which is the progress the pages show; files left 处理中 by a stopped server are taken up
again when the next runner starts. Open jobs take turns (the one with the fewest files done goes
next, the oldest among equals); a job's files go in order.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from nianbao.store import schema
from nianbao.store.app_schema import upload_job_files, upload_jobs
from nianbao.store.db import Store
from nianbao.store.record import Failed, Parsed, Record, file_hash, parse_to_record
from nianbao.web.jobs import DONE, FAILED, OUTCOMES, PENDING, PRESENT, RUNNING, STORED, now

log = logging.getLogger("nianbao.web.uploads")
FILE_SECONDS = 600.0  # one file's parse at most; a file that takes longer is 失败, the queue goes on
TASKS_PER_WORKER = 200  # a fresh parsing process now and then: a leak in a reader cannot grow unbounded


class _Stopped(Exception):
    """The runner was stopped while a file was being parsed (the file stays 处理中, resumed later)."""


@dataclass(frozen=True)
class _Claimed:
    job_id: int
    seq: int
    path: str | None
    sha256: str | None


@dataclass(frozen=True)
class _Result:
    state: str
    message: str
    report_id: int | None = None


class UploadRunner:
    """Works the queue of upload files; ``start``/``stop`` with the app, ``wake`` after a new job."""

    def __init__(self, store: Store, *, poll: float = 2.0, file_seconds: float = FILE_SECONDS) -> None:
        self.store = store
        self.poll = poll  # also picks up jobs queued by another server process on the same store
        self.file_seconds = file_seconds
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._state = threading.Condition()
        self._wanted = 0  # wake-ups asked for
        self._idle_at = -1  # the last wake-up after which the queue was seen empty
        self._pool: ProcessPoolExecutor | None = None
        self._sequence = 0

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Resume files left 处理中 by a stopped server, then work the queue in a thread."""
        if self._thread is not None:
            return
        with self.store.engine.begin() as conn:
            conn.execute(upload_job_files.update().where(upload_job_files.c.state == RUNNING).values(state=PENDING))
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="nianbao-uploads", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current step; a file being parsed is abandoned and resumed on the next start."""
        self._stop.set()
        self._wake.set()
        self._close_pool(kill=True)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """A job was queued (call after its transaction committed)."""
        with self._state:
            self._wanted += 1
        self._wake.set()

    def join_idle(self, timeout: float) -> bool:
        """Wait until the runner thread saw the queue empty after the latest ``wake`` (tests, scripts);
        False on timeout, or when no runner thread is working the queue."""
        with self._state:
            wanted = self._wanted
            if self._thread is None:
                return False
            self._state.wait_for(lambda: self._idle_at >= wanted or self._stop.is_set(), timeout)
            return self._idle_at >= wanted

    def run_until_idle(self) -> int:
        """Work the queue in the caller's thread until it is empty (no runner thread: tests, scripts);
        returns the number of files done."""
        done = 0
        try:
            while self.step():
                done += 1
        finally:
            self._close_pool(kill=False)
        return done

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._state:
                seen = self._wanted
            self._wake.clear()
            try:
                worked = self.step()
            except _Stopped:
                break
            except Exception:  # the store went away for a moment: log, wait, try again
                log.exception("upload runner step failed")
                worked = False
            if not worked:
                with self._state:
                    self._idle_at = seen
                    self._state.notify_all()
                self._close_pool(kill=False)  # no parsing process kept while there is nothing to parse
                self._wake.wait(self.poll)
        with self._state:
            self._state.notify_all()

    # -- one file ---------------------------------------------------------------------------
    def step(self) -> bool:
        """Ingest the next queued file and record its result; False when the queue is empty."""
        claimed = self._claim()
        if claimed is None:
            return False
        try:
            result = self._ingest(claimed)
        except _Stopped:
            raise
        except Exception as exc:
            log.exception("upload %s/%s failed", claimed.job_id, claimed.seq)
            result = _Result(FAILED, f"入库时出错（{type(exc).__name__}），详情见服务器日志")
        self._finish(claimed, result)
        return True

    def _next_job(self, conn: sa.Connection) -> int | None:
        """The open job with the fewest files done (oldest first among equals): jobs take turns, so
        one user's 2,000 files do not hold back another's three."""
        F, J = upload_job_files, upload_jobs
        done = sa.func.sum(sa.case((F.c.state.in_(OUTCOMES), 1), else_=0))
        pending = sa.func.sum(sa.case((F.c.state == PENDING, 1), else_=0))
        row = conn.execute(sa.select(F.c.job_id).join(J, J.c.id == F.c.job_id).where(J.c.state != DONE)
                           .group_by(F.c.job_id).having(pending > 0).order_by(done, F.c.job_id).limit(1)).first()
        return None if row is None else int(row.job_id)

    def _claim(self) -> _Claimed | None:
        F, J = upload_job_files, upload_jobs
        while True:
            with self.store.engine.begin() as conn:
                job_id = self._next_job(conn)
                if job_id is None:
                    return None
                row = conn.execute(sa.select(F.c.job_id, F.c.seq, F.c.path, F.c.sha256)
                                   .where(F.c.job_id == job_id, F.c.state == PENDING)
                                   .order_by(F.c.seq).limit(1)).first()
                if row is None:
                    continue
                taken = conn.execute(F.update().where(F.c.job_id == row.job_id, F.c.seq == row.seq,
                                                      F.c.state == PENDING).values(state=RUNNING)).rowcount
                if taken:  # else another server process on the same store took it first
                    conn.execute(J.update().where(J.c.id == row.job_id, J.c.state == PENDING)
                                 .values(state=RUNNING, started_at=now()))
                    return _Claimed(row.job_id, row.seq, row.path, row.sha256)

    def _finish(self, claimed: _Claimed, result: _Result) -> None:
        F, J = upload_job_files, upload_jobs
        with self.store.engine.begin() as conn:
            conn.execute(F.update().where(F.c.job_id == claimed.job_id, F.c.seq == claimed.seq).values(
                state=result.state, message=result.message, report_id=result.report_id, finished_at=now()))
            left = conn.execute(sa.select(sa.func.count()).select_from(F).where(
                F.c.job_id == claimed.job_id, F.c.state.in_((PENDING, RUNNING)))).scalar_one()
            if not left:
                conn.execute(J.update().where(J.c.id == claimed.job_id).values(state=DONE, finished_at=now()))

    def _ingest(self, claimed: _Claimed) -> _Result:
        if claimed.path is None:
            return _Result(FAILED, "上传的文件未保存")
        path = Path(claimed.path)
        try:
            sha = file_hash(path)  # the saved copy as it is now, like `nianbao ingest` would see it
        except OSError:
            return _Result(FAILED, "上传的文件已不在上传文件夹中，请重新上传")
        R, X = schema.reports, schema.failures
        with self.store.engine.connect() as conn:
            report_id = conn.execute(sa.select(R.c.id).where(R.c.sha256 == sha)).scalar()
            if report_id is not None:
                return _Result(PRESENT, "已在库中（同一文件此前已入库）", int(report_id))
            reason = conn.execute(sa.select(X.c.reason).where(X.c.sha256 == sha)).scalar()
            if reason is not None:  # `nianbao ingest` does not retry a known failure either (--reparse does)
                return _Result(FAILED, str(reason))
        parsed = self._parse(path, sha)
        if isinstance(parsed, str):
            return _Result(FAILED, parsed)
        written = self.store.write([parsed])
        if isinstance(parsed, Failed):
            return _Result(FAILED, parsed.reason)
        return _Result(STORED, _stored_line(parsed), written[0])

    # -- the parsing process ----------------------------------------------------------------
    def _next_sequence(self) -> int:
        # Nanoseconds like the batch planner's, so an upload is a later version than anything before it.
        self._sequence = max(time.time_ns(), self._sequence + 1)
        return self._sequence

    def _parse(self, path: Path, sha: str) -> Record | str:
        """The file's record, or the one-line reason the parsing process gave none."""
        if self._pool is None:
            # spawn, not fork: forking a threaded server process can copy a lock held by another thread
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                             max_tasks_per_child=TASKS_PER_WORKER)
        try:
            future: Future[Record] = self._pool.submit(parse_to_record, str(path), sha, self._next_sequence())
        except (BrokenProcessPool, RuntimeError):  # closed by stop() meanwhile
            self._pool = None
            raise _Stopped from None
        deadline = time.monotonic() + self.file_seconds
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                return future.result(timeout=0.2)
            except FutureTimeout:
                if time.monotonic() > deadline:
                    self._close_pool(kill=True)
                    return f"解析超过 {self.file_seconds:g} 秒，已放弃（文件可能过大或异常）"
            except BrokenProcessPool:
                self._pool = None
                if self._stop.is_set():
                    raise _Stopped from None
                return "解析进程意外退出（文件可能过大或损坏）"

    def _close_pool(self, *, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:  # a parse cannot be cancelled once running: end its process
            for process in list((pool._processes or {}).values()):
                process.terminate()
        pool.shutdown(wait=not kill, cancel_futures=True)


def _stored_line(parsed: Parsed) -> str:
    """What a reviewer wants to know at a glance: whose report, which year, how many findings."""
    errors = sum(f[1] == "error" for f in parsed.findings)
    warnings = sum(f[1] == "warning" for f in parsed.findings)
    agency = parsed.agency or "机关未识别"
    year = f"{parsed.year} 年度" if parsed.year is not None else "年度未识别"
    return f"已入库：{agency}，{year}，错误 {errors} 项，警告 {warnings} 项"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the app's upload runner with the server and stop it with it."""
    runner: UploadRunner = app.state.upload_runner
    runner.start()
    try:
        yield
    finally:
        await run_in_threadpool(runner.stop)
