"""Background upload jobs (#13): queued by the request, ingested by the runner, progress per file,
resumed after a restart, other users served meanwhile, only the owner or an admin sees a job."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

import test_store_pg
from builder import consistent_values, report_text
from nianbao.store import schema
from nianbao.store.app_schema import upload_job_files
from nianbao.store.db import open_store
from nianbao.web import Settings, create_app
from nianbao.web.job_runner import UploadRunner
from nianbao.web.uploads import Limits
from web_support import store_with_users, zip_of

PASSWORD = "correct horse 1"
COUNTIES = ["集贤县", "友谊县", "宝清县", "饶河县", "桦川县", "汤原县", "抚远市", "同江市", "富锦市", "绥滨县",
            "萝北县", "勃利县", "林口县", "穆棱市", "东宁市", "宁安市"]
server = test_store_pg.server  # the PostgreSQL fixtures (skip when PostgreSQL is not installed)
database = test_store_pg.database


def _report(county: str, year: int = 2023) -> bytes:
    values: dict[str, int | float | str] = dict(consistent_values())
    return report_text(values, agency=f"{county}人民政府", year=year).encode("utf-8")


def _users(db: str) -> str:
    store_with_users(db, [("admin", "admin"), ("甲", "reviewer"), ("乙", "reviewer")], PASSWORD)
    return db


@pytest.fixture
def db(tmp_path: Path) -> str:
    return _users(str(tmp_path / "uploads.db"))


def _app(db: str, tmp_path: Path, **limits: int) -> FastAPI:
    return create_app(Settings(db=db, upload_dir=tmp_path / "saved", limits=Limits(**limits)))


def _runner(app: object) -> UploadRunner:
    assert isinstance(app, FastAPI)
    runner = app.state.upload_runner
    assert isinstance(runner, UploadRunner)
    return runner


def login(client: TestClient, name: str) -> str:
    """Sign in on this client (its own cookie jar); returns the CSRF token for API calls."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token.group(1)},
                           follow_redirects=False)
    assert response.status_code == 303
    return str(client.get("/api/session").json()["csrf_token"])


def _upload(client: TestClient, csrf: str, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    response = client.post("/api/upload", files=[("files", f) for f in files], headers={"X-CSRF-Token": csrf})
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def _job(client: TestClient, job_id: int) -> dict[str, Any]:
    response = client.get(f"/api/uploads/{job_id}")
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def _rows(html: str) -> list[tuple[str, str, str, str]]:
    """The job page's file rows: (state, name, message, report link or '')."""
    return re.findall(r'<tr class="job-file" data-seq="\d+" data-state="([^"]+)">\s*<td>\d+</td>\s*'
                      r'<td class="name">([^<]*)</td>\s*<td class="state">[^<]*</td>\s*'
                      r'<td class="message">([^<]*)</td>\s*<td class="report">(?:<a class="report-link" '
                      r'href="(/reports/\d+)">)?', html)


def _status(html: str) -> str:
    found = re.search(r'<p id="job-status"[^>]*>([^<]*)</p>', html)
    assert found, "the job page has its #job-status"
    return found.group(1)


@pytest.fixture
def running(db: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client whose app runs its lifespan: the upload runner thread is working."""
    with TestClient(_app(db, tmp_path), raise_server_exceptions=False) as client:
        yield client


def test_three_files_a_zip_and_a_bad_file_complete_with_their_states(running: TestClient, db: str) -> None:
    csrf = login(running, "甲")
    files = [("jixian.txt", _report("集贤县")), ("youyi.txt", _report("友谊县")),
             ("broken.pdf", b"%PDF-1.4 not really a pdf"),  # fails in the middle; the rest go on
             ("baoqing.txt", _report("宝清县")),
             ("folder.zip", zip_of({"d/raohe.txt": _report("饶河县"), "d/huachuan.txt": _report("桦川县"),
                                  "d/readme.bin": b"not a report"}))]
    job = _upload(running, csrf, files)
    assert job["total"] == 6 and job["done"] == 0 and job["page"] == f"/uploads/{job['job']}"
    assert _runner(running.app).join_idle(120)
    done = _job(running, job["job"])
    assert done["state"] == "已完成" and done["finished_at"]
    states = {f["name"]: (f["state"], f["message"], f["report_id"]) for f in done["files"]}
    assert list(states) == ["jixian.txt", "youyi.txt", "broken.pdf", "baoqing.txt", "folder.zip/raohe.txt",
                            "folder.zip/huachuan.txt"]
    assert states["broken.pdf"][0] == "失败" and states["broken.pdf"][2] is None
    reason = states["broken.pdf"][1]
    assert reason and "\n" not in reason and "Traceback" not in reason and "PDF" in reason
    assert re.fullmatch(r"已入库：友谊县人民政府，2023 年度，错误 0 项，警告 \d+ 项", states["youyi.txt"][1])
    stored = {name: rid for name, (state, _, rid) in states.items() if state == "已入库"}
    assert len(stored) == 5 and all(isinstance(rid, int) for rid in stored.values())
    assert done["counts"] == {"待处理": 0, "处理中": 0, "已入库": 5, "已在库中": 0, "失败": 1}
    page = running.get(f"/uploads/{job['job']}").text
    assert "已完成" in _status(page) and "已入库 5，已在库中 0，失败 1" in _status(page)
    rows = _rows(page)
    assert [(r[0], r[1]) for r in rows] == [(states[n][0], n) for n in states]
    assert {r[3] for r in rows if r[0] == "已入库"} == {f"/reports/{rid}" for rid in stored.values()}
    assert 'http-equiv="refresh"' not in page  # done: no more refreshing
    report = running.get(f"/api/reports/{stored['folder.zip/raohe.txt']}").json()
    assert report["agency"].startswith("饶河县")
    again = _upload(running, csrf, [("copy.txt", _report("集贤县"))])  # the same bytes: idempotent
    assert _runner(running.app).join_idle(120)
    copy = _job(running, again["job"])["files"][0]
    assert (copy["state"], copy["report_id"]) == ("已在库中", stored["jixian.txt"])
    listed = running.get("/api/uploads").json()["jobs"]
    assert [j["job"] for j in listed] == [again["job"], job["job"]] and "files" not in listed[0]
    upload_page = running.get("/upload").text
    assert f'href="/uploads/{job["job"]}"' in upload_page and 'id="files" name="files" multiple' in upload_page


def test_progress_is_visible_file_by_file(db: str, tmp_path: Path) -> None:
    app = _app(db, tmp_path)  # no lifespan: the runner is driven one step at a time
    client = TestClient(app, raise_server_exceptions=False)
    csrf = login(client, "甲")
    job = _upload(client, csrf, [(f"{i}.txt", _report(c)) for i, c in enumerate(COUNTIES[:4])])
    assert job["state"] == "待处理" and job["summary"].startswith("待处理：已处理 0 / 4")
    runner = _runner(app)
    assert not runner.join_idle(0.1)  # no runner thread: nothing would ever empty the queue
    assert runner.step()
    mid = _job(client, job["job"])
    assert mid["state"] == "处理中" and mid["done"] == 1 < mid["total"] == 4
    assert [f["state"] for f in mid["files"]] == ["已入库", "待处理", "待处理", "待处理"]
    assert [f["seq"] for f in _job(client, job["job"])["files"]] == [1, 2, 3, 4]
    tail = client.get(f"/api/uploads/{job['job']}", params={"from_seq": 2}).json()
    assert [f["seq"] for f in tail["files"]] == [2, 3, 4] and tail["done"] == 1  # a poller's later polls
    page = client.get(f"/uploads/{job['job']}").text
    status = _status(page)
    assert "已完成" not in status and "处理中：已处理 1 / 4" in status and "已入库 1，已在库中 0，失败 0" in status
    assert '<noscript><meta http-equiv="refresh"' in page and 'src="/static/upload-job.js"' in page
    assert [r[0] for r in _rows(page)] == ["已入库", "待处理", "待处理", "待处理"]
    assert runner.run_until_idle() == 3
    assert "已完成" in _status(client.get(f"/uploads/{job['job']}").text)
    assert not runner.step()


def test_jobs_of_several_users_take_turns(db: str, tmp_path: Path) -> None:
    app = _app(db, tmp_path)
    first, second = TestClient(app, raise_server_exceptions=False), TestClient(app, raise_server_exceptions=False)
    big = _upload(first, login(first, "甲"), [(f"{i}.txt", _report(c)) for i, c in enumerate(COUNTIES[:4])])
    small = _upload(second, login(second, "乙"), [("mine.txt", _report(COUNTIES[5]))])
    runner = _runner(app)
    assert runner.step() and runner.step()
    assert _job(second, small["job"])["state"] == "已完成"  # served second, not after the four
    assert _job(first, big["job"])["done"] == 1
    assert runner.run_until_idle() == 3


def test_a_job_survives_a_server_restart(db: str, tmp_path: Path) -> None:
    first = _app(db, tmp_path)
    client = TestClient(first, raise_server_exceptions=False)  # its runner never starts: stopped before it ran
    csrf = login(client, "甲")
    job = _upload(client, csrf, [(f"{i}.txt", _report(c)) for i, c in enumerate(COUNTIES[:3])])
    assert _runner(first).step()
    engine = open_store(db).engine
    with engine.begin() as conn:  # the server died while parsing the second file
        conn.execute(upload_job_files.update().where(upload_job_files.c.job_id == job["job"],
                                                     upload_job_files.c.seq == 2).values(state="处理中"))
    engine.dispose()
    first.state.store.engine.dispose()
    second = _app(db, tmp_path)
    with TestClient(second, raise_server_exceptions=False) as again:
        assert _runner(second).join_idle(120)
        login(again, "甲")
        done = _job(again, job["job"])
    assert done["state"] == "已完成"
    assert [f["state"] for f in done["files"]] == ["已入库", "已入库", "已入库"]
    assert len({f["report_id"] for f in done["files"]}) == 3


def test_other_users_are_served_while_a_long_job_runs(running: TestClient, db: str) -> None:
    csrf = login(running, "甲")
    other = TestClient(running.app, raise_server_exceptions=False)
    login(other, "乙")
    files = [(f"{i}-{y}.txt", _report(c, y)) for y in (2022, 2023) for i, c in enumerate(COUNTIES)]
    started = time.monotonic()
    job = _upload(running, csrf, files)
    assert time.monotonic() - started < 10 and job["done"] == 0  # the request returned before the ingest
    answered_mid_job = 0
    slowest = 0.0
    while True:
        state = _job(running, job["job"])
        if state["state"] == "已完成":
            break
        asked = time.monotonic()
        listing = other.get("/api/reports")
        page = other.get("/upload")
        slowest = max(slowest, time.monotonic() - asked)
        assert listing.status_code == 200 and page.status_code == 200
        after = _job(running, job["job"])
        if state["done"] > 0 and after["done"] < after["total"]:
            answered_mid_job += 1
        assert time.monotonic() - started < 300, "the job did not finish"
        time.sleep(0.05)
    assert answered_mid_job >= 1, "another user's requests were answered while the job was half done"
    assert slowest < 5.0  # generous: the test machine is shared; it is milliseconds when idle
    assert state["counts"]["已入库"] == len(files)


def test_only_the_owner_or_an_admin_sees_a_job(db: str, tmp_path: Path) -> None:
    app = _app(db, tmp_path)
    owner, stranger, admin, anonymous = (TestClient(app, raise_server_exceptions=False) for _ in range(4))
    csrf = login(owner, "甲")
    login(stranger, "乙")
    login(admin, "admin")
    job = _upload(owner, csrf, [("a.txt", _report("集贤县"))])["job"]
    for url in (f"/api/uploads/{job}", f"/uploads/{job}"):
        assert owner.get(url).status_code == 200
        assert admin.get(url).status_code == 200
        denied = stranger.get(url)
        assert denied.status_code == 403 and "自己的上传任务" in denied.text
    assert stranger.get(f"/api/uploads/{job}").json() == {
        "error": {"status": 403, "message": "没有权限：只能查看自己的上传任务"}}
    assert stranger.get("/api/uploads").json() == {"jobs": []}
    assert stranger.get("/api/uploads/999999").status_code == 404
    assert anonymous.get(f"/api/uploads/{job}").json()["error"]["status"] == 401
    assert anonymous.get("/api/uploads").status_code == 401
    assert anonymous.get(f"/uploads/{job}", follow_redirects=False).headers["location"] == "/login"
    assert anonymous.post("/api/upload", files=[("files", ("a.txt", b"x"))]).status_code == 401


def test_missing_csrf_is_refused_and_queues_nothing(db: str, tmp_path: Path) -> None:
    client = TestClient(_app(db, tmp_path), raise_server_exceptions=False)
    login(client, "甲")
    api = client.post("/api/upload", files=[("files", ("a.txt", _report("集贤县")))])
    assert api.status_code == 403 and api.json()["error"]["message"].startswith("缺少或错误的 CSRF")
    form = client.post("/upload", files=[("files", ("a.txt", _report("集贤县")))], data={"csrf_token": "nope"})
    assert form.status_code == 403 and "CSRF" in form.text
    assert client.get("/api/uploads").json() == {"jobs": []}


def test_a_bomb_or_oversized_file_is_refused_and_the_rest_is_ingested(db: str, tmp_path: Path) -> None:
    app = _app(db, tmp_path, file_bytes=60_000, zip_ratio=50)
    client = TestClient(app, raise_server_exceptions=False)
    csrf = login(client, "甲")
    job = _upload(client, csrf, [("bomb.zip", zip_of({"big.txt": b"0" * 55_000})), ("huge.txt", b"x" * 60_001),
                                 ("ok.txt", _report("集贤县"))])
    first = {f["name"]: f for f in job["files"]}
    assert first["bomb.zip"]["state"] == "失败" and "压缩炸弹" in first["bomb.zip"]["message"]
    assert first["huge.txt"]["state"] == "失败" and "文件过大" in first["huge.txt"]["message"]
    assert first["ok.txt"]["state"] == "待处理"
    assert _runner(app).run_until_idle() == 1
    assert [f["state"] for f in _job(client, job["job"])["files"]] == ["失败", "失败", "已入库"]
    over = client.post("/api/upload", headers={"X-CSRF-Token": csrf},
                       files=[("files", ("h.txt", b"x" * (Limits(file_bytes=60_000).request_bytes + 1)))])
    assert over.status_code == 413 and over.json()["error"]["status"] == 413
    assert len(client.get("/api/uploads").json()["jobs"]) == 1


def test_a_saved_file_that_went_missing_is_one_line(db: str, tmp_path: Path) -> None:
    app = _app(db, tmp_path)
    client = TestClient(app, raise_server_exceptions=False)
    csrf = login(client, "甲")
    job = _upload(client, csrf, [("a.txt", _report("集贤县"))])
    for saved in (tmp_path / "saved").rglob("*.txt"):
        saved.unlink()
    assert _runner(app).run_until_idle() == 1
    gone = _job(client, job["job"])["files"][0]
    assert gone["state"] == "失败" and gone["message"] == "上传的文件已不在上传文件夹中，请重新上传"


def test_upload_jobs_on_postgresql(database: str, tmp_path: Path) -> None:
    _users(database)
    app = _app(database, tmp_path)
    client = TestClient(app, raise_server_exceptions=False)
    csrf = login(client, "甲")
    job = _upload(client, csrf, [("a.txt", _report("集贤县")), ("b.zip", zip_of({"b.txt": _report("友谊县")})),
                                 ("c.exe", b"MZ")])
    assert _runner(app).run_until_idle() == 2
    done = _job(client, job["job"])
    assert done["state"] == "已完成" and [f["state"] for f in done["files"]] == ["已入库", "已入库", "失败"]
    with app.state.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.reports)).scalar_one() == 2
    app.state.store.engine.dispose()
