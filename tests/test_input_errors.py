"""Bad input gets one clear line naming the file and the problem, never a traceback."""

from __future__ import annotations

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
