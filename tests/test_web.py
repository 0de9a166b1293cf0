"""The reviewer's desk through FastAPI's TestClient: sign-in, roles, CSRF, list, view, API,
uploads (good, bad, oversized, zip traversal and bombs), escaping, review marks."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from builder import consistent_values, report_text
from nianbao.store import schema
from nianbao.store.app_schema import finding_reviews, report_reviews
from nianbao.store.db import open_store
from nianbao.web import Settings, create_app
from nianbao.web.accounts import add_user
from nianbao.web.uploads import Limits
from web_support import store_with_users, zip_of

INJECTION = "<script>alert('x')</script>"
PASSWORD = "correct horse 1"


@pytest.fixture
def db(tmp_path: Path) -> str:
    folder = tmp_path / "reports"
    folder.mkdir()
    bad = consistent_values()
    bad["requests.total.total"] = 13  # the 总计 column no longer adds up: an error finding
    (folder / "bad.txt").write_text(report_text(bad, agency="青川县示范局", section_six="某某" + INJECTION),
                                    encoding="utf-8")
    (folder / "good.txt").write_text(report_text(consistent_values(), agency="宝清县人民政府", year=2022),
                                     encoding="utf-8")
    path = str(tmp_path / "web.db")
    assert store_with_users(path, [("admin", "admin"), ("reader", "reviewer")], PASSWORD,
                            sorted(folder.iterdir())) == 2
    return path


def _client(db: str, tmp_path: Path, **limits: int) -> TestClient:
    settings = Settings(db=db, upload_dir=tmp_path / "uploads", limits=Limits(**limits), login_attempts=3)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def client(db: str, tmp_path: Path) -> TestClient:
    return _client(db, tmp_path)


def _hidden_csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def login(client: TestClient, name: str = "admin", password: str = PASSWORD) -> str:
    """Sign in; returns the session's CSRF token."""
    token = _hidden_csrf(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(client.get("/api/session").json()["csrf_token"])


def _report_ids(db: str) -> dict[str, int]:
    engine = open_store(db).engine
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.id, schema.reports.c.path)).all()
    engine.dispose()
    return {Path(r.path).name: r.id for r in rows}


def test_login_sets_a_safe_session_cookie(client: TestClient) -> None:
    token = _hidden_csrf(client.get("/login").text)
    response = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/reports"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("nb_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/reports").status_code == 200


def test_wrong_password_is_refused_and_rate_limited(client: TestClient) -> None:
    token = _hidden_csrf(client.get("/login").text)
    for _ in range(3):
        response = client.post("/login", data={"name": "admin", "password": "nope", "csrf_token": token})
        assert response.status_code == 401 and "用户名或密码错误" in response.text
    blocked = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and "过多" in blocked.text  # even the right password, for a while
    assert "nb_session" not in client.cookies


def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403 and "CSRF" in response.text


def test_without_login_pages_redirect_and_the_api_says_401(client: TestClient) -> None:
    page = client.get("/reports", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    api = client.get("/api/reports")
    assert api.status_code == 401
    assert api.json() == {"error": {"status": 401, "message": "请先登录"}}
    assert client.post("/api/upload", files={"files": ("a.txt", b"x")}).status_code == 401


def test_a_reviewer_cannot_manage_users(client: TestClient) -> None:
    login(client, "reader")
    response = client.get("/admin/users")
    assert response.status_code == 403 and "管理员" in response.text
    assert "<pre" not in response.text and "Traceback" not in response.text


def test_admin_adds_a_user_with_csrf_and_not_without(client: TestClient) -> None:
    csrf = login(client)
    data = {"name": "新审核员", "role": "reviewer", "password": "another pass"}
    assert client.post("/admin/users", data=data).status_code == 403  # no token
    response = client.post("/admin/users", data={**data, "csrf_token": csrf})
    assert response.status_code == 200 and "已添加用户“新审核员”" in response.text
    client.post("/logout", data={"csrf_token": csrf})
    login(client, "新审核员", "another pass")


def test_security_headers_and_no_inline_script(client: TestClient) -> None:
    login(client)
    response = client.get("/reports")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script" not in response.text and "http://" not in response.text.split("<body")[0]


def test_reports_list_filters_and_pages(client: TestClient, db: str) -> None:
    login(client)
    every = client.get("/api/reports").json()
    assert every["total"] == 2 and every["page"] == 1
    assert {r["year"] for r in every["reports"]} == {2022, 2023}
    errors = client.get("/api/reports", params={"has_errors": "true"}).json()
    assert [r["agency"] for r in errors["reports"]] == ["青川县示范局"]
    assert errors["reports"][0]["errors"] >= 1 and errors["reports"][0]["state"] == "待审"
    assert client.get("/api/reports", params={"year": 2022}).json()["reports"][0]["agency"] == "宝清县人民政府"
    assert client.get("/api/reports", params={"region": "黑龙江省"}).json()["total"] == 1  # 宝清县 is in 双鸭山市
    assert every["next"] is None and every["prev"] is None  # one page: no keyset cursor either way
    assert client.get("/api/reports", params={"level": "县级"}).json()["total"] == 2  # both are county bodies
    assert client.get("/api/reports", params={"level": "市级"}).json()["total"] == 0
    assert client.get("/api/reports", params={"template": "2019"}).json()["total"] == 0
    ids = _report_ids(db)
    bad_rules = {f["rule"] for f in client.get(f"/api/reports/{ids['bad.txt']}").json()["findings"]}
    good_rules = {f["rule"] for f in client.get(f"/api/reports/{ids['good.txt']}").json()["findings"]}
    some_rule = sorted(bad_rules - good_rules)[0]  # the broken 总计 gives rules the good report has not
    assert [r["agency"] for r in client.get("/api/reports", params={"rule": some_rule}).json()["reports"]] == [
        "青川县示范局"]
    page = client.get("/reports", params={"year": "2023"})
    assert page.status_code == 200 and "青川县示范局" in page.text and "宝清县人民政府" not in page.text
    unknown = client.get("/api/reports", params={"agency": "不存在的机关"})
    assert unknown.status_code == 404 and "不存在的机关" in unknown.json()["error"]["message"]
    bad = client.get("/api/reports", params={"year": "abc"})
    assert bad.status_code == 400 and set(bad.json()) == {"error"}


def test_report_view_shows_tables_findings_with_rules_and_escapes_text(client: TestClient, db: str) -> None:
    login(client)
    report_id = _report_ids(db)["bad.txt"]
    data = client.get(f"/api/reports/{report_id}").json()
    assert data["agency"] == "青川县示范局" and data["year"] == 2023
    total = next(c for c in data["cells"] if c["key"] == "requests.total.total")
    assert total["value"] == 13
    assert any(f["severity"] == "error" and f["rule_explanation"] for f in data["findings"])
    page = client.get(f"/reports/{report_id}")
    assert page.status_code == 200
    assert "requests.total.total" in page.text and "规则：" in page.text
    missing = client.get("/api/reports/99999")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404
    assert client.get("/reports/99999").status_code == 404


def test_script_in_report_text_is_shown_escaped(client: TestClient, db: str) -> None:
    login(client)
    report_id = _report_ids(db)["bad.txt"]
    data = client.get(f"/api/reports/{report_id}").json()
    assert any(INJECTION in s["text"] for s in data["sections"])  # the API gives the text as it is
    page = client.get(f"/reports/{report_id}").text
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/report.js" defer>']  # only the view's own file
    assert "某某&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_review_marks_and_state_are_stored_with_who_and_when(client: TestClient, db: str) -> None:
    csrf = login(client, "reader")
    report_id = _report_ids(db)["bad.txt"]
    finding = client.get(f"/api/reports/{report_id}").json()["findings"][0]
    form = {"finding": finding["fingerprint"], "decision": "确认", "comment": "请更正<b>总计</b>"}
    assert client.post(f"/reports/{report_id}/findings", data=form).status_code == 403  # no CSRF token
    response = client.post(f"/reports/{report_id}/findings", data={**form, "csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.post(f"/api/reports/{report_id}/state", json={"state": "已退回"}).status_code == 403
    assert client.post(f"/api/reports/{report_id}/state", json={"state": "已退回"},
                       headers={"X-CSRF-Token": csrf}).json() == {"ok": True}
    bad = client.post(f"/api/reports/{report_id}/findings", headers={"X-CSRF-Token": csrf},
                      json={"finding": finding["fingerprint"], "decision": "随便"})
    assert bad.status_code == 400
    engine = open_store(db).engine
    with engine.connect() as conn:
        mark = conn.execute(finding_reviews.select()).one()
        state = conn.execute(report_reviews.select()).one()
    engine.dispose()
    assert (mark.report_id, mark.decision, mark.comment, mark.reviewer) == (report_id, "确认", "请更正<b>总计</b>",
                                                                            "reader")
    assert mark.reviewed_at and (state.state, state.reviewer) == ("已退回", "reader")
    view = client.get(f"/api/reports/{report_id}").json()
    assert view["state"]["state"] == "已退回"
    marked = next(f for f in view["findings"] if f["fingerprint"] == finding["fingerprint"])
    assert marked["review"]["decision"] == "确认" and marked["review"]["reviewer"] == "reader"
    page = client.get(f"/reports/{report_id}").text
    assert "请更正&lt;b&gt;总计&lt;/b&gt;" in page
    assert client.get("/api/reports", params={"has_errors": "true"}).json()["reports"][0]["state"] == "已退回"


def _run_uploads(client: TestClient) -> int:
    """Work the app's upload queue in this thread (the client runs no lifespan, so no runner thread)."""
    from fastapi import FastAPI

    from nianbao.web.job_runner import UploadRunner

    app = client.app
    assert isinstance(app, FastAPI)
    runner = app.state.upload_runner
    assert isinstance(runner, UploadRunner)
    return runner.run_until_idle()


def _job_files(client: TestClient, response: httpx.Response) -> dict[str, dict[str, object]]:
    """Run the upload job queued by ``response`` (202) in this thread; its files by name."""
    assert response.status_code == 202, response.text
    _run_uploads(client)
    job = client.get(f"/api/uploads/{response.json()['job']}").json()
    assert job["state"] == "已完成"
    return {f["name"]: f for f in job["files"]}


def test_upload_good_bad_andzip_of(client: TestClient, db: str) -> None:
    csrf = login(client)
    good = report_text(consistent_values(), agency="集贤县人民政府", year=2023).encode("utf-8")
    other = report_text(consistent_values(), agency="友谊县人民政府", year=2023).encode("utf-8")
    files = [("files", ("jixian.txt", good)), ("files", ("notes.exe", b"MZ...")),
             ("files", ("empty.txt", b"")), ("files", ("folder.zip", zip_of({"a/youyi.txt": other, "a/x.bin": b"1"})))]
    by_name = _job_files(client, client.post("/api/upload", files=files, headers={"X-CSRF-Token": csrf}))
    assert by_name["jixian.txt"]["state"] == "已入库" and by_name["jixian.txt"]["report_id"]
    assert by_name["notes.exe"]["state"] == "失败" and "不支持" in str(by_name["notes.exe"]["message"])
    assert by_name["empty.txt"]["state"] == "失败" and by_name["empty.txt"]["message"] == "文件为空"
    assert by_name["folder.zip/youyi.txt"]["state"] == "已入库"  # the .bin member is not a report file: left out
    assert len(by_name) == 4
    again = _job_files(client, client.post("/api/upload", files=[("files", ("copy.txt", good))],
                                           headers={"X-CSRF-Token": csrf}))
    assert again["copy.txt"]["state"] == "已在库中"
    assert again["copy.txt"]["report_id"] == by_name["jixian.txt"]["report_id"]
    assert str(again["copy.txt"]["message"]).startswith("已在库中")
    assert client.get("/api/reports").json()["total"] == 4
    assert not list((Path(db).parent / "etc").glob("*"))
    assert client.post("/api/upload", files=[("files", ("x.txt", good))]).status_code == 403  # no CSRF
    form = client.get("/upload")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    third = report_text(consistent_values(), agency="饶河县人民政府", year=2023).encode("utf-8")
    posted = client.post("/upload", data={"csrf_token": _hidden_csrf(form.text)}, follow_redirects=False,
                         files=[("files", ("raohe.txt", third)), ("files", ("bad.pdf", b"%PDF-1.4 broken"))])
    assert posted.status_code == 303 and posted.headers["location"].startswith("/uploads/")
    _run_uploads(client)
    page = client.get(posted.headers["location"])
    assert page.status_code == 200
    rows = re.findall(r'<tr class="job-file" data-seq="\d+" data-state="([^"]+)">\s*<td>\d+</td>\s*'
                      r'<td class="name">([^<]+)</td>\s*<td class="state">[^<]+</td>\s*'
                      r'<td class="message">([^<]*)</td>', page.text)
    assert [(state, name) for state, name, _ in rows] == [("已入库", "raohe.txt"), ("失败", "bad.pdf")]
    assert rows[0][2].startswith("已入库：饶河县人民政府，2023 年度，错误 0 项")
    assert rows[1][2].strip()  # the PDF's one-line reason


def test_upload_refuses_traversal_bombs_and_oversized(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path, file_bytes=50_000, files=3, zip_ratio=50)
    csrf = login(client)
    headers = {"X-CSRF-Token": csrf}

    def one(name: str, data: bytes) -> dict[str, object]:
        response = client.post("/api/upload", files=[("files", (name, data))], headers=headers)
        assert response.status_code == 202
        job = response.json()
        assert job["state"] == "已完成" and len(job["files"]) == 1  # refused in the request: nothing queued
        assert job["files"][0]["state"] == "失败"
        return dict(job["files"][0])

    traversal = one("evil.zip", zip_of({"../../etc/evil.txt": b"x"}))
    assert "越出" in str(traversal["message"])
    assert not (tmp_path / "etc").exists()
    absolute = one("abs.zip", zip_of({"/tmp/evil.txt": b"x"}))
    assert "越出" in str(absolute["message"])
    bomb = one("bomb.zip", zip_of({"big.txt": b"0" * 40_000}))  # compresses several hundred times
    assert "压缩炸弹" in str(bomb["message"])
    assert "不是有效的 zip" in str(one("fake.zip", b"PK not really")["message"])
    big = one("big.txt", b"x" * 50_001)
    assert "文件过大" in str(big["message"])
    many = client.post("/api/upload", headers=headers, files=[("files", (f"{i}.txt", b"x")) for i in range(4)])
    assert many.status_code == 413 and "最多上传 3 个" in many.json()["error"]["message"]
    huge = client.post("/api/upload", headers=headers, files=[("files", ("h.txt", b"x" * 1_300_000))])
    assert huge.status_code == 413 and huge.json()["error"]["status"] == 413
    assert _run_uploads(client) == 0
    assert client.get("/api/reports").json()["total"] == 2  # nothing of that was stored


def test_errors_never_show_a_stack_trace(client: TestClient, monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    login(client)
    from nianbao.web import routes_review

    def boom(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(routes_review, "stored_report", boom)
    report_id = _report_ids(db)["bad.txt"]
    api = client.get(f"/api/reports/{report_id}")
    assert api.status_code == 500 and api.json() == {"error": {"status": 500, "message": "服务器内部错误"}}
    page = client.get(f"/reports/{report_id}")
    assert page.status_code == 500 and "secret" not in page.text and "Traceback" not in page.text
    assert client.get("/no/such/page").status_code == 404


def test_users_add_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nianbao.cli import app

    db = str(tmp_path / "u.db")
    runner = CliRunner()
    result = runner.invoke(app, ["users", "add", "张三", "--role", "admin", "--password-stdin", "--db", db],
                           input="long enough pw\n")
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["users", "add", "张三", "--password-stdin", "--db", db], input="long enough pw\n")
    assert again.exit_code == 2 and "已存在" in again.output
    short = runner.invoke(app, ["users", "add", "李四", "--password-stdin", "--db", db], input="short\n")
    assert short.exit_code == 2 and "至少 8 个字符" in short.output
    client = TestClient(create_app(Settings(db=db, upload_dir=tmp_path / "up")))
    login(client, "张三", "long enough pw")


def test_serve_refuses_an_unusable_store_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nianbao.cli import app

    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "missing" / "x.db")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "数据库所在文件夹不存在" in result.output


def test_serve_refuses_a_broken_letter_template_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nianbao.cli import app

    broken = tmp_path / "letter.toml"
    broken.write_text('title = "关于{agency}的审核意见"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "x.db"), "--letter-template", str(broken)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "缺少文字项" in result.output and "letter.toml" in result.output


def test_serve_on_a_store_without_users_points_to_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from nianbao.cli import app

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.append("run"))
    db = str(tmp_path / "fresh.db")
    first = CliRunner().invoke(app, ["serve", "--db", db, "--port", "8123"])
    assert first.exit_code == 0 and served == ["run"]
    assert "http://127.0.0.1:8123/setup" in first.output
    store = open_store(db)
    with store.engine.begin() as conn:
        add_user(conn, "张三", "admin", "long enough pw")
    store.engine.dispose()
    again = CliRunner().invoke(app, ["serve", "--db", db])
    assert again.exit_code == 0 and "/setup" not in again.output
