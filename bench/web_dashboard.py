"""The web app's dashboard over a 100,000-report store: /dashboard and /api/summary, no filter, a year, a region.

    .venv/bin/python bench/web_dashboard.py                  # the store bench/web_list.py builds (built if absent)
    .venv/bin/python bench/web_dashboard.py --db other.db     # any store, e.g. one bench/ingest.py filled

The store is opened as the app opens it (migrations applied, the dashboard's sum index, migration
6, built on first open if missing: that time is printed apart). Then the app runs under FastAPI's
TestClient, signed in, and each request is timed once cold (first) and ``--runs`` times more (median).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from web_list import Result, add_bench_user, build, print_results, signed_in, store_arguments, timed_requests

from nianbao.store.db import open_store


def _sums_shown(url: str, response: Any) -> str:
    """What a dashboard page or its JSON showed: reports and year groups, or unknown sums and size."""
    if url.startswith("/api/"):
        summary = response.json()
        return f"{sum(g['reports'] for g in summary['years']):,} reports, {len(summary['years'])} year groups"
    return f"{response.text.count('未知（')} unknown sums shown, {len(response.content) // 1024} KiB"


def measure(db: Path, runs: int) -> list[Result]:
    started = time.perf_counter()
    store = open_store(str(db))
    print(f"store opened (migrations) in {time.perf_counter() - started:.1f} s")
    with store.engine.begin() as conn:
        add_bench_user(conn)
        year = conn.execute(sa.text("SELECT year FROM reports WHERE current GROUP BY year ORDER BY count(*) DESC "
                                    "LIMIT 1")).scalar_one()
        province = conn.execute(sa.text("SELECT province FROM agencies WHERE province IS NOT NULL "
                                        "GROUP BY province ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    store.engine.dispose()
    timed, results = timed_requests(signed_in(db), runs, _sums_shown)

    for label, params in (("no filter", {}), (f"year {year}", {"year": year}), (f"region {province}",
                                                                              {"region": province})):
        timed(f"GET /api/summary ({label})", "/api/summary", params)
        timed(f"GET /dashboard ({label})", "/dashboard", params)
    return results


def main() -> None:
    args = store_arguments(__doc__.splitlines()[0], runs=3).parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not args.db.exists():
        build(args.db, args.count, args.seeds)
    print_results(measure(args.db, args.runs), args.runs)


if __name__ == "__main__":
    main()
