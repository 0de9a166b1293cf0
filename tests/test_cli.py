"""The command line: JSON contract, JSON Lines, readable text, the bundled samples."""

from __future__ import annotations

import json

from builder import consistent_values, report_text
from test_input_errors import run


def test_json_is_the_contract_object(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(report_text(consistent_values()), encoding="utf-8")
    result = run("parse", "--format", "json", str(path))
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["meta"]["template"] == "2021" and data["meta"]["year"] == 2023
    assert data["values"]["requests.total.total"] == 12
    assert {"key", "value", "raw", "line", "inferred"} <= set(data["cells"][0])
    assert data["sections"][0]["number"] == "一"
    assert data["source"]["format"] == "txt" and len(data["source"]["sha256"]) == 64


def test_several_files_give_json_lines_in_order(tmp_path):
    paths = []
    for year in (2022, 2023):
        path = tmp_path / f"{year}.txt"
        path.write_text(report_text(consistent_values(), year=year), encoding="utf-8")
        paths.append(str(path))
    result = run("parse", "--format", "json", *paths)
    years = [json.loads(line)["meta"]["year"] for line in result.stdout.splitlines()]
    assert years == [2022, 2023]


def test_text_summary_shows_tables_and_findings(tmp_path):
    values = consistent_values()
    values["requests.total.total"] = 13
    path = tmp_path / "r.txt"
    path.write_text(report_text(values), encoding="utf-8")
    result = run("parse", str(path))
    assert result.returncode == 0
    assert "收到和处理政府信息公开申请情况" in result.stdout
    assert "requests.results_total" in result.stdout


def test_no_files_parses_the_bundled_samples():
    result = run("parse", "--format", "json")
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) >= 3
    assert {r["meta"]["template"] for r in reports} == {"2021", "2019", "legacy"}
    assert "内置示例报告" in result.stderr
