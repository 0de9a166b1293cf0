"""parse/check --stream over many files print each file's JSON line as it finishes; batch rules
come after. Without --stream each file's one object holds every finding (the contract)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from builder import consistent_values, report_text
from test_input_errors import run


def _first_line_while_blocked(command: str, tmp_path: Path) -> tuple[dict[str, object], list[str]]:
    """Run `nianbao COMMAND --format json --stream ready.txt pending.txt` where pending.txt is a named pipe
    nobody writes to yet: the first line must arrive while the second file cannot be read."""
    ready = tmp_path / "ready.txt"
    ready.write_text(report_text(consistent_values(), year=2022), encoding="utf-8")
    pending = tmp_path / "pending.txt"
    os.mkfifo(pending)
    proc = subprocess.Popen([sys.executable, "-m", "nianbao", command, "--format", "json", "--stream", str(ready),
                             str(pending)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=60)
    streamed = not reader.is_alive()
    with pending.open("w", encoding="utf-8") as pipe:  # now let the second file through
        pipe.write(report_text(consistent_values(), year=2023))
    rest, _ = proc.communicate(timeout=120)
    reader.join()
    assert streamed, "nothing printed before the last file was readable"
    return json.loads(first[0]), rest.splitlines()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command", ["parse", "check"])
def test_first_report_printed_before_the_next_is_read(command, tmp_path):
    first, rest = _first_line_while_blocked(command, tmp_path)
    assert first["meta"]["year"] == 2022  # type: ignore[index]
    assert first["source"]["path"].endswith("ready.txt")  # type: ignore[index]
    years = [json.loads(line).get("meta", {}).get("year") for line in rest]
    assert years[0] == 2023


def _pair(tmp_path: Path) -> list[str]:
    """Two years of one agency whose carry-over disagrees (a batch rule's finding on 2023)."""
    before = consistent_values()
    now = consistent_values()
    now["requests.carried_over.natural_person"] = 5
    paths = []
    for year, values in ((2022, before), (2023, now)):
        path = tmp_path / f"{year}.txt"
        path.write_text(report_text(values, year=year), encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("command", ["parse", "check"])
def test_batch_findings_follow_the_files_lines(command, tmp_path):
    paths = _pair(tmp_path)
    result = run(command, "--format", "json", "--stream", *paths)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    per_file, extra = records[:2], records[2:]
    assert [r["meta"]["year"] for r in per_file] == [2022, 2023]
    assert all("continuity.carry_over" not in {f["rule"] for f in r["findings"]} for r in per_file)
    [added] = [r for r in extra if any(f["rule"] == "continuity.carry_over" for f in r["batch_findings"])]
    assert added["source"]["path"] == paths[1] and len(added["source"]["sha256"]) == 64
    assert set(added) == {"source", "batch_findings"}


@pytest.mark.parametrize("command", ["parse", "check"])
def test_without_stream_one_object_per_file_holds_the_batch_findings(command, tmp_path):
    paths = _pair(tmp_path)
    records = [json.loads(line) for line in run(command, "--format", "json", *paths).stdout.splitlines()]
    assert [r["source"]["path"] for r in records] == paths
    assert "continuity.carry_over" in {f["rule"] for f in records[1]["findings"]}


def test_batch_findings_are_in_the_text_output(tmp_path):
    result = run("check", *_pair(tmp_path))
    assert "continuity.carry_over" in result.stdout


def test_a_single_file_is_exactly_one_contract_object(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(report_text(consistent_values()), encoding="utf-8")
    lines = run("parse", "--format", "json", str(path)).stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["schema_version"] == 1


def test_unusable_file_in_the_middle_keeps_order(tmp_path):
    good = [tmp_path / f"{year}.txt" for year in (2021, 2022)]
    for year, path in zip((2021, 2022), good, strict=True):
        path.write_text(report_text(consistent_values(), year=year), encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("parse", "--format", "json", "--stream", str(good[0]), str(empty), str(good[1]))
    assert result.returncode == 2
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["meta"]["year"] for r in records if "meta" in r] == [2021, 2022]
    assert all("batch_findings" in r for r in records[2:])
    assert f"nianbao: {empty}: 文件为空" in result.stderr
