"""The store: ingest, versions, agencies, cross-report rules, list/show/compare/summary/export.

Reports are built with known numbers (builder.py), so every expected number below is worked
out by hand from those inputs, not read back from the store's own code.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from builder import consistent_values, report_text
from nianbao.store import schema
from nianbao.store.agencies import resolve
from nianbao.store.db import Store, open_store
from nianbao.store.ingest import ingest
from test_input_errors import run

# new applications per column: natural, commercial, research, social, legal, other, total
NEW_2022 = [9, 2, 0, 0, 1, 0, 12]
NEW_2023_FIRST = [19, 2, 0, 0, 2, 0, 23]
NEW_2023 = [29, 2, 0, 0, 1, 0, 32]


def _write(folder: Path, name: str, agency: str, year: int, new: list[int], **changes: object) -> Path:
    values: dict[str, int | float | str] = dict(consistent_values(new))
    values.update(changes)  # type: ignore[arg-type]
    path = folder / name
    path.write_text(report_text(values, agency=agency, year=year), encoding="utf-8")
    return path


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    _write(folder, "a-2022.txt", "岭东区人民政府", 2022, NEW_2022, **{"active.licensing.decisions": "—"})
    _write(folder, "b-2023.txt", "双鸭山市岭东区人民政府", 2023, NEW_2023_FIRST)
    _write(folder, "d-2023.txt", "宝清县人民政府", 2023, NEW_2022)
    return folder


def _store(tmp_path: Path) -> Store:
    return open_store(str(tmp_path / "t.db"))


def _count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_agency_names_resolve_to_one_agency() -> None:
    keys = {resolve(n).key for n in ("岭东区人民政府", "双鸭山市岭东区人民政府", "岭东区政府")}
    assert keys == {"230503|人民政府"}
    found = resolve("岭东区政府")
    assert (found.province, found.city, found.county, found.level) == ("黑龙江省", "双鸭山市", "岭东区", "县级")
    assert resolve("某某县示范乡").province is None  # cpca's guess from a bare 县 is not taken


def test_ingest_is_idempotent_and_versions_the_same_agency_year(tmp_path: Path, reports: Path) -> None:
    store = _store(tmp_path)
    first = ingest(store, sorted(reports.iterdir()), jobs=1)
    assert (first.stored, first.skipped, first.failed) == (3, 0, [])
    again = ingest(store, sorted(reports.iterdir()), jobs=1)
    assert (again.stored, again.skipped) == (0, 3)
    assert _count(store, schema.reports) == 3
    # a corrected report of the same agency and year, printed with a third form of its name
    newer = _write(reports, "c-2023.txt", "岭东区政府", 2023, NEW_2023)
    assert ingest(store, [newer], jobs=1).stored == 1
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.path, schema.reports.c.version, schema.reports.c.current,
                                      schema.reports.c.agency_id).where(schema.reports.c.year == 2023)
                            .order_by(schema.reports.c.id)).all()
        agencies = conn.execute(sa.select(schema.agencies.c.name)).scalars().all()
        two = conn.execute(sa.select(schema.findings.c.message).where(
            schema.findings.c.rule == "corpus.two_reports")).scalars().all()
    lingdong = [r for r in rows if "d-2023" not in r.path]
    assert [(Path(r.path).name, r.version, r.current) for r in lingdong] == [
        ("b-2023.txt", 1, False), ("c-2023.txt", 2, True)]
    assert len({r.agency_id for r in lingdong}) == 1
    assert sorted(agencies) == ["双鸭山市岭东区人民政府", "宝清县人民政府"]  # the fullest name is kept
    assert len(two) == 2 and any("b-2023.txt" in m for m in two) and any("c-2023.txt" in m for m in two)


def test_ingest_collects_garbage_less_often_while_writing_and_restores_the_thresholds(
        tmp_path: Path, reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from nianbao.store import ingest as ingest_module

    seen = []
    write = ingest_module._Writer.flush
    monkeypatch.setattr(ingest_module._Writer, "flush", lambda self: (seen.append(gc.get_threshold()), write(self)))
    before = gc.get_threshold()
    assert ingest(_store(tmp_path), sorted(reports.iterdir()), jobs=1).stored == 3
    assert seen and all(threshold[0] == 10_000 for threshold in seen)
    assert gc.get_threshold() == before


def test_values_keep_null_apart_from_zero(tmp_path: Path, reports: Path) -> None:
    store = _store(tmp_path)
    ingest(store, sorted(reports.iterdir()), jobs=1)
    v = schema.values
    with store.engine.connect() as conn:
        rows = {(Path(r.path).name, r.key): (r.value, r.is_null) for r in conn.execute(
            sa.select(schema.reports.c.path, v.c.key, v.c.value, v.c.is_null).join(schema.reports))}
    assert rows[("a-2022.txt", "active.licensing.decisions")] == (None, True)
    assert rows[("a-2022.txt", "active.rules.issued")] == (0, False)
    assert rows[("a-2022.txt", "requests.new_received.total")] == (12, False)


def test_store_pair_rules_compare_with_last_years_stored_report(tmp_path: Path, reports: Path) -> None:
    store = _store(tmp_path)
    # 2023 first, then 2022: the rule must run whichever arrives first, and only once
    ingest(store, [reports / "b-2023.txt"], jobs=1)
    ingest(store, [reports / "a-2022.txt"], jobs=1)
    f = schema.findings
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(f.c.message, schema.reports.c.year).join(
            schema.reports, schema.reports.c.id == f.c.report_id).where(f.c.rule == "continuity.in_force")
        ).all()
    # consistent_values: 行政规范性文件 issued 2, repealed 3, in force 4 in both years → 4 + 2 − 3 = 3 ≠ 4
    assert {m for m, _ in found} == {"规章现行有效件数 4 ≠ 上年 4 ＋ 本年制发 0 − 本年废止 3 = 1",
                                     "行政规范性文件现行有效件数 4 ≠ 上年 4 ＋ 本年制发 2 − 本年废止 3 = 3"}
    assert len(found) == 2
    assert {y for _, y in found} == {2023}


def test_failures_are_recorded_and_the_batch_goes_on(tmp_path: Path, reports: Path) -> None:
    bad = reports / "bad.txt"
    bad.write_text("今天天气很好，我们去公园散步。", encoding="utf-8")
    store = _store(tmp_path)
    summary = ingest(store, sorted(reports.iterdir()), jobs=1)
    assert summary.stored == 3 and [Path(f.path).name for f in summary.failed] == ["bad.txt"]
    with store.engine.connect() as conn:
        reason = conn.execute(sa.select(schema.failures.c.reason)).scalar_one()
    assert "不是政府信息公开工作年度报告" in reason
    assert ingest(store, [bad], jobs=1).skipped == 1  # not retried by the same parser


def test_reparse_reads_again_what_another_parser_version_stored(tmp_path: Path, reports: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.store import record

    store = _store(tmp_path)
    monkeypatch.setattr(record, "PARSER_VERSION", "0.0.old")
    ingest(store, sorted(reports.iterdir()), jobs=1)
    monkeypatch.setattr(record, "PARSER_VERSION", "9.9.new")
    assert ingest(store, sorted(reports.iterdir()), jobs=1).stored == 0  # without --reparse: kept
    assert ingest(store, sorted(reports.iterdir()), jobs=1, reparse=True).stored == 3
    with store.engine.connect() as conn:
        versions = set(conn.execute(sa.select(schema.reports.c.parser_version)).scalars())
    assert versions == {"9.9.new"} and _count(store, schema.reports) == 3
    assert _count(store, schema.values) == 3 * len(json.loads(run_parse_values(reports / "a-2022.txt")))


def run_parse_values(path: Path) -> str:
    result = run("parse", "--format", "json", str(path))
    return json.dumps(json.loads(result.stdout)["values"])


def test_parallel_ingest_matches_the_batch_check(tmp_path: Path) -> None:
    """Store findings (report rules and cross-report rules) equal `check` over the same files."""
    from nianbao.batch import parse_batch
    from nianbao.sample.corpus import make_corpus

    make_corpus(tmp_path / "c", 24, seed=11, defect_share=0.4, formats=("txt",))
    files = sorted((tmp_path / "c" / "cases").iterdir())
    store = _store(tmp_path)
    assert ingest(store, files, jobs=2).stored == 24
    batch = parse_batch(files)
    expected = {r.source.sha256: sorted(f.rule for f in r.findings) for r in batch.reports}
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.sha256, schema.findings.c.rule).join(
            schema.findings, schema.findings.c.report_id == schema.reports.c.id)).all()
    stored: dict[str, list[str]] = {sha: [] for sha in expected}
    for sha, rule in rows:
        stored[sha].append(rule)
    assert {k: sorted(v) for k, v in stored.items()} == expected


@pytest.fixture
def cli_store(tmp_path: Path, reports: Path) -> str:
    _write(reports, "c-2023.txt", "岭东区政府", 2023, NEW_2023)
    db = str(tmp_path / "cli.db")
    result = run("ingest", str(reports), "--db", db, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "已入库 4 份" in result.stderr
    return db


def test_list_filters(cli_store: str) -> None:
    def listed(*args: str) -> list[str]:
        result = run("list", "--db", cli_store, "--format", "json", *args)
        assert result.returncode == 0, result.stderr
        return sorted(Path(json.loads(line)["path"]).name for line in result.stdout.splitlines())

    assert listed() == ["a-2022.txt", "c-2023.txt", "d-2023.txt"]  # current versions only
    assert listed("--year", "2023", "--region", "双鸭山市") == ["c-2023.txt", "d-2023.txt"]
    assert listed("--agency", "岭东区人民政府") == ["a-2022.txt", "c-2023.txt"]
    assert listed("--rule", "continuity.in_force") == ["c-2023.txt"]
    assert listed("--has-errors") == []


def test_show_compare_summary(cli_store: str, tmp_path: Path) -> None:
    shown = run("show", "岭东区人民政府", "--year", "2023", "--db", cli_store, "--format", "json")
    data = json.loads(shown.stdout)
    assert data["values"]["requests.new_received.total"] == 32
    assert "continuity.in_force" in {f["rule"] for f in data["findings"]}
    compared = run("compare", "岭东区政府", "--years", "2022", "2023", "--db", cli_store, "--format", "json")
    changes = {c["key"]: c for c in map(json.loads, compared.stdout.splitlines())}
    assert changes["requests.new_received.total"] == {"key": "requests.new_received.total", "2022": 12,
                                                      "2023": 32, "change": 20, "percent": 166.7}
    assert changes["active.licensing.decisions"]["2022"] is None  # unknown, not 0
    assert changes["active.licensing.decisions"]["percent"] is None
    summed = run("summary", "--year", "2023", "--by", "level", "--db", cli_store, "--format", "json",
                 "--plot", str(tmp_path / "p.png"))
    assert summed.returncode == 0, summed.stderr
    groups = [json.loads(line) for line in summed.stdout.splitlines()]
    assert [(g["group"], g["reports"]) for g in groups] == [("县级", 2)]
    assert groups[0]["sums"]["requests.new_received.total"] == 32 + 12
    assert groups[0]["sums"]["requests.granted.natural_person"] == 7 + 7
    assert groups[0]["identity_problems"] == []
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_summary_names_the_identities_a_sum_breaks(tmp_path: Path, reports: Path) -> None:
    _write(reports, "e-2023.txt", "饶河县人民政府", 2023, NEW_2022, **{"requests.total.natural_person": 10})
    db = str(tmp_path / "s.db")
    run("ingest", str(reports), "--db", db, "-q")
    result = run("summary", "--year", "2023", "--by", "region", "--db", db, "--format", "json")
    group = json.loads(result.stdout.splitlines()[0])
    assert group["group"] == "黑龙江省/双鸭山市" and group["reports"] == 3
    # （七）总计 natural: 19 + 9 + 10 = 38, while its results sum to (17 + 2) + (7 + 2) + (7 + 2) = 37
    assert any("“（七）总计”自然人 = 38，" in p and p.endswith("= 37") for p in group["identity_problems"])


def test_exports_keep_numbers_and_blanks(cli_store: str, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    assert run("export", "--db", cli_store, "--format", "csv", "-o", str(out)).returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    a = next(r for r in rows if r["文件"].endswith("a-2022.txt"))
    assert a["机关"] == "双鸭山市岭东区人民政府" and a["县（区）"] == "岭东区"
    assert a["一、本年新收政府信息公开申请数量 总计"] == "12"
    assert a["行政许可 本年处理决定数量"] == ""  # unknown: empty, never 0
    assert a["规章 本年制发件数"] == "0"
    for fmt in ("xlsx", "parquet", "jsonl"):
        target = tmp_path / f"all.{fmt}"
        assert run("export", "--db", cli_store, "--format", fmt, "-o", str(target)).returncode == 0
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    table = pq.read_table(tmp_path / "all.parquet").to_pylist()
    row = next(r for r in table if r["path"].endswith("a-2022.txt"))
    assert row["requests.new_received.total"] == 12 and row["active.licensing.decisions"] is None
    sheet = load_workbook(tmp_path / "all.xlsx").active
    header = [c.value for c in sheet[1]]
    column = header.index("一、本年新收政府信息公开申请数量 总计")
    assert sorted(r[column].value for r in sheet.iter_rows(min_row=2)) == [12, 12, 32]
    lines = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()]
    assert sorted(x["requests.new_received.total"] for x in lines) == [12, 12, 32]


def test_official_export_draws_the_template_tables(cli_store: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "official.xlsx"
    result = run("export", "--official", "--agency", "岭东区人民政府", "--year", "2023", "--db", cli_store,
                 "-o", str(out))
    assert result.returncode == 0, result.stderr
    book = load_workbook(out)
    assert len(book.sheetnames) == 3
    cells = {(c.row, c.column): c.value for row in book.worksheets[1].iter_rows() for c in row}
    label_row = next(r for (r, col), v in cells.items() if v == "一、本年新收政府信息公开申请数量")
    numbers = [v for (r, col), v in sorted(cells.items()) if r == label_row and isinstance(v, int)]
    assert numbers == NEW_2023


def test_agency_corrections_survive_reingest(cli_store: str, tmp_path: Path, reports: Path) -> None:
    other = _write(reports, "f-2023.txt", "宝清县人民政府办", 2023, NEW_2022)
    run("ingest", str(other), "--db", cli_store)
    merged = run("agencies", "--db", cli_store, "--merge", "宝清县人民政府", "宝清县人民政府办")
    assert merged.returncode == 0, merged.stderr
    fixed = run("agencies", "--db", cli_store, "--set-region", "宝清县人民政府", "黑龙江省/双鸭山市/宝清县")
    assert fixed.returncode == 0, fixed.stderr
    later = _write(reports, "g-2022.txt", "宝清县人民政府办", 2022, NEW_2022)
    run("ingest", str(later), "--db", cli_store)
    listed = run("agencies", "--db", cli_store, "--format", "json")
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert "宝清县人民政府办" not in rows
    assert rows["宝清县人民政府"]["reports"] == 3 and rows["宝清县人民政府"]["manual"] is True
    assert set(rows["宝清县人民政府"]["names"]) == {"宝清县人民政府", "宝清县人民政府办"}


def test_bad_store_is_one_line(tmp_path: Path) -> None:
    result = run("list", "--db", str(tmp_path / "missing" / "x.db"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "不存在" in result.stderr
    result = run("list", "--db", str(tmp_path / "never.db"))
    assert result.returncode == 2 and "数据库不存在" in result.stderr and not (tmp_path / "never.db").exists()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    result = run("list", "--db", str(garbage))
    assert result.returncode == 2 and "无法打开数据库" in result.stderr and "Traceback" not in result.stderr


def test_views_open_in_sqlite(cli_store: str) -> None:
    import sqlite3

    conn = sqlite3.connect(cli_store)
    views = {r[0] for r in conn.execute("select name from sqlite_master where type = 'view'")}
    assert {"values_2021", "values_2019", "values_legacy", "current_reports"} <= views
    totals = sorted(r[0] for r in conn.execute('select "requests.new_received.total" from values_2021 where current'))
    assert totals == [12, 12, 32]
    assert os.path.getsize(cli_store) > 0


def _store_content(store: Store) -> list[list[tuple[object, ...]]]:
    """Everything the writer decides, with row ids replaced by the reports' content hashes."""
    with store.engine.connect() as conn:
        sha = dict(conn.execute(sa.select(schema.reports.c.id, schema.reports.c.sha256)).tuples().all())
        key = dict(conn.execute(sa.select(schema.agencies.c.id, schema.agencies.c.key)).tuples().all())
        r = schema.reports
        reports = [(row.sha256, key.get(row.agency_id), row.year, row.version, row.current, row.errors,
                    row.warnings, row.signature, row.document) for row in conn.execute(sa.select(r))]
        findings = [(sha[f.report_id], f.rule, f.message, f.keys, f.line, sha.get(f.other_report_id))
                    for f in conn.execute(sa.select(schema.findings))]
        values = [(sha[v.report_id], v.key, v.value, v.raw) for v in conn.execute(sa.select(schema.values))]
        bands = [(sha[b.report_id], b.band, b.hash) for b in conn.execute(sa.select(schema.prose_bands))]
        shingles = [(sha[s.report_id], s.hashes) for s in conn.execute(sa.select(schema.prose_shingles))]
        agencies = [tuple(a) for a in conn.execute(sa.select(schema.agencies.c.key, schema.agencies.c.name))]
    return [sorted(rows, key=repr) for rows in (reports, findings, values, bands, shingles, agencies)]


@pytest.fixture(scope="module")
def sample_records(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """A generated corpus with planted defects, and a second file of one agency's year."""
    from nianbao.sample.corpus import make_corpus
    from nianbao.store.record import file_hash, parse_to_record

    folder = tmp_path_factory.mktemp("sample")
    make_corpus(folder, 60, seed=11, defect_share=0.3, formats=("txt",))
    files = sorted((folder / "cases").iterdir())
    (folder / "cases" / "zz-second-version.txt").write_bytes(files[0].read_bytes() + b"\n\n")  # another file
    files.append(folder / "cases" / "zz-second-version.txt")
    return [parse_to_record(str(p), file_hash(p), i) for i, p in enumerate(files)]


def test_one_transaction_stores_what_one_report_at_a_time_stores(tmp_path: Path, sample_records: list[object]
                                                                  ) -> None:
    """The set-based writer (agencies, versions and the rules' look-ups per transaction) gives
    the store that writing each report in a transaction of its own gives, in any batching."""
    from nianbao.store.record import Parsed

    records = [r for r in sample_records if isinstance(r, Parsed)]
    assert len(records) == 61
    single, batched, halves = (open_store(str(tmp_path / f"{n}.db")) for n in ("single", "batched", "halves"))
    for record in records:
        single.write([record])
    batched.write(records)
    halves.write(records[:25])
    halves.write(records[25:])
    want = _store_content(single)
    assert _store_content(batched) == want
    assert _store_content(halves) == want
    rules = {row[1] for row in want[1]}
    assert {"corpus.two_reports", "continuity.carry_over"} <= rules  # the store rules did run
    first, second = (next(row for row in want[0] if row[0] == r.sha256) for r in (records[0], records[-1]))
    assert (first[3], first[4], second[3], second[4]) == (1, False, 2, True)  # two versions, the later current


def test_a_replaced_version_ends_with_the_same_findings_however_the_reports_are_grouped(
        tmp_path: Path, sample_records: list[object]) -> None:
    """Ingest workers finish in any order, so which reports share a transaction varies. A report
    replaced by a newer version keeps only corpus.two_reports of the findings from other reports,
    whether the newer one came in the same transaction or a later one."""
    from nianbao.store.record import Parsed, file_hash, parse_to_record

    records = [r for r in sample_records if isinstance(r, Parsed) and "second-version" not in r.path]
    probe = open_store(str(tmp_path / "probe.db"))
    probe.write(records)
    R, F = schema.reports, schema.findings
    with probe.engine.connect() as conn:
        paired = conn.execute(sa.select(R.c.path).join(F, F.c.report_id == R.c.id)
                              .where(F.c.rule.like("continuity.%"))).scalars().first()
    assert paired is not None  # a report with findings against last year's
    newer_file = tmp_path / "newer.txt"
    newer_file.write_bytes(Path(paired).read_bytes() + b"\n\n")
    newer = parse_to_record(str(newer_file), file_hash(newer_file), 10_000)
    together, apart, single = (open_store(str(tmp_path / f"{n}.db")) for n in ("together", "apart", "single"))
    together.write([*records, newer])
    apart.write(records)
    apart.write([newer])
    for record in [*records, newer]:
        single.write([record])
    want = _store_content(together)
    assert _store_content(apart) == want
    assert _store_content(single) == want
    with apart.engine.connect() as conn:
        older = conn.execute(sa.select(R.c.id, R.c.current, R.c.warnings).where(R.c.path == paired)).one()
        kept = conn.execute(sa.select(F.c.rule).where(F.c.report_id == older.id, F.c.other_report_id.is_not(None))
                            ).scalars().all()
        counted = conn.execute(sa.select(sa.func.count()).where(F.c.report_id == older.id,
                                                                F.c.severity == "warning")).scalar_one()
    assert not older.current and kept == ["corpus.two_reports"] and older.warnings == counted


def test_the_rules_compare_the_slim_copies_a_worker_sends_as_the_stored_documents(
        tmp_path: Path, sample_records: list[object]) -> None:
    """The writer compares a record's slim copy (check.across.slim_report, made by the worker)
    instead of decoding its stored document: the same store either way."""
    from dataclasses import replace

    from nianbao.store.record import Parsed

    records = [r for r in sample_records if isinstance(r, Parsed)]
    assert all(r.slim is not None for r in records)
    slim, decoded = (open_store(str(tmp_path / f"{n}.db")) for n in ("slim", "decoded"))
    for start in range(0, len(records), 16):
        slim.write(records[start:start + 16])
        decoded.write([replace(r, slim=None) for r in records[start:start + 16]])
    want = _store_content(decoded)
    assert {row[1] for row in want[1]} >= {"corpus.two_reports", "continuity.carry_over"}
    assert _store_content(slim) == want


def test_store_rules_find_what_the_batch_rules_find(tmp_path: Path, sample_records: list[object]) -> None:
    """Findings across reports in the store (made report by report, through the index) are the
    findings the batch rules make over the same files in memory."""
    from nianbao.check.across import cross_report_findings
    from nianbao.store.record import Parsed, decode_report

    records = [r for r in sample_records if isinstance(r, Parsed) and "second-version" not in r.path]
    store = open_store(str(tmp_path / "t.db"))
    for start in range(0, len(records), 16):
        store.write(records[start:start + 16])
    reports = [decode_report(r.document) for r in records]
    by_rule = ("continuity.carry_over", "continuity.in_force", "continuity.copied_text", "corpus.copied_text",
               "corpus.two_reports")
    batch = sorted((report.source.path, f.rule, f.message) for report, found in cross_report_findings(reports)
                   for f in found if f.rule in by_rule)
    with store.engine.connect() as conn:
        stored = sorted(conn.execute(sa.select(schema.reports.c.path, schema.findings.c.rule, schema.findings.c.message)
                                     .join(schema.reports, schema.reports.c.id == schema.findings.c.report_id)
                                     .where(schema.findings.c.other_report_id.is_not(None))).tuples().all())
    assert len(batch) >= 10
    assert stored == batch


def test_migration_5_gives_a_store_of_version_4_its_band_years_and_shingles(tmp_path: Path, reports: Path) -> None:
    """A store written before migration 5 (no band years, no shingle hashes) is brought up to
    date on opening; a new report is then compared with the old ones as before."""
    db = _older_store(tmp_path, reports, 5, ["DROP INDEX ix_prose_bands_lookup",  # back to version 4's shape
                                             "ALTER TABLE prose_bands DROP COLUMN year",
                                             "CREATE INDEX ix_prose_bands_lookup ON prose_bands (band, hash)",
                                             "DROP TABLE prose_shingles"])
    store = open_store(str(db))
    with store.engine.connect() as conn:
        bands = conn.execute(sa.select(schema.prose_bands.c.year, schema.reports.c.year).join(
            schema.reports, schema.reports.c.id == schema.prose_bands.c.report_id)).all()
        assert bands and all(band_year == report_year for band_year, report_year in bands)
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.prose_shingles)).scalar_one() == 0
    newer = _write(reports, "c-2023.txt", "岭东区政府", 2023, NEW_2023)
    assert ingest(store, [newer], jobs=1).stored == 1
    assert _count(store, schema.prose_shingles) == 1
    with store.engine.connect() as conn:
        assert 5 in set(conn.execute(sa.select(schema.migrations.c.version)).scalars())  # applied again


def test_migration_7_drops_the_plain_key_index_and_sums_still_use_an_index(tmp_path: Path, reports: Path) -> None:
    """A store of version 6 loses its plain index on values by key; the sum index covers the
    look-ups by key (SQLite's plan for a sum over one key searches it)."""
    import sqlite3

    db = _older_store(tmp_path, reports, 7, ["CREATE INDEX ix_report_values_key ON report_values (key)"])
    open_store(str(db)).engine.dispose()
    with sqlite3.connect(db) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'report_values'")}
        plan = " ".join(str(row) for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT sum(value) FROM report_values WHERE key = 'x'"))
        versions = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    assert "ix_report_values_key" not in names and "ix_report_values_sum" in names
    assert "ix_report_values_sum" in plan
    assert 7 in versions


def test_resolving_an_agency_prints_no_warning_and_finds_its_region() -> None:
    """cpca reads its tables through setuptools' pkg_resources (pinned below 81, which removed it);
    the deprecation warning of that import never reaches a user."""
    import subprocess
    import sys

    code = ("from nianbao.store.agencies import resolve; "
            "r = resolve('双鸭山市岭东区人民政府'); print(r.province, r.city, r.county, r.level)")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.split() == ["黑龙江省", "双鸭山市", "岭东区", "县级"]


def test_cpcas_matcher_asked_directly_reads_names_as_its_transform_does() -> None:
    """agencies._division skips cpca.transform's DataFrame (~1.8 ms a name): the same reading
    of every name, real divisions, fictional ones and none."""
    import random

    from nianbao.sample.names import agency_name
    from nianbao.store import agencies

    cpca = agencies._cpca()
    rng, used = random.Random(3), set[str]()
    names = ["岭东区人民政府", "双鸭山市岭东区人民政府", "北京市朝阳区人民政府", "朝阳区政府", "市辖区", "某县教育局",
             "新疆维吾尔自治区人民政府", "海南省三沙市人民政府", "国务院办公厅", "",
             *(agency_name(rng, used) for _ in range(200))]
    for name in names:
        fast, plain = agencies._division(name), cpca.transform([name]).iloc[0]
        assert [fast[k] for k in ("省", "市", "区", "adcode")] == [plain[k] for k in ("省", "市", "区", "adcode")], name


def _older_store(tmp_path: Path, reports: Path, migration: int, undo: list[str]) -> Path:
    """A SQLite store of the reports, taken back to its shape before ``migration`` by ``undo``."""
    import sqlite3

    db = tmp_path / "old.db"
    store = open_store(str(db))
    ingest(store, sorted(reports.iterdir()), jobs=1)
    store.engine.dispose()
    with sqlite3.connect(db) as conn:
        for statement in undo:
            conn.execute(statement)
        conn.execute("DELETE FROM schema_migrations WHERE version = ?", (migration,))
    return db


def test_a_large_ingest_writes_without_the_sum_index_and_builds_it_at_the_end(
        tmp_path: Path, reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From BULK_FROM files (and as many as the store holds) the dashboard's sum index is dropped
    while writing and built once at the end; a store left without it gets it from the next ingest."""
    import sqlite3

    from nianbao.store import ingest as ingest_module

    def index_names(db: Path) -> set[str]:
        with sqlite3.connect(db) as conn:
            return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}

    db = tmp_path / "bulk.db"
    store = open_store(str(db))
    seen_while_writing: list[bool] = []
    real_run = ingest_module.run

    def spying_run(*args: Any, **kwargs: Any) -> None:
        seen_while_writing.append("ix_report_values_sum" in index_names(db))
        real_run(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "run", spying_run)
    monkeypatch.setattr(ingest_module, "BULK_FROM", 2)
    files = sorted(reports.iterdir())
    assert ingest(store, files, jobs=1).stored == len(files)
    assert seen_while_writing == [False]
    assert "ix_report_values_sum" in index_names(db)

    with sqlite3.connect(db) as conn:  # as a kill during a large ingest leaves it
        conn.execute("DROP INDEX ix_report_values_sum")
    monkeypatch.setattr(ingest_module, "BULK_FROM", 10_000)
    assert ingest(store, files, jobs=1).skipped == len(files)  # a small ingest keeps the index...
    assert seen_while_writing == [False, False]
    assert "ix_report_values_sum" in index_names(db)  # ...and builds a missing one
