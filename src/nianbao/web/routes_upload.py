"""Uploading report files (or zips of them): the request saves them and queues a job, as a page and as JSON.

A request body over the limit is refused (413) by the app's middleware before it is parsed. The
request only checks and saves the files; the upload runner (``job_runner``) ingests them in the
background and the job's page and API show each file's progress.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from nianbao.web.accounts import Session
from nianbao.web.app import WebError, check_csrf, current, render, store_of
from nianbao.web.job_runner import UploadRunner
from nianbao.web.jobs import Job, create_job, load_job, user_jobs
from nianbao.web.uploads import Limits, Saved, prepare

router = APIRouter()


async def _enqueue(request: Request, session: Session, files: list[UploadFile]) -> int:
    """Check and save the uploaded files, queue them as one job; returns the job's id."""
    limits: Limits = request.app.state.settings.limits
    files = [f for f in files if f.filename]
    if not files:
        raise WebError(400, "没有选择文件")
    if len(files) > limits.files:
        raise WebError(413, f"一次最多上传 {limits.files} 个文件，这次有 {len(files)} 个")
    saved: list[Saved] = []
    for upload in files:
        data = await upload.read(limits.file_bytes + 1)
        saved.extend(await run_in_threadpool(prepare, request.app.state.upload_dir, upload.filename or "report",
                                              data, limits))
    with store_of(request).engine.begin() as conn:
        job_id = create_job(conn, session.user.id, saved)
    runner: UploadRunner = request.app.state.upload_runner
    runner.wake()
    return job_id


def _job(request: Request, session: Session, job_id: int, from_seq: int = 1) -> Job:
    """The job if this user may see it: its owner or an admin."""
    with store_of(request).engine.connect() as conn:
        job = load_job(conn, job_id, from_seq=from_seq)
    if job is None:
        raise WebError(404, f"没有编号为 {job_id} 的上传任务")
    if job.user_id != session.user.id and not session.user.is_admin:
        raise WebError(403, "没有权限：只能查看自己的上传任务")
    return job


@router.get("/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_page(request: Request) -> Response:
    session = current(request)
    with store_of(request).engine.connect() as conn:
        jobs = user_jobs(conn, session.user.id)
    return render(request, "upload.html.j2", {"session": session, "jobs": jobs,
                                              "limits": request.app.state.settings.limits})


@router.post("/upload", include_in_schema=False)
async def upload_form(request: Request, files: Annotated[list[UploadFile], File()],
                      csrf_token: Annotated[str, Form()] = "") -> Response:
    session = current(request)
    check_csrf(request, session, csrf_token)
    job_id = await _enqueue(request, session, files)
    return RedirectResponse(f"/uploads/{job_id}", status_code=303)


@router.get("/uploads/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(request: Request, job_id: int) -> Response:
    session = current(request)
    return render(request, "upload_job.html.j2", {"session": session, "job": _job(request, session, job_id)})


@router.post("/api/upload", status_code=202)
async def upload_api(request: Request, files: Annotated[list[UploadFile], File()]) -> JSONResponse:
    """Check and save the files (zips unpacked) and queue them as a job; 202 with the job (header
    X-CSRF-Token required). Follow its progress at ``GET /api/uploads/{job}``."""
    session = current(request)
    check_csrf(request, session, None)
    job_id = await _enqueue(request, session, files)
    return JSONResponse(_job(request, session, job_id).as_json(), status_code=202)


@router.get("/api/uploads")
def jobs_api(request: Request) -> dict[str, Any]:
    """The signed-in user's latest upload jobs (newest first, without their files)."""
    session = current(request)
    with store_of(request).engine.connect() as conn:
        jobs = user_jobs(conn, session.user.id)
    return {"jobs": [{k: v for k, v in job.as_json().items() if k != "files"} for job in jobs]}


@router.get("/api/uploads/{job_id}")
def job_api(request: Request, job_id: int, from_seq: int = 1) -> dict[str, Any]:
    """One upload job: its state, counts and each file's state, message and report id (files from
    ``from_seq`` on; a poller passes its first unfinished file). Only its owner or an admin."""
    session = current(request)
    return _job(request, session, job_id, from_seq).as_json()
