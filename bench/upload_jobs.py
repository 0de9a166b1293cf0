"""Background uploads: a job's ingest rate against `nianbao ingest --jobs 1`, and other users' latency meanwhile.

    .venv/bin/python bench/upload_jobs.py --reports 200

Generated text reports (``nianbao sample`` corpus) are ingested twice into fresh SQLite stores:
once by the batch ingest in one process, once uploaded as a zip to a running server (uvicorn in
a thread, the same app as ``nianbao serve``) whose upload runner works the job. While the job
runs a second user asks for the reports list (API and page) in a loop; the same requests are timed
on the idle server first. Prints one JSON object; results go into docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import statistics
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "bench password"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _login(base: str, name: str) -> tuple[httpx.Client, str]:
    import re

    client = httpx.Client(base_url=base, timeout=120)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token.group(1)})
    return client, str(client.get("/api/session").json()["csrf_token"])


def _timed(client: httpx.Client, urls: tuple[str, ...]) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        out.append(time.perf_counter() - started)
    return out


def _stats(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"n": len(values), "median_ms": round(1000 * statistics.median(values), 1),
            "p95_ms": round(1000 * values[int(0.95 * (len(values) - 1))], 1), "max_ms": round(1000 * values[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    args = parser.parse_args()

    import uvicorn

    from nianbao.sample.corpus import make_corpus
    from nianbao.store.db import open_store
    from nianbao.store.ingest import ingest
    from nianbao.web import Settings, create_app
    from nianbao.web.accounts import add_user

    work = Path(tempfile.mkdtemp(prefix="nianbao-upload-bench-"))
    make_corpus(work / "corpus", args.reports, seed=13, defect_share=0.3, formats=("txt",))
    files = sorted((work / "corpus" / "cases").iterdir())
    result: dict[str, Any] = {"reports": len(files)}

    started = time.perf_counter()
    summary = ingest(open_store(str(work / "batch.db")), files, jobs=1)
    result["batch_ingest_jobs1_s"] = round(time.perf_counter() - started, 2)
    result["batch_stored"] = summary.stored

    db = str(work / "web.db")
    store = open_store(db)
    with store.engine.begin() as conn:
        add_user(conn, "uploader", "reviewer", PASSWORD)
        add_user(conn, "reader", "reviewer", PASSWORD)
    store.engine.dispose()
    port = _port()
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(db=db, upload_dir=work / "saved")),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    uploader, csrf = _login(base, "uploader")
    reader, _ = _login(base, "reader")
    urls = ("/api/reports", "/reports", "/upload")
    idle = [t for _ in range(20) for t in _timed(reader, urls)]
    zips = []
    for part, first in enumerate(range(0, len(files), 500)):  # Limits.zip_members
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files[first:first + 500]:
                archive.write(path, f"corpus/{path.name}")
        zips.append(("files", (f"corpus-{part}.zip", buffer.getvalue())))
    started = time.perf_counter()
    response = uploader.post("/api/upload", files=zips, headers={"X-CSRF-Token": csrf})
    result["upload_request_s"] = round(time.perf_counter() - started, 3)
    job = response.json()["job"]
    busy: list[float] = []
    while True:
        state = uploader.get(f"/api/uploads/{job}").json()
        if state["state"] == "已完成":
            break
        busy.extend(_timed(reader, urls))
        time.sleep(0.1)
    result["job_s"] = round(time.perf_counter() - started, 2)
    result["job_counts"] = {k: v for k, v in state["counts"].items() if v}
    result["job_files_per_s"] = round(len(files) / result["job_s"], 1)
    result["other_user_idle"] = _stats(idle)
    result["other_user_during_job"] = _stats(busy)
    server.should_exit = True
    thread.join(timeout=30)
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
