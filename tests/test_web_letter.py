"""The 审核意见 letter: confirmed findings only, escaping, sign-in, a custom template, the JSON view."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote

import docx
import pytest
from fastapi.testclient import TestClient

from builder import consistent_values, report_text
from nianbao.store.db import open_store
from nianbao.store.ingest import ingest
from nianbao.web import Settings, create_app
from nianbao.web.accounts import add_user
from nianbao.web.letter import DEFAULT_TEMPLATE, LetterError, clean, fingerprint, load_template
from nianbao.web.routes_review import fingerprint as review_fingerprint
from test_web import PASSWORD, login

INJECTION = "<script>alert('x')</script>"


@pytest.fixture
def db(tmp_path: Path) -> str:
    folder = tmp_path / "reports"
    folder.mkdir()
    bad: dict[str, int | float | str] = dict(consistent_values())
    bad["requests.total.total"] = 13  # the 总计 column no longer adds up
    bad["requests.carried_in.total"] = 7  # and a second error to leave 不采纳
    (folder / "bad.txt").write_text(report_text(bad, agency="青川县示范局"), encoding="utf-8")
    path = str(tmp_path / "letter.db")
    store = open_store(path)
    assert ingest(store, sorted(folder.iterdir()), jobs=1).stored == 1
    with store.engine.begin() as conn:
        add_user(conn, "admin", "admin", PASSWORD)
    store.engine.dispose()
    return path


def _client(db: str, tmp_path: Path, template: Path | None = None) -> TestClient:
    settings = Settings(db=db, upload_dir=tmp_path / "uploads", letter_template=template)
    return TestClient(create_app(settings), raise_server_exceptions=False)


def _text(content: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def _review(client: TestClient, csrf: str) -> tuple[int, dict[str, str], dict[str, str]]:
    """Mark the report's first finding 确认 and the last 不采纳; returns id, the confirmed, the rejected."""
    report_id = client.get("/api/reports").json()["reports"][0]["id"]
    findings = client.get(f"/api/reports/{report_id}").json()["findings"]
    messages = {f["message"] for f in findings}
    assert len(messages) >= 2, "the fixture yields at least two distinct findings"
    confirmed = findings[0]
    rejected = next(f for f in findings if f["message"] != confirmed["message"])
    marks = ((confirmed, "确认", "请核对总计栏 " + INJECTION), (rejected, "不采纳", "属正常"))
    for finding, decision, comment in marks:
        response = client.post(f"/reports/{report_id}/findings", follow_redirects=False,
                               data={"finding": finding["fingerprint"], "decision": decision, "comment": comment,
                                     "csrf_token": csrf})
        assert response.status_code == 303, response.text
    return report_id, confirmed, rejected


def test_the_docx_carries_confirmed_findings_and_comments_only(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    report_id, confirmed, rejected = _review(client, login(client))
    response = client.get(f"/reports/{report_id}/letter.docx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="letter-')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "审核意见-青川县示范局-2023.docx"
    text = _text(response.content)
    assert "关于《青川县示范局2023年政府信息公开工作年度报告》的审核意见" in text
    assert confirmed["message"] in text
    assert "请核对总计栏 " + INJECTION in text  # literal text, not markup
    assert rejected["message"] not in text and "属正常" not in text
    assert "bad.txt" in text and "重新发布" in text
    if confirmed["line"] is not None:
        assert f"第 {confirmed['line']} 行" in text


def test_the_json_letter_matches_the_docx(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    report_id, confirmed, _ = _review(client, login(client))
    letter = client.get(f"/api/reports/{report_id}/letter").json()
    assert [f["message"] for f in letter["findings"]] == [confirmed["message"]]
    assert letter["findings"][0]["comment"] == "请核对总计栏 " + INJECTION
    assert letter["findings"][0]["reviewer"] == "admin"
    assert letter["agency"] == "青川县示范局" and letter["year"] == 2023


def test_without_confirmed_findings_the_letter_says_so(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    login(client)
    report_id = client.get("/api/reports").json()["reports"][0]["id"]
    letter = client.get(f"/api/reports/{report_id}/letter").json()
    assert letter["findings"] == [] and "未发现需要更正的问题" in letter["opening"]


def test_the_letter_needs_sign_in_and_a_known_report(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    page = client.get("/reports/1/letter.docx", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert client.get("/api/reports/1/letter").status_code == 401
    login(client)
    missing = client.get("/api/reports/999/letter")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "没有编号为 999 的报告"


def test_the_report_page_links_the_letter(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    login(client)
    report_id = client.get("/api/reports").json()["reports"][0]["id"]
    page = client.get(f"/reports/{report_id}").text
    assert f'href="/reports/{report_id}/letter.docx"' in page and "下载审核意见（DOCX）" in page


def _custom(tmp_path: Path, **changes: str) -> Path:
    text = DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    for old, new in changes.items():
        text = text.replace(old, new)
    path = tmp_path / "office.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_office_template_changes_the_title_and_office(db: str, tmp_path: Path) -> None:
    template = _custom(tmp_path, **{'title = "关于': 'title = "{office}转：关于',
                                    "政务公开工作主管部门": "示范市政务公开办公室"})
    client = _client(db, tmp_path, template)
    login(client)
    report_id = client.get("/api/reports").json()["reports"][0]["id"]
    text = _text(client.get(f"/reports/{report_id}/letter.docx").content)
    assert "示范市政务公开办公室转：关于《青川县示范局2023年" in text
    assert text.rstrip().splitlines()[-2] == "示范市政务公开办公室"


def test_a_broken_template_is_one_clear_error(db: str, tmp_path: Path) -> None:
    unknown = _custom(tmp_path, **{"{agency}：": "{agency.__class__}："})
    with pytest.raises(LetterError, match="未知占位符"):
        load_template(unknown)
    client = _client(db, tmp_path, unknown)
    login(client)
    response = client.get("/api/reports/1/letter")
    assert response.status_code == 500 and "office.toml" in response.json()["error"]["message"]
    missing = tmp_path / "none.toml"
    with pytest.raises(LetterError, match=r"none\.toml 无法读取"):
        load_template(missing)


def test_control_characters_are_stripped_and_fingerprints_agree() -> None:
    assert clean("a\x00b\x1bc\nd\ufffe") == "abc\nd"
    assert fingerprint("r", "a,b", 3) == review_fingerprint("r", "a,b", 3)
    assert fingerprint("r", "", None) == review_fingerprint("r", "", None)


def _pdf_text(content: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_the_pdf_letter_carries_the_confirmed_finding(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    report_id, confirmed, rejected = _review(client, login(client))
    response = client.get(f"/reports/{report_id}/letter.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="letter-{report_id}.pdf"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "审核意见-青川县示范局-2023.pdf"
    text = "".join(_pdf_text(response.content).split())  # lines wrap anywhere in CJK text
    assert "".join(confirmed["message"].split()) in text
    assert "请核对总计栏" + INJECTION.replace(" ", "") in text  # escaped for reportlab, shown literally
    assert "".join(rejected["message"].split()) not in text and "属正常" not in text
    assert "关于《青川县示范局2023年政府信息公开工作年度报告》的审核意见" in text
    assert client.get("/reports/999/letter.pdf").status_code == 404


def test_the_pdf_letter_needs_sign_in(db: str, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    page = client.get("/reports/1/letter.pdf", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
