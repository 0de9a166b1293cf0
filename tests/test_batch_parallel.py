"""A large batch is parsed by worker processes: the same reports, findings and failures, in order."""

from __future__ import annotations

from pathlib import Path

from nianbao.batch import parse_batch
from nianbao.sample.corpus import make_corpus


def test_workers_give_the_sequential_result(tmp_path: Path) -> None:
    make_corpus(tmp_path, 20, seed=13, defect_share=0.5, formats=("txt", "html"))
    (tmp_path / "cases" / "0005.txt").write_bytes(b"\x00\x01 not a report" * 20)  # one unusable file
    files = [tmp_path / "cases"]
    one, two = parse_batch(files, jobs=1), parse_batch(files, jobs=2)
    assert [r.source.path for r in two.reports] == [r.source.path for r in one.reports]
    assert [(f.path, f.reason) for f in two.failures] == [(f.path, f.reason) for f in one.failures]
    assert len(one.failures) == 1
    for a, b in zip(one.reports, two.reports, strict=True):
        assert a.values == b.values and a.meta == b.meta
        assert a.findings == b.findings  # the rules across the batch included


def test_json_lines_made_by_the_workers_are_the_librarys(tmp_path: Path) -> None:
    """`parse --format json` over a batch large enough for workers prints, byte for byte, each
    report's contract with the batch rules' findings merged in (as parse_batch gives them)."""
    import json
    import subprocess
    import sys

    from nianbao.batch import PARALLEL_FROM

    make_corpus(tmp_path, PARALLEL_FROM + 8, seed=17, defect_share=0.5, formats=("txt", "md"))
    folder = tmp_path / "cases"
    expected = [json.dumps(r.contract(), ensure_ascii=False) for r in parse_batch([folder], jobs=1).reports]
    done = subprocess.run([sys.executable, "-m", "nianbao", "parse", "--format", "json", str(folder)],
                          capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.splitlines() == expected
    assert any('"continuity.' in line for line in expected)  # some lines did gain batch findings


def test_held_lines_spill_to_a_file_in_order() -> None:
    """Lines waiting for the batch rules stay in memory up to the limit, then go to a temporary file."""
    from nianbao.cli import _HeldLines

    lines = [f'{{"n": {i}, "text": "{"年报" * i}"}}\n'.encode() for i in range(50)]
    with _HeldLines(limit=300) as held:
        for line in lines:
            held.add(line)
        assert list(held) == lines
        assert list(held) == lines  # read again from the start


def _gc_settings(_: Path) -> tuple[tuple[int, int, int], int]:
    import gc

    return gc.get_threshold(), gc.get_freeze_count()


def test_worker_processes_collect_garbage_less_often_and_skip_what_they_inherited() -> None:
    """Batch workers raise the young-generation threshold and freeze the objects they inherited
    (batch.tune_worker_gc); the parent process keeps Python's defaults."""
    import gc

    from nianbao.batch import _in_order

    before = gc.get_threshold()
    settings = list(_in_order(_gc_settings, [Path("a"), Path("b"), Path("c")], jobs=2))
    assert all(threshold == (10_000, 10, 10) and frozen > 0 for threshold, frozen in settings)
    assert gc.get_threshold() == before
