"""The report view (#13): the source beside the tables, each value cell linked to its line, a PDF's
page with the cell's box, the template's tables with flags and 未知, findings grouped, the
source's JSON twin, a source file that moved, hostile text, sign-in."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from builder import consistent_values, report_text
from nianbao.render import ReportData, render
from nianbao.store import schema
from nianbao.store.db import open_store
from nianbao.web import Settings, create_app
from nianbao.web.report_view import group_findings
from nianbao.web.source import load_source, parse_place
from web_support import store_with_users

INJECTION = "<script>alert('x')</script>"
PASSWORD = "correct horse 1"
NULLED = ("requests.granted.natural_person", "requests.granted.business", "requests.unable_not_held.natural_person",
          "requests.unable_not_held.business")  # a rectangle of blanks the identities cannot fill


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    bad: dict[str, int | float | str] = dict(consistent_values())
    bad["requests.total.total"] = 13  # the 总计 column no longer adds up: error findings on its row
    (folder / "bad.txt").write_text(report_text(bad, agency="青川县示范局", section_six="某某" + INJECTION),
                                    encoding="utf-8")
    blanks: dict[str, int | float | str] = dict(consistent_values())
    blanks.update({key: "-" for key in NULLED})
    blanks["requests.new_received.total"] = ""  # left blank, and forced by its row: inferred
    (folder / "blank.txt").write_text(report_text(blanks, agency="宝清县示范局", year=2022), encoding="utf-8")
    printed = {**bad, **{key: None for key in NULLED}}  # blank cells in the PDF's table
    data = ReportData.model_validate({"meta": {"year": 2023, "agency": "饶河县示范局"}, "values": printed})
    (folder / "table.pdf").write_bytes(render(data, "pdf", allow_errors=True))
    return folder


@pytest.fixture
def db(tmp_path: Path, reports: Path) -> str:
    path = str(tmp_path / "web.db")
    assert store_with_users(path, [("reader", "reviewer")], PASSWORD, sorted(reports.iterdir())) == 3
    return path


@pytest.fixture
def client(db: str, tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(db=db, upload_dir=tmp_path / "uploads")), raise_server_exceptions=False)


def login(client: TestClient) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post("/login", data={"name": "reader", "password": PASSWORD, "csrf_token": token.group(1)},
                           follow_redirects=False)
    assert response.status_code == 303
    return str(client.get("/api/session").json()["csrf_token"])


def report_id(db: str, name: str) -> int:
    engine = open_store(db).engine
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.id, schema.reports.c.path)).all()
    engine.dispose()
    return next(int(r.id) for r in rows if Path(r.path).name == name)


def page_of(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return lxml_html.fromstring(response.text)


def td(page: Any, key: str) -> Any:
    found = page.xpath(f'//td[@data-key="{key}"]')
    assert len(found) == 1, key
    return found[0]


def test_text_report_cells_link_to_the_lines_they_came_from(client: TestClient, db: str) -> None:
    login(client)
    rid = report_id(db, "bad.txt")
    cells = client.get(f"/api/reports/{rid}").json()["cells"]
    source = client.get(f"/api/reports/{rid}/source").json()
    assert source["available"] is True and source["pages"] == 0
    lines = {entry["line"]: entry["text"] for entry in source["lines"]}
    printed = [c for c in cells if c["raw"] is not None and c["line"] is not None]
    assert len(printed) > 100
    assert all(c["raw"] in lines[c["line"]] for c in printed)  # numbered as the parse numbered them
    page = page_of(client, f"/reports/{rid}")
    items = {li.get("id"): li.text_content() for li in page.xpath('//*[@id="source"]/li')}
    assert len(items) == len(lines) and items["L1"] == lines[1]
    for cell in printed:
        assert f"L{cell['line']}" in items
        link = td(page, cell["key"]).xpath("./a")[0]
        assert link.get("href") == f"?cell={cell['key']}#L{cell['line']}"
    total = next(c for c in printed if c["key"] == "requests.total.total")
    assert items[f"L{total['line']}"].startswith("（七）总计") and items[f"L{total['line']}"].endswith("13")
    assert "行号仅供参考" not in page.text_content() and "原文件已不可用" not in page.text_content()


def test_a_cell_named_by_an_error_is_flagged_and_a_clicked_cell_is_shown(client: TestClient, db: str) -> None:
    login(client)
    rid = report_id(db, "bad.txt")
    page = page_of(client, f"/reports/{rid}")
    assert {"cell", "flagged", "flag-error"} <= set(td(page, "requests.total.total").get("class").split())
    assert "flagged" not in td(page, "active.rules.repealed").get("class")
    assert "（七）总计" in page.xpath("//table[@class='grid']//th/text()")  # row labels as the template prints them
    assert page.xpath("//table[@class='grid']//th[@colspan or @rowspan]")  # its merged header cells
    chosen = page_of(client, f"/reports/{rid}?cell=requests.total.total")
    assert "selected" in td(chosen, "requests.total.total").get("class")
    line = td(chosen, "requests.total.total").get("data-line")
    assert chosen.xpath(f'//li[@id="L{line}"]')[0].get("class").split()[-1] == "selected"
    detail = chosen.xpath('//*[@id="detail"]')[0].text_content()
    assert "“13”" in detail and f"第 {line} 行" in detail
    assert client.get(f"/reports/{rid}?cell=no.such.key").status_code == 404


def test_null_is_shown_as_unknown_never_zero(client: TestClient, db: str) -> None:
    login(client)
    rid = report_id(db, "blank.txt")
    assert all(client.get(f"/api/reports/{rid}").json()["values"][key] is None for key in NULLED)
    page = page_of(client, f"/reports/{rid}")
    for key in NULLED:
        cell = td(page, key)
        assert cell.text_content().strip() == "未知" and "unknown" in cell.get("class")
    assert td(page, "requests.granted.total").text_content().strip() == "9"
    inferred = td(page, "requests.new_received.total")
    assert inferred.text_content().strip() == "12" and "inferred" in inferred.get("class").split()
    assert "由表内勾稽关系推算" in inferred.get("title")


def test_a_pdf_report_gives_its_page_and_the_cells_box(client: TestClient, db: str, reports: Path) -> None:
    import pdfplumber
    from PIL import Image

    login(client)
    rid = report_id(db, "table.pdf")
    source = client.get(f"/api/reports/{rid}/source", params={"cell": "requests.total.total"}).json()
    assert source["available"] and source["pages"] == 2
    box = source["cell"]["box"]
    assert box["exact"] is True
    with pdfplumber.open(reports / "table.pdf") as pdf:
        page = pdf.pages[box["page"] - 1]
        inside = page.crop((box["x0"], box["top"], box["x1"], box["bottom"])).extract_text()
    assert inside.strip() == "13"  # the box holds the cell's printed text, and nothing else
    png = client.get(f"/reports/{rid}/pages/{box['page']}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.width == round(page.width * 1.5) and image.height == round(page.height * 1.5)
    view = client.get(f"/reports/{rid}", params={"cell": "requests.total.total"}).text
    assert f'href="/reports/{rid}/pages/{box["page"]}.png"' in view
    rect = re.search(r'<rect class="box" x="([\d.]+)" y="([\d.]+)"', view)
    assert rect and abs(float(rect.group(1)) - box["x0"]) < 0.2 and abs(float(rect.group(2)) - box["top"]) < 0.2
    missing = client.get(f"/reports/{rid}/pages/9.png")
    assert missing.status_code == 404 and "没有第 9 页" in missing.text
    text_report = report_id(db, "bad.txt")
    assert client.get(f"/reports/{text_report}/pages/1.png").status_code == 404  # a text file has no pages


def test_a_pdf_findings_cells_are_all_boxed_on_its_page(client: TestClient, db: str) -> None:
    login(client)
    rid = report_id(db, "table.pdf")
    finding = next(f for f in client.get(f"/api/reports/{rid}").json()["findings"]
                   if f["rule"] == "requests.row_total" and "requests.total.total" in f["keys"])
    view = page_of(client, f"/reports/{rid}?finding={finding['fingerprint']}")
    rects = view.xpath("//svg//rect")
    assert len(rects) == len(finding["keys"]) == 7 and all(r.get("class") == "box" for r in rects)  # one row
    assert len({r.get("x") for r in rects}) == 7 and len({r.get("y") for r in rects}) == 1
    assert "涉及的数值所在的单元格" in view.xpath("//figcaption")[0].text_content()


def test_blank_cells_of_a_pdf_table_are_boxed_in_their_own_column(client: TestClient, db: str, reports: Path) -> None:
    import pdfplumber

    login(client)
    rid = report_id(db, "table.pdf")
    boxes = {key: client.get(f"/api/reports/{rid}/source", params={"cell": key}).json()["cell"]["box"]
             for key in ("requests.granted.natural_person", "requests.granted.business", "requests.granted.research")}
    assert all(box["exact"] and box["page"] == 2 for box in boxes.values())
    left, blank, right = boxes.values()
    assert left["x1"] <= blank["x0"] + 1 and blank["x1"] <= right["x0"] + 1  # 自然人 | 商业企业 | 科研机构
    with pdfplumber.open(reports / "table.pdf") as pdf:
        page = pdf.pages[1]
        assert not (page.crop((blank["x0"] + 1, blank["top"] + 1, blank["x1"] - 1, blank["bottom"] - 1))
                    .extract_text() or "").strip()
    assert td(page_of(client, f"/reports/{rid}"), "requests.granted.business").text_content().strip() == "未知"


def test_a_moved_or_changed_source_is_said_so_and_the_tables_still_render(client: TestClient, db: str,
                                                                          reports: Path, tmp_path: Path) -> None:
    login(client)
    rid = report_id(db, "bad.txt")
    assert client.get(f"/api/reports/{rid}/source").json()["available"]  # read (and cached) once
    shutil.move(reports / "bad.txt", tmp_path / "elsewhere.txt")
    page = page_of(client, f"/reports/{rid}")
    assert "原文件已不可用" in page.xpath('//*[@class="unavailable"]')[0].text_content()
    assert not page.xpath('//*[@id="source"]') and len(page.xpath("//td[contains(@class, 'cell')]")) > 100
    assert "flagged" in td(page, "requests.total.total").get("class")
    api = client.get(f"/api/reports/{rid}/source").json()
    assert api["available"] is False and api["lines"] == [] and "原文件已不可用" in api["reason"]
    (reports / "bad.txt").write_text((tmp_path / "elsewhere.txt").read_text(encoding="utf-8") + "多一行\n",
                                     encoding="utf-8")
    changed = client.get(f"/api/reports/{rid}/source").json()
    assert changed["available"] is False and "内容已改变" in changed["reason"]


def test_findings_of_one_rule_on_one_line_are_one_group_marked_one_by_one(client: TestClient, db: str) -> None:
    csrf = login(client)
    rid = report_id(db, "bad.txt")
    first = next(f for f in client.get(f"/api/reports/{rid}").json()["findings"] if f["rule"] == "requests.row_total")
    engine = open_store(db).engine
    with engine.begin() as conn:  # the same rule again on the same line, on another column of the row
        conn.execute(schema.findings.insert().values(
            report_id=rid, rule=first["rule"], severity="warning", message="（七）总计：另一列不符",
            keys="requests.total.business", line=first["line"], place=None))
    engine.dispose()
    data = client.get(f"/api/reports/{rid}").json()
    group = next(g for g in data["finding_groups"] if g["rule"] == "requests.row_total")
    assert group["count"] == 2 and group["severity"] == "error" and group["line"] == first["line"]
    assert len(data["finding_groups"]) == len(data["findings"]) - 1
    page = page_of(client, f"/reports/{rid}")
    several = page.xpath('//div[contains(@class, "several")]')
    assert len(several) == 1 and "同一规则同一处 2 条" in several[0].text_content()
    fingerprints = several[0].xpath('.//input[@name="finding"]/@value')
    assert len(fingerprints) == 2 and len(set(fingerprints)) == 2
    marked = client.post(f"/reports/{rid}/findings", data={"finding": fingerprints[1], "decision": "不采纳",
                                                           "comment": "", "csrf_token": csrf}, follow_redirects=False)
    assert marked.status_code == 303
    reviews = {f["fingerprint"]: f["review"] for f in client.get(f"/api/reports/{rid}").json()["findings"]}
    assert reviews[fingerprints[1]]["decision"] == "不采纳" and reviews[fingerprints[0]] is None


def test_a_finding_link_highlights_its_cells_and_its_line(client: TestClient, db: str) -> None:
    login(client)
    rid = report_id(db, "bad.txt")
    finding = next(f for f in client.get(f"/api/reports/{rid}").json()["findings"] if f["rule"] == "requests.row_total")
    page = page_of(client, f"/reports/{rid}?finding={finding['fingerprint']}")
    selected = {cell.get("data-key") for cell in page.xpath("//td[contains(@class, 'selected')]")}
    assert selected == set(finding["keys"])
    assert "selected" in page.xpath(f'//li[@id="L{finding["line"]}"]')[0].get("class")
    links = page.xpath('//section[contains(@class, "selected")]//p[@class="where"]/a/@href')
    assert links and links[0].endswith(f"#L{finding['line']}")
    assert client.get(f"/reports/{rid}?finding=nope").status_code == 404


def test_grouping_without_a_line_goes_by_the_row_of_the_keys() -> None:
    def finding(rule: str, keys: list[str], line: int | None, severity: str = "warning") -> dict[str, Any]:
        return {"rule": rule, "severity": severity, "keys": keys, "line": line, "place": None,
                "fingerprint": f"{rule}|{','.join(keys)}|{line or ''}", "rule_title": None, "rule_explanation": None}

    groups = group_findings([finding("a", ["t.row.x"], None), finding("a", ["t.row.y"], None, "error"),
                             finding("a", ["t.other.x"], None), finding("b", [], None), finding("b", [], None),
                             finding("a", ["t.row.x"], 7)])
    assert [(g["rule"], len(g["members"]), g["severity"]) for g in groups] == [
        ("a", 2, "error"), ("a", 1, "warning"), ("b", 2, "warning"), ("a", 1, "warning")]  # b: the same fingerprint


def test_report_text_is_escaped_in_the_source_and_the_only_script_is_ours(client: TestClient, db: str) -> None:
    login(client)
    rid = report_id(db, "bad.txt")
    text = client.get(f"/reports/{rid}").text
    assert INJECTION not in text
    assert "某某&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</li>" in text  # the source line, as text
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/report.js" defer>']
    assert client.get("/static/report.js").status_code == 200 and client.get("/static/report.css").status_code == 200


def test_the_view_its_pages_and_its_source_need_sign_in(client: TestClient, db: str) -> None:
    rid = report_id(db, "table.pdf")
    assert client.get(f"/api/reports/{rid}/source").status_code == 401
    image = client.get(f"/reports/{rid}/pages/1.png", follow_redirects=False)
    assert image.status_code == 303 and image.headers["location"] == "/login"
    assert client.get(f"/reports/{rid}", follow_redirects=False).status_code == 303
    login(client)
    assert client.get(f"/api/reports/{rid + 100}/source").status_code == 404


def test_places_are_read_for_text_rows_table_rows_and_scans(tmp_path: Path) -> None:
    row = parse_place("第4页 表格第5行（距页顶 257 点）")
    assert row == parse_place("第4页 表格第5行（距页顶 257 点），第3行第1字起")  # a reflowed line's place
    assert row is not None and (row.page, row.top, row.table_row, row.scanned) == (4, 257.0, True, False)
    scan = parse_place("第2页（扫描件 OCR，距页顶 88 点）")
    assert scan is not None and (scan.page, scan.scanned, scan.table_row) == (2, True, False)
    assert parse_place("原文第3行") is None and parse_place(None) is None
    empty = tmp_path / "gone.txt"
    assert load_source(str(empty), "0" * 64).available is False


@pytest.mark.parametrize("template_id", ["2021", "2019", "legacy"])
def test_every_template_draws_each_value_once_and_null_as_unknown(template_id: str) -> None:
    from nianbao.templates import load_template
    from nianbao.web.report_view import table_views

    template = load_template(template_id)
    views = table_views(template_id, {key: None for key in template.required_keys}, [], {}, set())
    assert [view.title for view in views] == [table.title for table in template.tables]
    keys = [cell.key for view in views for row in view.rows for cell in row if not cell.header]
    assert len(keys) == len(set(keys)) and set(template.required_keys) <= set(keys) and keys
    assert {cell.text for view in views for row in view.rows for cell in row if not cell.header} == {"未知"}


def test_a_scanned_row_and_a_text_line_are_located_too(db: str, reports: Path) -> None:
    import pdfplumber

    from nianbao.web.source import locate

    path = str(reports / "table.pdf")
    sha = next(r.sha256 for r in _rows(db) if Path(r.path).name == "table.pdf")
    band = locate(path, sha, "第2页（扫描件 OCR，距页顶 88 点）", "5")
    assert band is not None and (band.page, band.top, band.exact) == (2, 88.0, False)  # OCR rows: only the row
    with pdfplumber.open(path) as pdf:
        word = next(w for w in pdf.pages[0].extract_words() if "2023" in w["text"])
    box = locate(path, sha, f"第1页（距页顶 {round(word['top'])} 点）", "2023")  # a line of text, not a table row
    assert box is not None and box.exact and word["x0"] - 1 <= box.x0 < box.x1 <= word["x1"] + 1
    assert locate(path, sha, "第7页（距页顶 10 点）", "2023") is None  # no such page


def _rows(db: str) -> list[Any]:
    engine = open_store(db).engine
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.path, schema.reports.c.sha256)).all()
    engine.dispose()
    return list(rows)
