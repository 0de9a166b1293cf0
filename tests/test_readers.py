"""Reading reports the way they are published: web pages, Word files and PDFs.

The documents are written here (by hand or by nianbao's own renderer from generated data),
so the tests need nothing from ../shared; the real published PDF is scored in test_shared_gold.
"""

from __future__ import annotations

import io
import random
import shutil
import zipfile

import pytest

from builder import consistent_values
from nianbao.errors import UnusableInput
from nianbao.ingest import read_document
from nianbao.ingest.ocr import ocr_available
from nianbao.pipeline import parse_file
from nianbao.render import ReportData, render
from nianbao.render.writers import cjk_font_file
from nianbao.sample.corpus import report_data
from nianbao.sample.values import report_values
from nianbao.templates import load_template

T3_HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<script>document.title = "x";</script></head><body>
<div class="top-nav">首页 &gt; 政府信息公开 &gt; 年度报告</div>
<div class="meta">索引号：11320800/2024-00012　发布机构：青川县示范局　发文日期：2024-01-20</div>
<h1>青川县示范局2023年政府信息公开工作年度报告</h1>
<p>一、总体情况</p><p>2023年，本局认真贯彻《条例》。</p>
<p>二、主动公开政府信息情况</p>
<p>三、收到和处理政府信息公开申请情况</p>
<table border="1">
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，<br>等于第三项加第四项之和）</td>
    <td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业<br>企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>5</td><td>&nbsp;</td>
    <td>0</td><td>0</td><td>0</td><td>0</td><td>5</td></tr>
<tr><td colspan="3">二、上年结转政府信息公开申请数量</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>
    <td>1</td></tr>
</table>
<div class="footer">主办单位：示范县人民政府办公室</div>
</body></html>"""


def test_html_page_merged_cells_nbsp_and_charset(tmp_path):
    path = tmp_path / "page.bin"  # the name says nothing: the format comes from the bytes
    path.write_bytes(T3_HTML.encode("gb18030"))
    report = parse_file(path)
    assert report.source.format == "html"
    assert report.source.encoding == "gb2312"
    assert report.meta.agency == "青川县示范局"
    assert report.values["requests.new_received.natural_person"] == 5
    # the &nbsp; cell is blank and the row total forces it to 0
    assert report.values["requests.new_received.business"] == 0
    assert report.values["requests.carried_over.total"] == 1
    assert report.source.properties == {"索引号": "11320800/2024-00012", "发布机构": "青川县示范局",
                                        "发文日期": "2024-01-20"}
    cell = next(c for c in report.cells if c.key == "requests.new_received.natural_person")
    assert cell.place == "表格1 第4行"


def test_html_drops_navigation_and_scripts(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(T3_HTML.encode("gb18030"))
    text = read_document(path).text
    assert "首页" not in text and "document.title" not in text
    assert "本年新收政府信息公开申请数量\t5\t\t0" in text


def _docx_with_vertical_merge() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("青川县示范局2023年政府信息公开工作年度报告")
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    table = document.add_table(rows=4, cols=3)
    table.cell(0, 0).text = "行政复议"
    table.cell(0, 0).merge(table.cell(1, 0))  # vertical merge: the lower cell is a vMerge continuation
    table.cell(0, 1).merge(table.cell(0, 2)).text = "行政诉讼"
    table.cell(1, 1).text = "未经复议直接起诉"
    table.cell(1, 2).text = "复议后起诉"
    for column, text in enumerate(("1", "2", "3")):
        table.cell(3, column).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_reader_writes_merged_cells_once(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(_docx_with_vertical_merge())
    document = read_document(path)
    lines = document.text.split("\n")
    assert "行政复议\t行政诉讼" in lines  # gridSpan merge written once
    assert "未经复议直接起诉\t复议后起诉" in lines  # vMerge continuation not repeated
    assert document.places[lines.index("未经复议直接起诉\t复议后起诉")] == "表格1 第2行"


@pytest.mark.parametrize("template_id", ["2021", "2019", "legacy"])
@pytest.mark.parametrize("fmt", ["html", "docx", "pdf", "md"])
def test_rendered_report_reads_back_exactly(tmp_path, template_id, fmt):
    year = {"2021": 2023, "2019": 2020, "legacy": 2016}[template_id]
    values = report_values(load_template(template_id), random.Random(year), size=120)
    if template_id == "2021":
        values["active.rules.issued"] = 0  # a county bureau makes no 规章 (active.rules_power)
    data = report_data("青川县示范局", year, load_template(template_id), values, random.Random(year))
    path = tmp_path / f"report.{fmt}"
    path.write_bytes(render(data, fmt))
    report = parse_file(path)
    assert report.meta.template == template_id and report.meta.year == year
    assert {k: report.values.get(k) for k in values} == values
    assert [f for f in report.findings if f.severity != "info"] == []


def test_pdf_cells_name_their_page(tmp_path):
    data = ReportData.model_validate({"meta": {"year": 2023, "agency": "青川县示范局"}, "values": consistent_values()})
    path = tmp_path / "report.pdf"
    path.write_bytes(render(data, "pdf"))
    report = parse_file(path)
    assert report.source.extent and report.source.extent.endswith("页")
    cell = next(c for c in report.cells if c.key == "requests.new_received.total")
    assert cell.place is not None and cell.place.startswith("第") and "页" in cell.place


def test_pdf_numbers_split_into_pieces_come_back_whole(tmp_path):
    from nianbao.ingest.blocks import cell_text

    assert cell_text("1 077 980") == "1077980"
    assert cell_text("2\n4") == "24"
    assert cell_text("商业\n企业") == "商业企业"


def test_encrypted_pdf_is_refused_clearly(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, encrypt="secret")
    page.drawString(100, 700, "report")
    page.save()
    path = tmp_path / "locked.pdf"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnusableInput, match="加密"):
        parse_file(path)


def test_blank_scanned_page_is_named(tmp_path):
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("RGB", (400, 300), "white")
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawImage(ImageReader(image), 50, 400, 400, 300)
    page.save()
    path = tmp_path / "scan.pdf"
    path.write_bytes(buffer.getvalue())
    reason = "没有可读取的文字" if ocr_available() else "第1页是扫描图像"
    with pytest.raises(UnusableInput, match=reason):
        parse_file(path)


def test_unknown_zip_and_image_are_refused(tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("data.csv", "a,b")
    zipped = tmp_path / "report.docx"
    zipped.write_bytes(archive.getvalue())
    with pytest.raises(UnusableInput, match="压缩包"):
        parse_file(zipped)
    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(UnusableInput, match="图片无法打开"):
        parse_file(png)


@pytest.mark.skipif(shutil.which("soffice") is not None, reason="LibreOffice is installed here")
def test_doc_without_libreoffice_says_what_to_install(tmp_path):
    path = tmp_path / "report.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(UnusableInput, match="LibreOffice"):
        parse_file(path)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (make system-deps)")
@pytest.mark.parametrize(("target", "suffix"), [("doc", ".doc"), ("doc", ".wps"), ("odt", ".odt")])
def test_word_97_and_odt_files_are_read_through_libreoffice(tmp_path, target, suffix):
    import subprocess

    data = ReportData.model_validate({"meta": {"year": 2023, "agency": "青川县示范局"}, "values": consistent_values()})
    source = tmp_path / "report.docx"
    source.write_bytes(render(data, "docx"))
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", target,
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    legacy = tmp_path / f"legacy{suffix}"  # a Word 97 binary or an OpenDocument text, whatever its name says
    (tmp_path / f"report.{target}").rename(legacy)
    report = parse_file(legacy)
    assert report.source.format == "doc"
    assert {k: report.values.get(k) for k in consistent_values()} == consistent_values()


# These tests print reports to PDF and read them back by OCR: the PDF must embed a CJK font.
needs_ocr = pytest.mark.skipif(not ocr_available() or cjk_font_file() is None,
                               reason="needs the OCR extra and an embeddable CJK TrueType font (make system-deps)")


def _scan(tmp_path, values, year=2023):
    """A report rendered to PDF, rasterised at 150 dpi and saved as an image-only PDF (a scan)."""
    import pypdfium2

    data = ReportData.model_validate({"meta": {"year": year, "agency": "青川县示范局"}, "values": values})
    printed = tmp_path / "printed.pdf"
    printed.write_bytes(render(data, "pdf", allow_errors=True))
    document = pypdfium2.PdfDocument(str(printed))
    pages = [document[i].render(scale=150 / 72).to_pil().convert("RGB") for i in range(len(document))]
    document.close()
    scan = tmp_path / "scan.pdf"
    pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=150)
    return scan, pages


@needs_ocr
def test_scanned_pdf_reads_back_exactly(tmp_path):
    values = report_values(load_template("2021"), random.Random(4), size=80)
    scan, _ = _scan(tmp_path, values)
    report = parse_file(scan)
    assert report.source.format == "pdf"
    assert {k: report.values.get(k) for k in values} == values
    assert [f for f in report.findings if f.rule.startswith(("requests.", "appeals.", "input."))] == []
    cell = next(c for c in report.cells if c.key == "requests.total.total")
    assert cell.place is not None and "OCR" in cell.place


@needs_ocr
def test_photographed_page_is_read(tmp_path):
    values = consistent_values()
    _, pages = _scan(tmp_path, values)
    image = tmp_path / "page1.jpg"
    pages[0].save(image, quality=90)
    report = parse_file(image)
    assert report.source.format == "image" and report.meta.agency == "青川县示范局"
    assert report.values["active.licensing.decisions"] == values["active.licensing.decisions"]
    assert report.values["requests.new_received.total"] == values["requests.new_received.total"]


def test_low_confidence_number_is_left_blank_with_a_note():
    from nianbao.ingest.ocr import _Box, _row

    boxes = [_Box(10, 0, 200, 20, "一、本年新收政府信息公开申请数量", 0.99)]
    boxes += [_Box(300 + 80 * i, 0, 316 + 80 * i, 20, text, score)
              for i, (text, score) in enumerate([("5", 0.99), ("0", 0.41), ("0", 0.99), ("0", 0.99),
                                                 ("0", 0.99), ("0", 0.99), ("5", 0.99)])]
    del boxes[4]  # the engine missed the fourth number altogether
    row = _row(boxes)
    assert row.cells == ["一、本年新收政府信息公开申请数量", "5", "", "0", "", "0", "0", "5"]
    assert len(row.notes) == 1 and "0.41" in row.notes[0]


def test_reader_doubts_become_findings():
    from dataclasses import replace

    from nianbao.ingest import read_text
    from nianbao.pipeline import parse_document

    document = read_text("\n".join(_report_lines()), path="scan.pdf")
    line = next(i for i, text in enumerate(document.text.split("\n"), start=1) if text.startswith("规章"))
    report = parse_document(replace(document, notes=((line, "OCR 识别“0”的置信度低（0.41），该格按空白处理"),)))
    [finding] = [f for f in report.findings if f.rule == "input.low_confidence"]
    assert finding.line == line and "0.41" in finding.message


def _report_lines() -> list[str]:
    from builder import report_text

    return report_text(consistent_values()).split("\n")


def test_html_title_in_article_header_and_date_from_the_info_box(tmp_path):
    page = T3_HTML.replace('<h1>青川县示范局2023年政府信息公开工作年度报告</h1>',
                           '<header class="article-header"><h1>青川县示范局2023年政府信息公开工作年度报告</h1>'
                           '</header>')
    page = page.replace("发文日期：2024-01-20", "发文日期：2024年1月20日")
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("gb18030"))
    report = parse_file(path)
    assert report.meta.agency == "青川县示范局"
    assert report.meta.published == "2024-01-20"


@needs_ocr
def test_gold_files_round_trip_as_scans(shared, tmp_path):
    """Every gold report rendered to PDF, printed to 150-dpi page images and read back by OCR."""
    import json

    golds = sorted((shared / "gold").glob("*.json")) + sorted((shared / "corpus" / "gold").glob("*.json"))
    for gold_path in golds:
        gold = json.loads(gold_path.read_text())
        scan, _ = _scan(tmp_path, gold["values"], year=gold["meta"]["year"])
        report = parse_file(scan)
        assert {k: report.values.get(k) for k in gold["values"]} == gold["values"], gold_path.name
