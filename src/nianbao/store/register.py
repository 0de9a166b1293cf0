"""The agency register, correctable by hand: merge two agencies, set an agency's region.

A merge points the duplicate at the agency it is (``merged_into``) and moves its names and
reports; a region set by hand is marked ``region_manual``. Ingest looks printed names up
first, so both corrections hold for reports ingested later.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from nianbao.store import schema
from nianbao.store.db import StoreError, renumber
from nianbao.store.queries import find_agency

R, A, N = schema.reports, schema.agencies, schema.agency_names
LEVELS = ("省级", "市级", "县级")


def merge_agencies(conn: sa.Connection, keep: str, duplicate: str) -> str:
    """Merge ``duplicate`` into ``keep``; returns the kept agency's name."""
    from nianbao.store.rules import store_rules

    kept, gone = find_agency(conn, keep), find_agency(conn, duplicate)
    if kept == gone:
        raise StoreError(f"“{keep}”与“{duplicate}”已是同一机关")
    conn.execute(N.update().where(N.c.agency_id == gone).values(agency_id=kept, manual=True))
    conn.execute(A.update().where(A.c.id == gone).values(merged_into=kept))
    moved = conn.execute(sa.select(R.c.id).where(R.c.agency_id == gone)).scalars().all()
    conn.execute(R.update().where(R.c.agency_id == gone).values(agency_id=kept))
    _renumber(conn, kept)
    for report_id in moved:
        store_rules(conn, report_id)  # last year's report may be the other agency's now
    return str(conn.execute(sa.select(A.c.name).where(A.c.id == kept)).scalar_one())


def _renumber(conn: sa.Connection, agency_id: int) -> None:
    years = conn.execute(sa.select(R.c.year).where(R.c.agency_id == agency_id).distinct()).scalars().all()
    for year in years:
        renumber(conn, agency_id, year)


def set_agency_region(conn: sa.Connection, agency: str, region: str) -> str:
    """Set 省/市/区 by hand (one to three parts); returns a description of the change."""
    agency_id = find_agency(conn, agency)
    parts = [p.strip() for p in region.replace("／", "/").split("/") if p.strip()]
    if not 1 <= len(parts) <= 3:
        raise StoreError(f"“{region}”不是 省/市/区 形式的地区")
    province, city, county = [*parts, None, None][:3]
    conn.execute(A.update().where(A.c.id == agency_id).values(
        province=province, city=city, county=county, level=LEVELS[len(parts) - 1], region_manual=True))
    name = conn.execute(sa.select(A.c.name).where(A.c.id == agency_id)).scalar_one()
    return f"{name} → {'/'.join(parts)}（{LEVELS[len(parts) - 1]}）"


def agency_list(conn: sa.Connection) -> list[dict[str, Any]]:
    names: dict[int, list[str]] = {}
    for row in conn.execute(sa.select(N.c.agency_id, N.c.name).order_by(N.c.name)):
        names.setdefault(row.agency_id, []).append(row.name)
    per_agency = sa.select(R.c.agency_id, sa.func.count()).group_by(R.c.agency_id)
    counts: dict[int, int] = {r[0]: r[1] for r in conn.execute(per_agency)}
    rows = conn.execute(sa.select(A).where(A.c.merged_into.is_(None)).order_by(A.c.name)).all()
    return [{"id": r.id, "name": r.name, "province": r.province, "city": r.city, "county": r.county,
             "level": r.level, "reports": counts.get(r.id, 0), "names": names.get(r.id, []),
             "manual": bool(r.region_manual)} for r in rows]
