"""`nianbao ingest` killed with SIGKILL mid-run, then run again: nothing lost, nothing twice.

The content after the interrupted and resumed run must equal an uninterrupted run's.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from nianbao.sample.corpus import make_corpus


def _ingest(cases: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "nianbao", "ingest", str(cases), "--db", str(db), "-q", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("select count(*) from reports").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def _content(db: Path) -> tuple[list[tuple[object, ...]], ...]:
    with sqlite3.connect(db) as conn:
        reports = conn.execute("select sha256, version, current, errors, warnings from reports order by 1").fetchall()
        values = conn.execute("select r.sha256, v.key, v.value, v.is_null, v.raw, v.line from report_values v "
                              "join reports r on r.id = v.report_id order by 1, 2").fetchall()
        findings = conn.execute("select r.sha256, f.rule, f.message, f.line from findings f "
                                "join reports r on r.id = f.report_id order by 1, 2, 3, 4").fetchall()
        agencies = conn.execute("select key, name, province, city, county, level from agencies order by 1").fetchall()
    return reports, values, findings, agencies


def test_kill_9_then_resume_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    make_corpus(tmp_path / "c", 90, seed=5, defect_share=0.3, formats=("txt",))
    cases = tmp_path / "c" / "cases"
    killed = tmp_path / "killed.db"
    process = _ingest(cases, killed, "--jobs", "2")
    deadline = time.monotonic() + 120
    while _stored(killed) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the ingest ended before it could be killed: give it more files"
    os.killpg(process.pid, signal.SIGKILL)  # the writer and its workers, at once
    process.wait()
    partial = _stored(killed)
    assert 0 < partial < 90
    resumed = _ingest(cases, killed, "--jobs", "2")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"跳过 {partial} 份" in err
    clean = tmp_path / "clean.db"
    once = _ingest(cases, clean, "--jobs", "1")
    once.communicate(timeout=300)
    after, expected = _content(killed), _content(clean)
    assert len(after[0]) == 90 and len({r[0] for r in after[0]}) == 90
    for got, want in zip(after, expected, strict=True):
        assert got == want
