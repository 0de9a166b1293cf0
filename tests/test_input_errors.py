"""Bad input gets one clear line naming the file and the problem, never a traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from builder import consistent_values, report_text
from nianbao.errors import UnusableInput
from nianbao.pipeline import parse_file


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nianbao", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "文件为空"),
    (b"\x00\x01\x02binary\x00junk" * 50, "不是文本文件"),
    ("今天天气很好，我们去公园散步。".encode(), "不是政府信息公开工作年度报告"),
    (b"%PDF-1.7 fake", "PDF 文件已损坏"),
])
def test_unusable_files_raise_a_reason(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(UnusableInput) as caught:
        parse_file(path)
    assert reason in caught.value.reason


def test_missing_file(tmp_path):
    with pytest.raises(UnusableInput, match="文件不存在"):
        parse_file(tmp_path / "nope.txt")


def test_gbk_file_is_decoded(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(report_text(consistent_values()).encode("gb18030"))
    report = parse_file(path)
    assert report.source.encoding in {"gb18030", "gbk", "gb2312"}
    assert report.values["requests.new_received.total"] == 12


def test_truncated_report_gives_partial_result(tmp_path):
    text = report_text(consistent_values())
    path = tmp_path / "cut.txt"
    path.write_text(text[: text.index("三、收到和处理")], encoding="utf-8")
    report = parse_file(path)
    assert report.meta.template == "2021"
    assert report.values["active.licensing.decisions"] == 2
    assert report.values["requests.total.total"] is None
    assert {"structure.missing_section", "structure.missing_row"} <= {f.rule for f in report.findings}


def test_cli_batch_goes_past_a_bad_file(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(report_text(consistent_values()), encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    result = run("parse", "--format", "json", str(bad), str(good))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}: 文件为空" in result.stderr
    assert len(result.stdout.strip().splitlines()) == 1


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("nianbao ")


def test_an_internal_error_is_one_line_for_its_file_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    import nianbao.guard
    from nianbao.cli import app

    good = tmp_path / "good.txt"
    good.write_text(report_text(consistent_values()), encoding="utf-8")
    bug = tmp_path / "bug.txt"
    bug.write_text("x", encoding="utf-8")
    real = nianbao.guard.parse_file

    def parse_file(path):
        if path.name == "bug.txt":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path)

    monkeypatch.setattr(nianbao.guard, "parse_file", parse_file)
    monkeypatch.setenv("NIANBAO_DEBUG", "0")  # --debug sets it to 1: restored after the test
    for debug in ([], ["--debug"]):
        with pytest.raises(SystemExit) as exited:
            app([*debug, "parse", "--format", "json", str(bug), str(good)])
        assert exited.value.code == 2
        out, err = capsys.readouterr()
        assert len(out.splitlines()) == 1 and '"good.txt"' not in out and str(good) in out
        assert f"{bug}: 内部错误：RecursionError: maximum recursion depth exceeded" in err
        assert ("Traceback" in err) == bool(debug)


def test_memory_error_is_an_internal_failure(tmp_path, monkeypatch):
    import nianbao.guard

    def parse_file(path):
        raise MemoryError

    monkeypatch.setattr(nianbao.guard, "parse_file", parse_file)
    failure = nianbao.guard.parse_guarded(tmp_path / "x.txt")
    assert isinstance(failure, nianbao.guard.Failure) and failure.internal and failure.reason == "内部错误：MemoryError"


def test_a_crash_outside_the_per_file_work_exits_2_not_1(tmp_path, monkeypatch, capsys):
    import nianbao.cli
    import nianbao.review.html

    def broken(batch):
        raise ValueError("boom")

    monkeypatch.setattr(nianbao.review.html, "review_page", broken)  # cli imports it on use
    monkeypatch.delenv("NIANBAO_DEBUG", raising=False)
    good = tmp_path / "good.txt"
    good.write_text(report_text(consistent_values()), encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        nianbao.cli.app(["check", str(good), "--html", str(tmp_path / "r.html")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "nianbao: 内部错误：ValueError: boom" in err and "Traceback" not in err


def test_limits_are_settable_by_option_and_environment(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text(report_text(consistent_values()) + "\n" + "。" * (1 << 20), encoding="utf-8")
    result = run("--max-file-mb", "1", "parse", str(big))
    assert result.returncode == 2 and "超过上限 1 MB" in result.stderr and "--max-file-mb" in result.stderr
    result = subprocess.run([sys.executable, "-m", "nianbao", "parse", str(big)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "NIANBAO_MAX_FILE_MB": "1"})
    assert result.returncode == 2 and "NIANBAO_MAX_FILE_MB" in result.stderr
    result = subprocess.run([sys.executable, "-m", "nianbao", "parse", str(big)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "NIANBAO_MAX_PDF_PAGES": "many"})
    assert result.returncode == 2 and "NIANBAO_MAX_PDF_PAGES" in result.stderr and "Traceback" not in result.stderr


def test_pdf_page_limit(tmp_path, monkeypatch):
    from nianbao.render import ReportData, render

    data = ReportData.model_validate({"meta": {"year": 2023, "agency": "青川县示范局"}, "values": consistent_values()})
    path = tmp_path / "r.pdf"
    path.write_bytes(render(data, "pdf", allow_errors=True))
    monkeypatch.setenv("NIANBAO_MAX_PDF_PAGES", "1")
    with pytest.raises(UnusableInput, match="超过上限 1 页"):
        parse_file(path)


def test_findings_workbook_keeps_text_as_text(tmp_path):
    from openpyxl import load_workbook

    from nianbao.batch import BatchResult, Failure
    from nianbao.models import Finding
    from nianbao.review.xlsx import findings_workbook

    report = parse_file(_write(tmp_path, report_text(consistent_values())))
    report.findings = [Finding(rule="x.y", severity="error", message="=1+1\x01\x1b[2J 坏")]
    report.meta.agency = "=HYPERLINK(\"http://e\",\"点\")"
    blob = findings_workbook(BatchResult([report], [Failure("bad\x07.txt", "文件为空")]))
    sheet = load_workbook(io.BytesIO(blob)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert rows[0][0].data_type == "s" and rows[0][0].value.startswith("=HYPERLINK")
    assert rows[0][9].data_type == "s" and rows[0][9].value == "=1+1\\x01\\x1b[2J 坏"
    assert rows[1][3].value == "bad\\x07.txt"


def test_markdown_and_html_writers_escape_report_text():
    from nianbao.render import ReportData, render

    data = ReportData.model_validate({"meta": {"year": 2023, "agency": "<b>局</b>"}, "values": consistent_values(),
                                      "prose": {"一": "概况<script>alert(1)</script>"}})
    for fmt in ("md", "html"):
        out = render(data, fmt, allow_errors=True).decode("utf-8")
        assert "<script>" not in out and "&lt;script&gt;" in out and "<b>" not in out


def _cff_font(path):
    """A real OpenType font with CFF (PostScript) outlines, as Noto CJK ships them."""
    font_builder = pytest.importorskip("fontTools.fontBuilder")
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    def square():
        pen = T2CharStringPen(500, None)
        pen.moveTo((0, 0))
        pen.lineTo((500, 0))
        pen.lineTo((500, 500))
        pen.closePath()
        return pen.getCharString()

    builder = font_builder.FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder([".notdef", "uni4E00"])
    builder.setupCharacterMap({0x4E00: "uni4E00"})
    builder.setupCFF("TestCFF", {"FullName": "TestCFF"}, {".notdef": square(), "uni4E00": square()}, {})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "uni4E00": (500, 0)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "TestCFF", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    return path


def test_a_font_reportlab_cannot_embed_falls_back(tmp_path, monkeypatch):
    from nianbao.render import ReportData, writers

    cff = _cff_font(tmp_path / "NotoSansCJK-Regular.otf")
    junk = tmp_path / "junk.ttc"
    junk.write_bytes(b"ttcf" + b"\x00" * 200)
    monkeypatch.setattr(writers, "CJK_FONT_PATHS", (str(junk), str(cff)))
    monkeypatch.setenv("NIANBAO_CJK_FONT", str(cff))
    assert writers.cjk_font_file() is None
    data = ReportData.model_validate({"meta": {"year": 2023, "agency": "青川县示范局"}, "values": consistent_values()})
    source = tmp_path / "data.json"
    source.write_text(data.model_dump_json(), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "nianbao", "render", str(source), "--format", "pdf", "-o",
                             str(tmp_path / "r.pdf"), "--allow-errors"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "NIANBAO_CJK_FONT": str(cff)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")


def test_half_filled_workbook_is_not_rendered_silently(tmp_path):
    blank = tmp_path / "blank.xlsx"
    assert run("template", "--xlsx", str(blank), "--year", "2023", "--agency", "青川县示范局").returncode == 0
    result = run("render", "--from-excel", str(blank), "--format", "md", "-o", str(tmp_path / "r.md"))
    assert result.returncode == 1 and "未填写" in result.stderr and not (tmp_path / "r.md").exists()
    result = run("render", "--from-excel", str(blank), "--format", "md", "-o", str(tmp_path / "r.md"),
                 "--allow-errors")
    assert result.returncode == 0 and "未填写" in result.stderr and (tmp_path / "r.md").exists()


def _write(tmp_path, text):
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_ocr_engine_adds_no_lines_of_its_own_to_stderr(tmp_path):
    from PIL import Image

    from nianbao.ingest.ocr import ocr_available

    if not ocr_available():
        pytest.skip("the OCR extra is not installed")
    blank, tiny = tmp_path / "blank.png", tmp_path / "tiny.png"
    Image.new("RGB", (600, 800), "white").save(blank)
    Image.new("RGB", (3, 3), "white").save(tiny)
    result = run("parse", str(blank), str(tiny))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"nianbao: {blank}: 图片中没有可读取的文字",
                                          f"nianbao: {tiny}: 图片中没有可读取的文字", "nianbao: 2/2 个文件无法读取"]
