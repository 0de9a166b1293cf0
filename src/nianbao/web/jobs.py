"""Upload jobs in the store: created by the upload request, worked by the runner (``job_runner``).

A job is one upload; its files are the report files it holds, in order. Each file moves
待处理 → 处理中 → 已入库 / 已在库中 / 失败; the job is 待处理 until the runner takes its first file,
处理中 while any file is left, then 已完成. Counts are grouped from the files when read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from nianbao.store.app_schema import upload_job_files, upload_jobs, users
from nianbao.web.uploads import Saved

PENDING, RUNNING, DONE = "待处理", "处理中", "已完成"  # a job's states (a file's first two too)
STORED, PRESENT, FAILED = "已入库", "已在库中", "失败"  # a file's outcomes
FILE_STATES = (PENDING, RUNNING, STORED, PRESENT, FAILED)
OUTCOMES = (STORED, PRESENT, FAILED)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobFile:
    seq: int
    name: str
    state: str
    message: str | None
    report_id: int | None


@dataclass
class Job:
    id: int
    user_id: int
    user: str
    state: str
    total: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    counts: dict[str, int]  # every file state, zeros included
    files: list[JobFile] = field(default_factory=list)  # empty when loaded without them

    @property
    def done(self) -> int:
        return sum(self.counts[s] for s in OUTCOMES)

    @property
    def finished(self) -> bool:
        return self.state == DONE

    @property
    def summary(self) -> str:
        tally = f"已入库 {self.counts[STORED]}，已在库中 {self.counts[PRESENT]}，失败 {self.counts[FAILED]}"
        if self.finished:
            return f"已完成：共 {self.total} 个文件，{tally}"
        return f"{self.state}：已处理 {self.done} / {self.total} 个文件（{tally}）"

    def as_json(self) -> dict[str, Any]:
        return {"job": self.id, "user": self.user, "state": self.state, "total": self.total, "done": self.done,
                "counts": self.counts, "summary": self.summary, "created_at": self.created_at,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "page": f"/uploads/{self.id}", "url": f"/api/uploads/{self.id}",
                "files": [{"seq": f.seq, "name": f.name, "state": f.state, "message": f.message,
                           "report_id": f.report_id} for f in self.files]}


def create_job(conn: sa.Connection, user_id: int, saved: Sequence[Saved]) -> int:
    """A job for the saved (and refused) files of one upload; refused ones are 失败 at once."""
    waiting = any(s.refused is None for s in saved)
    stamp = now()
    job_id = int(conn.execute(upload_jobs.insert().values(
        user_id=user_id, state=PENDING if waiting else DONE, total=len(saved), created_at=stamp,
        started_at=None if waiting else stamp, finished_at=None if waiting else stamp,
    ).returning(upload_jobs.c.id)).scalar_one())
    if saved:
        conn.execute(upload_job_files.insert(), [
            {"job_id": job_id, "seq": seq, "name": s.name, "path": None if s.path is None else str(s.path),
             "sha256": s.sha256, "state": PENDING if s.refused is None else FAILED, "message": s.refused,
             "report_id": None, "finished_at": None if s.refused is None else stamp}
            for seq, s in enumerate(saved, start=1)])
    return job_id


def _counts(conn: sa.Connection, job_ids: list[int]) -> dict[int, dict[str, int]]:
    F = upload_job_files
    counts = {job_id: dict.fromkeys(FILE_STATES, 0) for job_id in job_ids}
    if job_ids:
        for row in conn.execute(sa.select(F.c.job_id, F.c.state, sa.func.count()).where(F.c.job_id.in_(job_ids))
                                .group_by(F.c.job_id, F.c.state)):
            counts[row[0]][row[1]] = int(row[2])
    return counts


_JOB_COLUMNS = (upload_jobs, users.c.name.label("user"))


def _job(row: sa.Row[Any], counts: dict[str, int]) -> Job:
    return Job(id=row.id, user_id=row.user_id, user=row.user, state=row.state, total=row.total,
               created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at, counts=counts)


def load_job(conn: sa.Connection, job_id: int, *, from_seq: int = 1) -> Job | None:
    """The job with its files from ``from_seq`` on (earlier ones are final once a poller has seen them)."""
    row = conn.execute(sa.select(*_JOB_COLUMNS).join(users, users.c.id == upload_jobs.c.user_id)
                       .where(upload_jobs.c.id == job_id)).first()
    if row is None:
        return None
    job = _job(row, _counts(conn, [job_id])[job_id])
    F = upload_job_files
    job.files = [JobFile(r.seq, r.name, r.state, r.message, r.report_id) for r in conn.execute(
        sa.select(F.c.seq, F.c.name, F.c.state, F.c.message, F.c.report_id)
        .where(F.c.job_id == job_id, F.c.seq >= from_seq).order_by(F.c.seq))]
    return job


def user_jobs(conn: sa.Connection, user_id: int, limit: int = 20) -> list[Job]:
    """The user's latest jobs, newest first, without their files."""
    rows = conn.execute(sa.select(*_JOB_COLUMNS).join(users, users.c.id == upload_jobs.c.user_id)
                        .where(upload_jobs.c.user_id == user_id).order_by(upload_jobs.c.id.desc())
                        .limit(limit)).all()
    counts = _counts(conn, [r.id for r in rows])
    return [_job(r, counts[r.id]) for r in rows]
