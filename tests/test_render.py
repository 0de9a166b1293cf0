"""Writing reports: the template layout from data, refusal of broken data, the Excel template,
and the sample corpus whose gold files score perfect."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import sys
import zipfile

import pytest

from builder import consistent_values
from nianbao.pipeline import parse_file
from nianbao.render import ReportData, render
from nianbao.render.workbook import KEYS_SHEET, blank_workbook, read_workbook
from nianbao.sample.corpus import make_corpus
from nianbao.sample.values import report_values
from nianbao.templates import load_template
from test_input_errors import run


def _data(values=None, **meta):
    return ReportData.model_validate({"meta": {"year": 2023, "agency": "青川县示范局", **meta},
                                      "values": values if values is not None else consistent_values()})


@pytest.mark.parametrize("fmt", ["html", "md", "docx", "pdf"])
def test_gold_files_round_trip_in_every_format(shared, tmp_path, fmt):
    golds = sorted((shared / "gold").glob("*.json")) + sorted((shared / "corpus" / "gold").glob("*.json"))
    for gold_path in golds:
        gold = json.loads(gold_path.read_text())
        path = tmp_path / f"{gold_path.stem}.{fmt}"
        path.write_bytes(render(ReportData.model_validate(gold), fmt, allow_errors=True))
        report = parse_file(path)
        assert {k: report.values.get(k) for k in gold["values"]} == gold["values"], gold_path.name
        assert report.meta.year == gold["meta"]["year"] and report.meta.template == gold["meta"]["template"]


def test_section_six_states_the_fee():
    html = render(_data(), "html").decode()
    assert "本年度青川县示范局未收取信息处理费。" in html
    data = _data()
    data.fee_wan = 0.12
    assert "共收取信息处理费0.12万元" in render(data, "html").decode()


def test_prose_is_escaped_in_html():
    data = _data()
    data.prose["一"] = "<script>alert(1)</script>"
    html = render(data, "html").decode()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_docx_has_real_merged_cells():
    blob = render(_data(), "docx")
    xml = zipfile.ZipFile(io.BytesIO(blob)).read("word/document.xml").decode()
    assert 'w:gridSpan w:val="7"' in xml  # 申请人情况 over the seven applicant columns
    assert "w:vMerge" in xml  # 三、本年度办理结果 down the result rows


def test_pdf_table_geometry(tmp_path):
    import pdfplumber

    path = tmp_path / "r.pdf"
    path.write_bytes(render(_data(), "pdf"))
    with pdfplumber.open(path) as pdf:
        tables = [t for page in pdf.pages for t in page.find_tables()]
        width = pdf.pages[0].width
        assert all(t.bbox[0] > 20 and t.bbox[2] < width - 20 for t in tables)  # inside the margins
        rows = {len(t.rows) for t in tables}
        assert any(n >= 20 for n in rows)  # 表三, possibly split over two pages
        first = next(t for t in tables if "第二十条" in (t.extract()[0][0] or ""))
        assert len(first.extract()[1]) == 4  # 信息内容 + three columns
    if shutil.which("pdftoppm"):
        from PIL import Image

        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
                       check=True)
        image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
        dark = image.point(lambda v: 255 if v < 128 else 0).histogram()[255]
        assert dark > 0.005 * image.width * image.height  # the page shows text and ruling lines


def test_render_refuses_broken_data(tmp_path):
    values = consistent_values()
    values["requests.total.total"] = 99
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"meta": {"year": 2023, "agency": "青川县示范局"}, "values": values},
                               ensure_ascii=False), encoding="utf-8")
    result = run("render", str(path), "--format", "md")
    assert result.returncode == 1 and "勾稽关系" in result.stderr and "（七）总计" in result.stderr
    assert not (tmp_path / "data.md").exists()
    result = run("render", str(path), "--format", "md", "--allow-errors")
    assert result.returncode == 0 and (tmp_path / "data.md").exists()


def test_render_bad_data_file(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{"meta": {"year": "soon"}}', encoding="utf-8")
    result = run("render", str(path))
    assert result.returncode == 2 and "data.json" in result.stderr and "Traceback" not in result.stderr


def test_excel_template_round_trip(tmp_path):
    from openpyxl import load_workbook

    values = report_values(load_template("2021"), random.Random(5), size=40)
    book = load_workbook(io.BytesIO(blank_workbook(2024, "青川县示范局")))
    formulas = 0
    for key, sheet, coordinate in book[KEYS_SHEET].iter_rows(values_only=True):
        cell = book[sheet][coordinate]
        if isinstance(cell.value, str) and cell.value.startswith("=SUM("):
            formulas += 1  # totals stay live formulas (saved without results, as a script would)
        else:
            cell.value = values[key]
    assert formulas >= 30
    buffer = io.BytesIO()
    book.save(buffer)
    data = read_workbook(buffer.getvalue())
    assert data.meta.year == 2024 and data.meta.agency == "青川县示范局"
    assert {k: data.values.get(k) for k in values} == values


def test_excel_cli_flow(tmp_path):
    blank = tmp_path / "blank.xlsx"
    assert run("template", "--xlsx", str(blank), "--year", "2016").returncode == 0
    result = run("render", "--from-excel", str(blank))  # nothing filled: no agency
    assert result.returncode == 2 and "机关名称" in result.stderr
    (tmp_path / "other.xlsx").write_bytes(b"PK\x03\x04 not really")
    result = run("render", "--from-excel", str(tmp_path / "other.xlsx"))
    assert result.returncode == 2 and "Excel" in result.stderr


def test_sample_corpus_matches_its_gold(tmp_path):
    manifest = make_corpus(tmp_path, 40, seed=3, defect_share=0.5)
    assert len(manifest) == 40 and any(m["defects"] for m in manifest)
    assert {m["format"] for m in manifest} == {"txt", "md", "html", "docx", "pdf"}
    for entry in manifest:
        gold = json.loads((tmp_path / "gold" / f"{entry['id']}.json").read_text())
        assert gold["source"] == entry["source"]
        report = parse_file(tmp_path / gold["source"])
        assert {k: report.values.get(k) for k in gold["values"]} == gold["values"], entry
        assert {f.rule for f in report.findings} == set(gold["findings"]), entry
        assert report.meta.agency == gold["meta"]["agency"] and "示范" in report.meta.agency


def test_sample_corpus_scores_perfect_with_the_shared_scorer(shared, tmp_path):
    run("sample", "-n", "25", "-o", str(tmp_path), "--seed", "11", "--defects", "0.4")
    scorer = subprocess.run([sys.executable, str(shared / "tools" / "score.py"), str(tmp_path / "gold"),
                             "--cmd", f"{sys.executable} -m nianbao"], capture_output=True, text=True, timeout=600)
    assert "25/25 files perfect" in scorer.stdout, scorer.stdout[-2000:]


def test_sample_command_rejects_unknown_format(tmp_path):
    result = run("sample", "-n", "2", "-o", str(tmp_path), "--formats", "txt,xls")
    assert result.returncode == 2 and "xls" in result.stderr


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice and poppler-utils are not installed (make system-deps)")
def test_docx_looks_right_when_printed(tmp_path):
    """The DOCX as Word would print it (LibreOffice → PDF → PNG): the tables keep their shape."""
    import pdfplumber
    from PIL import Image

    source = tmp_path / "report.docx"
    source.write_bytes(render(_data(), "docx"))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    printed = tmp_path / "report.pdf"
    with pdfplumber.open(printed) as pdf:
        grids = [t.extract() for page in pdf.pages for t in page.find_tables()]
    assert any(row and row[0] == "信息内容" and len(row) == 4 for grid in grids for row in grid)
    assert any(len(row) == 10 for grid in grids for row in grid)  # 表三: 3 label columns + 7 values
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(printed), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(Image.open(p).convert("L").getextrema()[0] < 100 for p in pages)  # ink on every page
    assert parse_file(printed).values["requests.total.total"] == 12  # and it still reads back
