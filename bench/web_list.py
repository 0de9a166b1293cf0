"""The web app's reports list over a 100,000-report store: first page, filtered, sorted, page 50.

    .venv/bin/python bench/web_list.py                       # builds /tmp/nianbao-web-list/bench.db once
    .venv/bin/python bench/web_list.py --count 100000 --rebuild

Parsing 100,000 files would take an hour, and the list does not care how rows got there, so
the store is built from a few dozen real parsed reports (``nianbao sample`` text files,
ingested as usual): their report, value and finding rows, document included, are copied onto
20,000 generated agencies (province, city and county bodies across ten provinces) × five years,
with executemany in one transaction. Then the app is started (FastAPI TestClient, the same
stack as ``nianbao serve`` minus the socket) and each request is timed several times.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nianbao.store import schema
from nianbao.store.db import open_store
from nianbao.templates import template_for_year

PASSWORD = "bench password"
FIRST_INGEST = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
YEARS = (2019, 2020, 2021, 2022, 2023)
PROVINCES = ("黑龙江省", "吉林省", "辽宁省", "河北省", "山东省", "江苏省", "浙江省", "四川省", "湖南省", "广东省")
DEPARTMENTS = ("人民政府", "人民政府办公室", "发展和改革委员会", "教育局", "公安局", "财政局", "人力资源和社会保障局",
               "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "农业农村局", "卫生健康委员会",
               "市场监督管理局", "应急管理局", "医疗保障局", "退役军人事务局", "司法局", "民政局", "审计局")


def _seeds(folder: Path, count: int) -> dict[str, list[dict[str, Any]]]:
    """Real parsed reports (rows as stored), by template: the material every copy is made from."""
    from nianbao.sample.corpus import make_corpus
    from nianbao.store.ingest import ingest

    make_corpus(folder, count, seed=11, defect_share=0.5, formats=("txt",))
    store = open_store(str(folder / "seeds.db"))
    ingest(store, sorted((folder / "cases").iterdir()), jobs=1)
    seeds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with store.engine.connect() as conn:
        for report in conn.execute(sa.select(schema.reports)).mappings():
            values = [dict(v) for v in conn.execute(sa.select(schema.values).where(
                schema.values.c.report_id == report["id"])).mappings()]
            findings = [dict(f) for f in conn.execute(sa.select(schema.findings).where(
                schema.findings.c.report_id == report["id"], schema.findings.c.other_report_id.is_(None))).mappings()]
            seeds[str(report["template"])].append({"report": dict(report), "values": values, "findings": findings})
    store.engine.dispose()
    return seeds


def _agencies(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number in range(1, count + 1):
        province = PROVINCES[number % len(PROVINCES)]
        city, county = f"第{number % 37 + 1}市", f"第{number % 211 + 1}县"
        level = rng.choices(("省级", "市级", "县级"), weights=(1, 3, 8))[0]
        place = {"省级": province, "市级": f"{province}{city}", "县级": f"{province}{city}{county}"}[level]
        name = f"{place}{DEPARTMENTS[number % len(DEPARTMENTS)]}{number}"
        rows.append({"id": number, "key": f"bench|{number}", "name": name, "province": province,
                     "city": city if level != "省级" else None, "county": county if level == "县级" else None,
                     "level": level, "adcode": None, "region_manual": False, "merged_into": None})
    return rows


def build(db: Path, count: int, seed_count: int) -> None:
    """A store of ``count`` current reports (five years per agency) copied from real parsed ones."""
    rng = random.Random(7)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nianbao-seeds-") as folder:
        seeds = _seeds(Path(folder), seed_count)
    print(f"seeds: {sum(map(len, seeds.values()))} parsed reports ({', '.join(sorted(seeds))}) "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = open_store(str(db))
    agencies = _agencies(-(-count // len(YEARS)), rng)
    started = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(schema.agencies.insert(), agencies)
        report_id, finding_id = 0, 0
        for chunk_start in range(0, count, 5000):
            reports: list[dict[str, Any]] = []
            values: list[dict[str, Any]] = []
            findings: list[dict[str, Any]] = []
            for number in range(chunk_start, min(count, chunk_start + 5000)):
                agency, year = agencies[number // len(YEARS)], YEARS[number % len(YEARS)]
                options = seeds.get(template_for_year(year)) or next(iter(seeds.values()))
                seed = rng.choice(options)
                report_id += 1
                reports.append({**seed["report"], "id": report_id, "sha256": hashlib.sha256(
                    str(report_id).encode()).hexdigest(), "path": f"bench/{report_id}.txt",
                    "agency_id": agency["id"], "agency": agency["name"], "year": year, "version": 1,
                    "sequence": report_id, "current": True, "signature": None,
                    "ingested_at": (FIRST_INGEST + timedelta(minutes=3 * report_id)).isoformat(timespec="seconds")})
                values.extend({**v, "report_id": report_id} for v in seed["values"])
                for finding in seed["findings"]:
                    finding_id += 1
                    findings.append({**finding, "id": finding_id, "report_id": report_id})
            conn.execute(schema.reports.insert(), reports)
            conn.execute(schema.values.insert(), values)
            if findings:
                conn.execute(schema.findings.insert(), findings)
    store.engine.dispose()
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    print(f"store: {count:,} reports, {finding_id:,} findings in {time.perf_counter() - started:.0f} s, "
          f"{size / 2**20:,.0f} MiB", file=sys.stderr)


def _timed(call: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """First call's time, the median of the runs after it (ms), and the last result."""
    times, result = [], None
    for _ in range(runs + 1):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:]), result


def timed_get(client: Any, url: str, params: dict[str, Any], runs: int) -> tuple[float, float, Any]:
    """``_timed`` over one GET that must answer 200: first and median ms, and the last response."""
    def get() -> Any:
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text[:300]
        return response

    return _timed(get, runs)


Result = tuple[str, float, float, str]  # label, first ms, median ms, what the response showed


def timed_requests(client: Any, runs: int, shown: Callable[[str, Any], str]) -> tuple[
        Callable[[str, str, dict[str, Any]], None], list[Result]]:
    """A function timing one GET (``timed_get``) into the returned list, as a row of the result
    table; ``shown(url, response)`` says what the response held."""
    results: list[Result] = []

    def get(label: str, url: str, params: dict[str, Any]) -> None:
        first, median, response = timed_get(client, url, params, runs)
        results.append((label, first, median, shown(url, response)))

    return get, results


def signed_in(db: Path) -> Any:
    """A TestClient of the app over ``db``, signed in as the bench user (made beforehand)."""
    import re

    from fastapi.testclient import TestClient

    from nianbao.web import Settings, create_app

    client = TestClient(create_app(Settings(db=str(db))))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token, "the login page has its CSRF token"
    client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token.group(1)})
    return client


def add_bench_user(conn: sa.Connection) -> None:
    """The admin the benches sign in as (``signed_in``), once per store."""
    from nianbao.web.accounts import add_user

    if conn.execute(sa.text("SELECT count(*) FROM web_users WHERE name = 'bench'")).scalar_one() == 0:
        add_user(conn, "bench", "admin", PASSWORD)


def _rows_shown(url: str, response: Any) -> str:
    """How many rows a list page or its JSON showed, of how many."""
    import re

    if url.startswith("/api/"):
        listing = response.json()
        rows, total = len(listing["reports"]), f"{listing['total']:,}"
    else:
        found = re.search(r"共 ([\d,]+) 份报告", response.text)
        rows, total = response.text.count('<a href="/reports/'), found.group(1) if found else "?"
    return f"{rows} rows of {total}"


def measure(db: Path, runs: int, analyze: bool) -> list[Result]:
    store = open_store(str(db))
    with store.engine.begin() as conn:
        add_bench_user(conn)
        province = conn.execute(sa.text("SELECT province FROM agencies LIMIT 1")).scalar_one()
        rule = conn.execute(sa.text("SELECT rule FROM findings GROUP BY rule ORDER BY count(*) LIMIT 1")).scalar_one()
        if analyze:
            conn.exec_driver_sql("ANALYZE")
    store.engine.dispose()
    client = signed_in(db)
    page, results = timed_requests(client, runs, _rows_shown)

    page("GET /reports (first page)", "/reports", {})
    filtered = {"year": 2023, "region": province, "has_errors": "true"}
    page(f"filtered: year 2023, region {province}, has errors", "/reports", filtered)
    page("sorted: errors, descending", "/reports", {"sort": "errors", "order": "desc"})
    page("sorted: ingested, ascending", "/reports", {"sort": "ingested", "order": "asc"})
    page("sorted: year, ascending (unknown first)", "/reports", {"sort": "year", "order": "asc"})
    page(f"filtered: rule {rule} (the rarest)", "/reports", {"rule": rule})
    cursor: str | None = None
    for _ in range(49):
        listing = client.get("/api/reports", params={"after": cursor} if cursor else {}).json()
        cursor = listing["next"]
    page("page 50 (cursor after page 49)", "/reports", {"after": cursor})
    page("GET /api/reports (first page, JSON)", "/api/reports", {})
    return results


def store_arguments(description: str, runs: int) -> argparse.ArgumentParser:
    """The options of a bench over the big store this module builds (shared with web_dashboard.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "nianbao-web-list" / "bench.db")
    parser.add_argument("--seeds", type=int, default=40, help="real reports to parse and copy from")
    parser.add_argument("--runs", type=int, default=runs, help="timed runs after the first of each request")
    return parser


def print_results(results: list[Result], runs: int) -> None:
    """The timed requests as a Markdown table (for docs/benchmarks.md), with the load average."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\n| request | first (ms) | median of {runs} (ms) | shown |\n|---|---:|---:|---|")
    for label, first, median, shown in results:
        print(f"| {label} | {first:,.0f} | {median:,.0f} | {shown} |")
    print(f"\nload average {' '.join(load)}")


def main() -> None:
    parser = store_arguments(__doc__.splitlines()[0], runs=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE first (nianbao itself never does)")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild or not args.db.exists():
        build(args.db, args.count, args.seeds)
    print_results(measure(args.db, args.runs, args.analyze), args.runs)


if __name__ == "__main__":
    main()
