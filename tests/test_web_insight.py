"""Compare, dashboard, charts and exports over a store of four reports with hand-known numbers.

宝清县人民政府 2022 (12 new requests, 9 granted) and 2023 (11 new, 9 granted), 双鸭山市人民政府 2023
(市级; 12 new, 9 granted), 青川县示范局 2023 (12 new) with 予以公开 and 部分公开 and two 行政复议
results left blank (the parser cannot infer them): every sum over that report stays unknown.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient

from builder import consistent_values, report_text
from nianbao.check.labels import cell_name
from nianbao.models import Number
from nianbao.templates import load_template
from nianbao.web import Settings, create_app, exports
from nianbao.web.comparison import _rows
from test_web import PASSWORD, login
from web_support import store_with_users

BLANKED = ("requests.granted.total", "requests.partly_granted.total", "requests.granted.natural_person",
           "requests.partly_granted.natural_person", "appeals.review.upheld", "appeals.review.other")
NEW_2023 = [8, 2, 0, 0, 1, 0, 11]  # 宝清县 2023: 11 new, 9 granted, 2 unable


def _values(new: list[int] | None = None) -> dict[str, int | float | str]:
    return dict(consistent_values(new))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("insight")
    blank = _values()
    for key in BLANKED:
        blank[key] = "/"
    texts = {"a.txt": report_text(_values(), agency="宝清县人民政府", year=2022),
             "b.txt": report_text(_values(NEW_2023), agency="宝清县人民政府", year=2023),
             "c.txt": report_text(blank, agency="青川县示范局", year=2023),
             "d.txt": report_text(_values(), agency="双鸭山市人民政府", year=2023)}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    path = str(folder / "insight.db")
    assert store_with_users(path, [("admin", "admin")], PASSWORD, sorted(folder.glob("*.txt"))) == 4
    return path


@pytest.fixture
def client(db: str, tmp_path: Path) -> TestClient:
    client = TestClient(create_app(Settings(db=db, upload_dir=tmp_path / "uploads")), raise_server_exceptions=False)
    login(client)
    return client


def _year(summary: dict[str, Any], year: str) -> dict[str, Any]:
    return next(g for g in summary["years"] if g["name"] == year)


def _outcome(group: dict[str, Any], start: str) -> dict[str, Any]:
    return next(o for o in group["outcomes"] if o["name"].startswith(start))


def test_dashboard_totals_by_year_are_the_hand_sums_and_blanks_stay_unknown(client: TestClient) -> None:
    summary = client.get("/api/summary").json()
    assert [(g["name"], g["template"], g["reports"]) for g in summary["years"]] == [("2022", "2021", 1),
                                                                                   ("2023", "2021", 3)]
    y2022, y2023 = _year(summary, "2022"), _year(summary, "2023")
    assert y2022["new_requests"] == {"name": "本年新收申请", "value": 12, "blank": 0}
    assert y2023["new_requests"]["value"] == 11 + 12 + 12
    assert _outcome(y2022, "（一）予以公开") == {"name": "（一）予以公开", "value": 9, "blank": 0}
    assert _outcome(y2023, "（一）予以公开") == {"name": "（一）予以公开", "value": None, "blank": 1}  # never 18
    assert _outcome(y2023, "（二）部分公开")["value"] is None
    assert _outcome(y2023, "（四）无法提供") == {"name": "（四）无法提供", "value": 2 + 3 + 3, "blank": 0}
    assert _outcome(y2023, "（三）不予公开")["value"] == 0
    assert not any(o["name"].endswith("总计") for o in y2023["outcomes"])
    names = [o["name"] for o in y2023["outcomes"]]
    assert len(names) == 6 and names[0] == "（一）予以公开" and names[-1] == "（六）其他处理"


def test_appeal_outcomes_come_from_the_template_rows(client: TestClient) -> None:
    y2023 = _year(client.get("/api/summary").json(), "2023")
    table = load_template("2021").table("appeals")
    assert table is not None
    assert [r["name"] for r in y2023["appeals"]] == [
        "".join(f"{g}·" for g in row.groups) + row.label for _, row in table.rows()]
    review = {c["name"]: c for c in y2023["appeals"][0]["cells"]}
    assert list(review) == [c.label for c in table.blocks[0].columns]
    assert review["结果维持"] == {"name": "结果维持", "value": None, "blank": 1}  # 青川县 left it blank
    assert review["尚未审结"]["value"] == 3 and review["总计"]["value"] == 6 and review["结果纠正"]["value"] == 0
    direct = {c["name"]: c["value"] for c in y2023["appeals"][1]["cells"]}
    assert direct["结果纠正"] == 3 and direct["总计"] == 3


def test_dashboard_by_region_level_and_top_findings(client: TestClient) -> None:
    summary = client.get("/api/summary").json()
    assert summary["region_year"] == 2023
    regions = {g["name"]: (g["reports"], g["new_requests"]["value"]) for g in summary["regions"]}
    assert regions == {"黑龙江省/双鸭山市": (2, 11 + 12), "四川省/广元市": (1, 12)}
    city = client.get("/api/summary", params={"level": "市级"}).json()
    assert [(g["name"], g["reports"], g["new_requests"]["value"]) for g in city["years"]] == [("2023", 1, 12)]
    assert client.get("/api/summary", params={"region": "四川省"}).json()["years"][0]["reports"] == 1
    rules = summary["rules"]
    assert rules and all(r["findings"] >= r["reports"] >= 1 for r in rules)
    assert [r["findings"] for r in rules] == sorted((r["findings"] for r in rules), reverse=True)
    listed = client.get("/api/reports", params={"rule": rules[0]["rule"]}).json()["total"]
    assert listed == rules[0]["reports"]


def test_dashboard_page_shows_unknown_counts_and_charts(client: TestClient) -> None:
    page = client.get("/dashboard", params={"year": "2023"})
    assert page.status_code == 200
    assert "未知（1 份未填）" in page.text and "（一）予以公开" in page.text
    assert '<td class="num">35</td>' in page.text  # 11 + 12 + 12 new requests in 2023
    assert page.text.count('<img src="data:image/svg+xml;base64,') == 5  # drawn from the page's own numbers
    for name in ("trend", "outcomes", "appeals", "regions", "rules"):
        assert f'href="/dashboard/charts/{name}.svg?year=2023"' in page.text
        chart = client.get(f"/dashboard/charts/{name}.svg", params={"year": "2023"})
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in chart.content and b"<script" not in chart.content
    assert client.get("/dashboard/charts/nothing.svg").status_code == 404
    empty = client.get("/dashboard/charts/trend.svg", params={"year": "1990"})
    assert empty.status_code == 200 and b"<svg" in empty.content
    nothing = client.get("/dashboard", params={"year": "1990"})
    assert nothing.status_code == 200 and "没有符合条件的报告" in nothing.text


def test_compare_one_agency_across_years(client: TestClient) -> None:
    result = client.get("/api/compare", params={"agency": "宝清县人民政府", "years": [2023, 2022]}).json()
    assert result["years"] == [2022, 2023] and result["agency"] == "宝清县人民政府"
    rows = {r["key"]: r for r in result["rows"]}
    new = rows["requests.new_received.total"]
    assert new["values"] == [12, 11] and new["changes"] == [{"change": -1, "percent": -8.3}] and new["changed"]
    assert new["label"] == cell_name(load_template("2021"), "requests.new_received.total")
    assert rows["requests.granted.total"]["changes"] == [{"change": 0, "percent": 0.0}]
    changed = client.get("/api/compare", params={"agency": "宝清县人民政府", "years": [2022, 2023],
                                                  "changed": "true"}).json()
    assert changed["rows"] and all(r["changed"] for r in changed["rows"])
    assert "requests.granted.total" not in {r["key"] for r in changed["rows"]}
    page = client.get("/compare", params={"agency": "宝清县人民政府", "years": ["2022", "2023"]})
    assert page.status_code == 200 and "-1" in page.text and "-8.3%" in page.text


def test_compare_agencies_side_by_side(client: TestClient) -> None:
    names = ["宝清县人民政府", "青川县示范局", "双鸭山市人民政府"]
    result = client.get("/api/compare", params={"agencies": names, "year": 2023}).json()
    assert result["mode"] == "agencies" and result["agencies"] == names
    rows = {r["key"]: r for r in result["rows"]}
    assert rows["requests.new_received.total"]["values"] == [11, 12, 12]
    assert rows["requests.new_received.total"]["changes"] == [{"change": 1, "percent": 9.1},
                                                              {"change": 1, "percent": 9.1}]
    granted = rows["requests.granted.total"]
    assert granted["values"] == [9, None, 9]  # unknown, never 0
    assert granted["changes"] == [{"change": None, "percent": None}, {"change": 0, "percent": 0.0}]
    page = client.get("/compare", params={"agencies": names, "year": "2023"})
    assert page.status_code == 200 and "未填" in page.text and "差异" in page.text
    missing = client.get("/api/compare", params={"agencies": ["宝清县人民政府", "青川县示范局"], "year": 2022})
    assert missing.status_code == 404 and "青川县示范局 2022" in missing.json()["error"]["message"]
    assert client.get("/api/compare", params={"agencies": names}).status_code == 400  # no year
    one = client.get("/api/compare", params={"agency": "宝清县人民政府", "years": [2022]})
    assert one.status_code == 400 and "两个不同的年度" in one.json()["error"]["message"]


def _csv(client: TestClient, **params: str) -> tuple[bytes, list[list[str]]]:
    response = client.get("/export.csv", params=params)
    assert response.status_code == 200, response.text
    return response.content, list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_has_a_bom_chinese_headers_numbers_and_empty_unknowns(client: TestClient) -> None:
    raw, rows = _csv(client, year="2023")
    assert raw.startswith(b"\xef\xbb\xbf")
    header = rows[0]
    assert header[:2] == ["机关", "报告所署机关"] and "年度" in header
    template = load_template("2021")
    granted = header.index(cell_name(template, "requests.granted.total").replace("“", "").replace("”", " "))
    new = header.index(cell_name(template, "requests.new_received.total").replace("“", "").replace("”", " "))
    by_agency = {r[0]: r for r in rows[1:]}
    assert set(by_agency) == {"宝清县人民政府", "青川县示范局", "双鸭山市人民政府"}
    assert by_agency["青川县示范局"][granted] == ""  # unknown is empty, not 0
    assert by_agency["宝清县人民政府"][granted] == "9" and by_agency["宝清县人民政府"][new] == "11"
    disposition = client.get("/export.csv", params={"year": "2023"}).headers["content-disposition"]
    assert 'filename="nianbao-export-2023.csv"' in disposition


def test_every_list_filter_is_honoured_by_the_exports(client: TestClient) -> None:
    _, city = _csv(client, level="市级")
    assert [r[0] for r in city[1:]] == ["双鸭山市人民政府"]
    _, errors = _csv(client, has_errors="true")
    listed = client.get("/api/reports", params={"has_errors": "true"}).json()["reports"]
    assert sorted(r[0] for r in errors[1:]) == sorted(r["agency"] for r in listed)
    _, region = _csv(client, region="黑龙江省", year="2022")
    assert [(r[0], r[region[0].index("年度")]) for r in region[1:]] == [("宝清县人民政府", "2022")]
    _, agency = _csv(client, agency="宝清县人民政府", template="2021")
    assert len(agency) == 3
    _, none = _csv(client, template="2019")
    assert len(none) == 1  # headers only


def test_xlsx_keeps_numbers_as_numbers_and_unknown_empty(client: TestClient) -> None:
    response = client.get("/export.xlsx", params={"year": "2023", "level": "县级"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    template = load_template("2021")
    granted = header.index(cell_name(template, "requests.granted.total").replace("“", "").replace("”", " "))
    by_agency = {r[0]: r for r in rows[1:]}
    assert set(by_agency) == {"宝清县人民政府", "青川县示范局"}  # 双鸭山市 is 市级
    assert by_agency["宝清县人民政府"][granted] == 9 and isinstance(by_agency["宝清县人民政府"][granted], int)
    assert by_agency["青川县示范局"][granted] is None


def test_review_page_export_holds_the_filtered_reports(client: TestClient) -> None:
    response = client.get("/export/review.html", params={"level": "市级"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    assert "双鸭山市人民政府" in response.text and "青川县示范局" not in response.text
    flagged = client.get("/export/review.html", params={"agency": "青川县示范局"}).text
    findings = client.get("/api/reports", params={"agency": "青川县示范局"}).json()["reports"][0]
    message = client.get(f"/api/reports/{findings['id']}").json()["findings"][0]["message"]
    assert "青川县示范局" in flagged and message.split("\n")[0][:20] in flagged


def test_letters_zip_has_one_docx_per_report_with_confirmed_findings(client: TestClient) -> None:
    csrf = str(client.get("/api/session").json()["csrf_token"])
    report = client.get("/api/reports", params={"agency": "青川县示范局"}).json()["reports"][0]
    finding = client.get(f"/api/reports/{report['id']}").json()["findings"][0]
    marked = client.post(f"/api/reports/{report['id']}/findings", headers={"X-CSRF-Token": csrf},
                         json={"finding": finding["fingerprint"], "decision": "确认", "comment": "请更正"})
    assert marked.status_code == 200, marked.text
    response = client.get("/export/letters.zip", params={"year": "2023"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        texts = {n: "\n".join(p.text for p in docx.Document(io.BytesIO(archive.read(n))).paragraphs) for n in names}
    assert len(names) == 3 and all(n.endswith(".docx") for n in names)
    mine = f"{report['id']}-审核意见-青川县示范局-2023.docx"
    assert mine in names
    assert finding["message"] in texts[mine] and "请更正" in texts[mine]
    others = [t for n, t in texts.items() if n != mine]
    assert all("未发现需要更正的问题" in t for t in others)
    city = client.get("/export/letters.zip", params={"level": "市级"})
    with zipfile.ZipFile(io.BytesIO(city.content)) as archive:
        assert [n.split("-", 1)[1] for n in archive.namelist()] == ["审核意见-双鸭山市人民政府-2023.docx"]


def test_exports_are_bounded_and_refuse_an_empty_selection(client: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "MAX_DOCUMENTS", 2)
    for path in ("/export/letters.zip", "/export/review.html"):
        over = client.get(path, params={"year": "2023"})
        assert over.status_code == 400 and "超过 2 份" in over.text
        assert client.get(path, params={"year": "2022"}).status_code == 200
        empty = client.get(path, params={"year": "1999"})
        assert empty.status_code == 400 and "没有符合条件的报告" in empty.text


def test_bad_input_is_one_line_and_sign_in_is_required(client: TestClient, db: str, tmp_path: Path) -> None:
    for path in ("/export.csv", "/export.xlsx", "/export/letters.zip", "/dashboard", "/compare"):
        response = client.get(path, params={"year": "abc"})
        assert response.status_code == 400 and "abc" in response.text, path
    api = client.get("/api/summary", params={"year": "abc"})
    assert api.status_code == 400 and set(api.json()) == {"error"}
    unknown = client.get("/export.csv", params={"agency": "不存在的机关"})
    assert unknown.status_code == 404 and "不存在的机关" in unknown.text
    anonymous = TestClient(create_app(Settings(db=db, upload_dir=tmp_path / "u2")), raise_server_exceptions=False)
    for path in ("/api/summary", "/api/compare"):
        assert anonymous.get(path).status_code == 401
    for path in ("/export.csv", "/export/letters.zip", "/export/review.html", "/dashboard",
                 "/dashboard/charts/trend.svg", "/compare"):
        page = anonymous.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login", path


def test_charts_are_drawn_without_a_cjk_font(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.web import dashboard_charts

    monkeypatch.setattr(dashboard_charts, "_font", lambda: None)
    chart = client.get("/dashboard/charts/outcomes.svg")
    assert chart.status_code == 200 and b"<svg" in chart.content


def test_a_key_only_the_first_year_states_has_no_change_in_later_steps() -> None:
    """Three years across two templates: a 2019-only key has no change between the two 2021 years."""
    values: list[dict[str, Number | None]] = [{"old.only": 4, "shared": 1}, {"shared": 2}, {"shared": 5}]
    rows = {r["key"]: r for r in _rows(values, load_template("2021"), base_first=False)}
    assert rows["old.only"]["values"] == [4, None, None]
    assert rows["old.only"]["changes"] == [{"change": None, "percent": None}, {"change": None, "percent": None}]
    assert [c["change"] for c in rows["shared"]["changes"]] == [1, 3]


def _shown_and_python_sums(path: str, by: str) -> list[tuple[Any, Any, Any, Any]]:
    """Per group and shown measure: (SQL value, SQL blank, value, blank) the Python way: queries.summary's
    per-key sums, and the reports (from each report's own values) leaving some cell of it unknown."""
    from nianbao.store import queries
    from nianbao.store.db import open_store
    from nianbao.web.dashboard import appeal_grid, group_totals, new_requests_key, outcome_measures

    store = open_store(path)
    with store.engine.connect() as conn:
        shown = group_totals(conn, queries.select_reports(conn, queries.Filters()).subquery(), by)
        python = {(g.name, g.template): g for g in queries.summary(conn, queries.Filters(), by)}
        reports = list(queries.report_rows(conn, queries.Filters()))
    store.engine.dispose()
    out = []
    for group in shown:
        summed = python[(group.name, group.template)]
        members = [values for meta, values in reports if meta.template == group.template and (
            str(meta.year) if by == "year" else "/".join(p for p in (meta.province, meta.city) if p)) == group.name]
        assert len(members) == group.reports == summed.reports
        new_key = new_requests_key(group.template)
        pairs: list[tuple[Any, tuple[str, ...]]] = ([(group.new_requests, (new_key,))]
                                                     if group.new_requests and new_key else [])
        pairs += [(t, m.keys) for t, m in zip(group.outcomes, outcome_measures(group.template), strict=True)]
        for row, (_, measures) in zip(group.appeals, appeal_grid(group.template)[1], strict=True):
            pairs += [(t, m.keys) for t, m in zip(row["cells"], measures, strict=True)]
        for total, keys in pairs:
            blank = sum(1 for values in members if any(values.get(k) is None for k in keys))
            value = None if blank else sum(summed.sums[k] for k in keys)
            out.append((total.value, total.blank, value, blank))
    return out


def test_dashboard_sql_sums_are_the_python_sums_of_every_shown_key(db: str, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    for by in ("year", "region"):
        found = _shown_and_python_sums(db, by)
        assert all((value, blank) == (python, unknown) for value, blank, python, unknown in found)
        assert any(blank for _, blank, _, _ in found) and any(value for value, _, _, _ in found)
    # A report with no row at all for a shown cell (not even a NULL one) leaves its sum unknown too.
    copy = str(tmp_path / "missing.db")
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM report_values WHERE key = 'requests.new_received.total' AND report_id = "
                     "(SELECT id FROM reports WHERE year = 2022)")
    found = _shown_and_python_sums(copy, "year")
    assert all((value, blank) == (python, unknown) for value, blank, python, unknown in found)
    assert (None, 1, None, 1) in found
