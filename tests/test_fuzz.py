"""Fuzz suite: every class of broken or hostile input of issue #11 gets an answer.

The inputs come from ``bench/fuzz.py`` (which ``make fuzz`` runs at length). Here a bounded
share runs on every test run: each input must give a report or a one-line refusal naming the
problem, never an exception and never an internal error.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.guard import Failure, parse_guarded
from nianbao.models import Report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import fuzz


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "nianbao", *args], capture_output=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return fuzz.sample_files(tmp_path_factory.mktemp("samples"))


def answer(tmp_path: Path, name: str, data: bytes) -> Report | Failure:
    path = tmp_path / name
    path.write_bytes(data)
    result = parse_guarded(path)
    if isinstance(result, Failure):
        assert not result.internal, f"{name}: {result.reason}"
        assert result.reason and "\n" not in result.reason, name
    return result


def reason(result: Report | Failure) -> str:
    assert isinstance(result, Failure), "expected a refusal"
    return result.reason


def test_every_generated_input_gets_an_answer(tmp_path, samples, monkeypatch):
    monkeypatch.setenv("NIANBAO_MAX_UNPACKED_MB", "1")  # the zip bomb below unpacks to 2 MB
    cases = list(fuzz.all_cases(random.Random(11), samples, fuzz.bundled_text(), bomb_mb=2))
    assert len(cases) > 80
    for name, data in cases:
        answer(tmp_path, name, data)


@pytest.mark.parametrize("name", ["utf16-odd-length.txt", "utf16-lone-surrogate.txt"])
def test_damaged_utf16_is_read_with_a_note(tmp_path, name):
    data = dict(fuzz.utf16_cases(fuzz.bundled_text()))[name]
    report = answer(tmp_path, name, data)
    assert isinstance(report, Report) and report.meta.year is not None
    assert any("无法按 utf-16 解码" in f.message for f in report.findings)


def test_a_few_changed_bytes_do_not_lose_the_report(tmp_path):
    text = fuzz.bundled_text()
    data = bytearray(text.encode("utf-8"))
    middle = len(data) // 2
    while data[middle] < 0x80:  # inside a Chinese character: the byte that breaks UTF-8
        middle += 1
    data[middle] = 0xFF
    report = answer(tmp_path, "one-bad-byte.txt", bytes(data))
    assert isinstance(report, Report) and report.source.encoding == "utf-8"
    line = text.encode("utf-8")[:middle].count(b"\n") + 1
    assert [f.line for f in report.findings if "无法按 utf-8 解码" in f.message] == [line]


def test_truncated_samples_in_every_format_give_what_they_hold(tmp_path, samples):
    """A text report cut after its first two thirds is read, not refused."""
    for path in samples:
        if path.suffix in (".txt", ".md", ".html"):
            data = path.read_bytes()
            cut = answer(tmp_path, "cut-" + path.name, data[: len(data) * 2 // 3])
            assert isinstance(cut, Report), path.name
            full = parse_guarded(path)
            assert isinstance(full, Report) and cut.meta.agency == full.meta.agency


def test_a_truncated_pdf_gives_the_pages_it_still_holds(tmp_path, samples):
    pdf = next(p for p in samples if p.suffix == ".pdf")
    full = parse_guarded(pdf)
    data = pdf.read_bytes()
    cut = answer(tmp_path, "cut.pdf", data[: data.rindex(b"\nxref")])  # the end lost: table and trailer
    assert isinstance(full, Report) and isinstance(cut, Report)
    assert cut.meta.agency == full.meta.agency and cut.meta.year == full.meta.year
    assert any("PDF 文件不完整" in f.message for f in cut.findings)
    read = {k: v for k, v in cut.values.items() if v is not None}
    assert read and all(full.values[k] == v for k, v in read.items())  # what is read is right


def test_a_truncated_docx_gives_what_its_document_still_holds(tmp_path, samples):
    docx = next(p for p in samples if p.suffix == ".docx")
    full = parse_guarded(docx)
    data = docx.read_bytes()
    cut = answer(tmp_path, "cut.docx", data[: len(data) * 2 // 3])  # the zip directory (at the end) is lost
    assert isinstance(full, Report) and isinstance(cut, Report)
    assert cut.meta.agency == full.meta.agency and cut.meta.year == full.meta.year
    assert any("Word 文件不完整" in f.message for f in cut.findings)
    read = {k: v for k, v in cut.values.items() if v is not None}
    assert read and all(full.values[k] == v for k, v in read.items())


def test_images_with_huge_or_corrupt_headers(tmp_path):
    cases = dict(fuzz.image_cases(random.Random(1)))
    assert "像素" in reason(answer(tmp_path, "huge.png", cases["huge-header.png"]))
    assert "--max-image-mpx" in reason(answer(tmp_path, "bomb.png", cases["bomb-20000.png"]))
    for name in ("truncated-idat.png", "corrupt-crc.png"):
        assert "图片无法打开" in reason(answer(tmp_path, name, cases[name]))
    for name in ("jpeg-junk.jpg", "jpeg-sof-huge.jpg", "gif-junk.gif"):  # random headers: corrupt or too big
        assert reason(answer(tmp_path, name, cases[name])).startswith(("图片无法打开", "图片为", "图片像素"))


def test_hostile_docx_packages(tmp_path, samples, monkeypatch):
    monkeypatch.setenv("NIANBAO_MAX_UNPACKED_MB", "1")
    good = next(p for p in samples if p.suffix == ".docx").read_bytes()
    cases = dict(fuzz.docx_cases(good, random.Random(2), bomb_mb=2))
    assert "实体" in reason(answer(tmp_path, "laughs.docx", cases["billion-laughs.docx"]))
    assert "实体" in reason(answer(tmp_path, "xxe.docx", cases["external-entity.docx"]))
    assert "嵌套过深" in reason(answer(tmp_path, "nested.docx", cases["nested-tables.docx"]))
    assert "解压后为 2 MB" in reason(answer(tmp_path, "bomb.docx", cases["zip-bomb.docx"]))
    assert "XML 格式错误" in reason(answer(tmp_path, "bad.docx", cases["malformed.docx"]))
    start = good.index(b"word/document.xml")  # the document's local header, and no data after it
    assert "可能被截断" in reason(answer(tmp_path, "cut.docx", good[: start + 20]))
    for index in range(3):
        assert "损坏" in reason(answer(tmp_path, "flip.docx", cases[f"deflate-flipped-{index}.docx"]))


def test_zip_bomb_is_refused_before_unpacking(tmp_path, monkeypatch):
    """The directory's sizes decide: nothing is inflated once they exceed the limit."""
    import zipfile

    data = dict(fuzz.docx_cases(None, random.Random(3), bomb_mb=2))["zip-bomb.docx"]
    monkeypatch.setenv("NIANBAO_MAX_UNPACKED_MB", "1")
    inflated: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        inflated.append(str(name))
        return original(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    assert "超过上限 1 MB" in reason(answer(tmp_path, "bomb.docx", data))
    assert not [name for name in inflated if "zeros" in name]


def test_deep_html_is_read_or_refused_never_silently_empty(tmp_path):
    text = fuzz.bundled_text()
    body = "".join(f"<p>{line}</p>" for line in text.splitlines())
    deep = ("<html><body>" + "<div>" * 200 + body + "</div>" * 200 + "</body></html>").encode()
    report = answer(tmp_path, "deep-200.html", deep)
    assert isinstance(report, Report) and report.meta.year is not None
    cases = dict(fuzz.html_cases(text))
    assert "--max-depth" in reason(answer(tmp_path, "deep-300.html", cases["deep-300.html"]))
    assert "嵌套过深" in reason(answer(tmp_path, "deep-3000.html", cases["deep-3000.html"]))


def test_raising_the_depth_limit_reads_deeper_pages(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_MAX_DEPTH", "400")
    data = dict(fuzz.html_cases(fuzz.bundled_text()))["deep-300.html"]
    assert isinstance(answer(tmp_path, "deep-300.html", data), Report)


def test_control_characters_never_reach_the_report(tmp_path):
    for name, data in fuzz.hostile_text_cases(fuzz.bundled_text()):
        report = answer(tmp_path, name, data)
        assert isinstance(report, Report), name
        dumped = json.dumps(report.contract(), ensure_ascii=False)
        assert not any(ch in dumped for ch in "\x1b\x07\x01\x08\x7f\x9b"), name


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(magic=st.sampled_from(fuzz.MAGICS), tail=st.binary(max_size=4000))
def test_random_bytes_behind_every_magic_number(tmp_path, magic, tail):
    answer(tmp_path, "random.bin", magic + tail)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0.01, 1.0), flips=st.lists(st.tuples(st.floats(0, 0.999), st.integers(0, 255)), max_size=6),
       index=st.integers(0, 4))
def test_truncations_and_byte_flips_of_every_format(tmp_path, samples, cut, flips, index):
    data = bytearray(samples[index].read_bytes())
    for where, value in flips:
        data[int(where * len(data))] = value
    answer(tmp_path, "damaged" + samples[index].suffix, bytes(data[: max(1, int(len(data) * cut))]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.text(alphabet=st.characters(max_codepoint=0x9FFF), max_size=40))
def test_any_text_in_the_agency_line_is_safe(tmp_path, junk):
    lines = fuzz.bundled_text().splitlines()
    lines[0] = junk + lines[0]
    result = answer(tmp_path, "agency.txt", "\n".join(lines).encode("utf-8", "surrogatepass"))
    if isinstance(result, Report):
        from rich.console import Console

        from nianbao.render_text import print_findings, print_report

        out = io.StringIO()
        console = Console(file=out, soft_wrap=True, emoji=False, color_system=None)
        print_report(result, console)
        print_findings(result, console)
        assert "\x1b" not in out.getvalue()


# --- through the command line ------------------------------------------------------------

def test_batch_with_junk_in_the_middle_keeps_every_good_report(tmp_path, samples, monkeypatch):
    junk = [tmp_path / name for name, _ in fuzz.magic_cases(random.Random(5))[:6]]
    for path, (_, data) in zip(junk, fuzz.magic_cases(random.Random(5))[:6], strict=True):
        path.write_bytes(data)
    order = [samples[0], *junk[:3], samples[1], *junk[3:], samples[2]]
    result = run("parse", "--format", "json", *map(str, order))
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr and "内部错误" not in stderr
    sources = [json.loads(line)["source"]["path"] for line in result.stdout.decode().splitlines()]
    assert sources == [str(samples[0]), str(samples[1]), str(samples[2])]
    assert all(stderr.count(str(path)) == 1 for path in junk)


def test_hostile_file_names_in_every_output(tmp_path):
    text = fuzz.bundled_text().encode("utf-8")
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    for raw in fuzz.HOSTILE_NAMES:
        with open(os.path.join(folder, raw), "wb") as handle:
            handle.write(text)
    names = [os.fsdecode(os.path.join(folder, raw)) for raw in fuzz.HOSTILE_NAMES]
    parsed = run("parse", "--format", "json", *names)
    assert parsed.returncode == 0, parsed.stderr.decode()
    records = [json.loads(line) for line in parsed.stdout.decode("utf-8").splitlines()]  # valid UTF-8 and JSON
    assert len(records) == len(names)
    assert any("\ufffd" in r["source"]["path"] for r in records)
    assert not any("\x1b" in r["source"]["path"] or "\n" in r["source"]["path"] for r in records)
    shown = run("parse", *names)
    assert shown.returncode == 0 and b"\x1b" not in shown.stdout and b"[bold]markup.txt" in shown.stdout
    page, book = tmp_path / "r.html", tmp_path / "r.xlsx"
    checked = run("check", "--html", str(page), "--xlsx", str(book), *names)
    assert checked.returncode in (0, 1), checked.stderr.decode()
    assert b"Traceback" not in checked.stderr and b"\x1b" not in checked.stdout
    assert "[bold]markup.txt" in page.read_text(encoding="utf-8")
    from openpyxl import load_workbook

    sheet = load_workbook(book).active
    assert sheet is not None
    paths = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert any(str(p).endswith("=cmd()|formula.txt") for p in paths)  # kept as text, not a live formula
