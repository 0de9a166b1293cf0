"""Uploading report files (or zips of them) into the store, as a page and as JSON.

A request body over the limit is refused (413) by the app's middleware before it is parsed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from nianbao.web.app import WebError, check_csrf, current, render, store_of
from nianbao.web.uploads import Limits, Outcome, accept

router = APIRouter()


async def _ingest(request: Request, files: list[UploadFile]) -> list[Outcome]:
    limits: Limits = request.app.state.settings.limits
    files = [f for f in files if f.filename]
    if not files:
        raise WebError(400, "没有选择文件")
    if len(files) > limits.files:
        raise WebError(413, f"一次最多上传 {limits.files} 个文件，这次有 {len(files)} 个")
    from starlette.concurrency import run_in_threadpool

    outcomes: list[Outcome] = []
    for upload in files:
        data = await upload.read(limits.file_bytes + 1)
        outcomes.extend(await run_in_threadpool(accept, store_of(request), request.app.state.upload_dir,
                                                upload.filename or "report", data, limits))
    return outcomes


@router.get("/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_page(request: Request) -> Response:
    session = current(request)
    return render(request, "upload.html.j2", {"session": session, "outcomes": None,
                                              "limits": request.app.state.settings.limits})


@router.post("/upload", include_in_schema=False)
async def upload_form(request: Request, files: Annotated[list[UploadFile], File()],
                      csrf_token: Annotated[str, Form()] = "") -> Response:
    session = current(request)
    check_csrf(request, session, csrf_token)
    outcomes = await _ingest(request, files)
    return render(request, "upload.html.j2", {"session": session, "outcomes": outcomes,
                                              "limits": request.app.state.settings.limits})


@router.post("/api/upload")
async def upload_api(request: Request, files: Annotated[list[UploadFile], File()]) -> dict[str, Any]:
    """Ingest uploaded files (zips unpacked); one result per report file (header X-CSRF-Token required)."""
    session = current(request)
    check_csrf(request, session, None)
    return {"results": [asdict(o) for o in await _ingest(request, files)]}
