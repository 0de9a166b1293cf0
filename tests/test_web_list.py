"""The reports list (sorting, keyset paging, filters) and the one-time setup page, through TestClient."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from builder import consistent_values, report_text
from nianbao.store import schema
from nianbao.store.app_schema import users
from nianbao.store.db import open_store
from nianbao.store.ingest import ingest
from nianbao.web import Settings, create_app
from nianbao.web.accounts import add_user
from nianbao.web.first_run import create_first_admin
from nianbao.web.listing import SORTS
from pg_support import new_database, pg_cluster

PASSWORD = "list password 1"
COPIES = 131  # reports added beside the two ingested ones: three pages and a bit


def _store_with_copies(tmp_path: Path, db: str) -> str:
    """Two ingested reports, then COPIES more rows made from them (varied agency, region, year, counts),
    a few with no year or no agency, so sorting meets ties and unknown values."""
    folder = tmp_path / "reports"
    folder.mkdir()
    bad: dict[str, int | float | str] = {**consistent_values(), "requests.total.total": 13}
    good: dict[str, int | float | str] = {**consistent_values()}
    (folder / "bad.txt").write_text(report_text(bad, agency="青川县示范局"), encoding="utf-8")
    (folder / "good.txt").write_text(report_text(good, agency="宝清县人民政府", year=2022),
                                     encoding="utf-8")
    store = open_store(db)
    assert ingest(store, sorted(folder.iterdir()), jobs=1).stored == 2
    with store.engine.begin() as conn:
        model: dict[str, Any] = dict(conn.execute(sa.select(schema.reports).order_by(schema.reports.c.id))
                                     .mappings().first() or {})
        rule_rows = [dict(r) for r in conn.execute(sa.select(schema.findings).where(
            schema.findings.c.report_id == model["id"], schema.findings.c.other_report_id.is_(None))).mappings()]
        for n in range(COPIES):
            province = ("甲省", "乙省", "丙省")[n % 3]
            level = ("省级", "市级", "县级")[n % 3]
            agency_id = conn.execute(schema.agencies.insert().values(
                key=f"test|{n}", name=f"示范机关{n % 17:02d}", province=province, city=f"{n % 5}市",
                county=None, level=level).returning(schema.agencies.c.id)).scalar_one()
            report_id = conn.execute(schema.reports.insert().values({
                **{k: v for k, v in model.items() if k != "id"}, "sha256": f"copy-{n}", "path": f"copy-{n}.txt",
                "agency_id": None if n % 29 == 0 else agency_id, "agency": f"示范机关{n % 17:02d}",
                "year": None if n % 23 == 0 else 2019 + n % 5, "errors": n % 4, "warnings": n % 7,
                "ingested_at": f"2024-05-{1 + n % 28:02d}T10:00:00+00:00", "current": n % 41 != 0,
            }).returning(schema.reports.c.id)).scalar_one()
            if n % 4:
                conn.execute(schema.findings.insert(), [{**{k: v for k, v in f.items() if k != "id"},
                                                         "report_id": report_id} for f in rule_rows])
        add_user(conn, "admin", "admin", PASSWORD)
    store.engine.dispose()
    return db


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("list")
    return _store_with_copies(tmp, str(tmp / "list.db")), tmp


def _client(db: str, tmp: Path) -> TestClient:
    return TestClient(create_app(Settings(db=db, upload_dir=tmp / "uploads")), raise_server_exceptions=False)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form carries a CSRF token"
    return found.group(1)


@pytest.fixture
def client(listed: tuple[str, Path]) -> TestClient:
    client = _client(*listed)
    response = client.post("/login", data={"name": "admin", "password": PASSWORD,
                                           "csrf_token": _csrf(client.get("/login").text)}, follow_redirects=False)
    assert response.status_code == 303
    return client


def _current_rows(db: str) -> list[Any]:
    engine = open_store(db).engine
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.id, schema.reports.c.year, schema.reports.c.errors,
                                      schema.reports.c.warnings, schema.reports.c.ingested_at,
                                      schema.agencies.c.name.label("agency"), schema.agencies.c.province,
                                      schema.agencies.c.level)
                            .select_from(schema.reports.outerjoin(schema.agencies))
                            .where(schema.reports.c.current)).all()
    engine.dispose()
    return list(rows)


def _expected_order(rows: list[Any], sort: str, order: str) -> list[int]:
    """The order the list promises: by the sort value (unknown smallest), then by id, both turned for desc."""
    column = {"agency": "agency", "year": "year", "errors": "errors", "warnings": "warnings",
              "ingested": "ingested_at"}[sort]
    known = sorted((r for r in rows if getattr(r, column) is not None), key=lambda r: (getattr(r, column), r.id))
    ids = sorted(r.id for r in rows if getattr(r, column) is None) + [r.id for r in known]
    return ids if order == "asc" else ids[::-1]


def _walk(client: TestClient, params: dict[str, str]) -> list[list[int]]:
    pages: list[list[int]] = []
    token: str | None = None
    while True:
        listing = client.get("/api/reports", params={**params, **({"after": token} if token else {})}).json()
        assert listing["page"] == len(pages) + 1
        pages.append([r["id"] for r in listing["reports"]])
        token = listing["next"]
        if token is None:
            return pages


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_keyset_pages_follow_the_sort_and_cover_every_report_once(client: TestClient, listed: tuple[str, Path],
                                                                  sort: str, order: str) -> None:
    _check_walks(client, listed[0], sort, order)


def _check_walks(client: TestClient, db: str, sort: str, order: str) -> None:
    rows = _current_rows(db)
    pages = _walk(client, {"sort": sort, "order": order})
    assert [i for page in pages for i in page] == _expected_order(rows, sort, order)
    assert all(len(page) == 50 for page in pages[:-1]) and len(pages) == -(-len(rows) // 50)
    # back again with 上一页 from the last page: the same pages in reverse
    token = client.get("/api/reports", params={"sort": sort, "order": order, "after": _token_to_last(
        client, sort, order, len(pages))}).json()["prev"]
    back = []
    while token:
        listing = client.get("/api/reports", params={"sort": sort, "order": order, "before": token}).json()
        back.append([r["id"] for r in listing["reports"]])
        token = listing["prev"]
    assert back == pages[-2::-1]


def _token_to_last(client: TestClient, sort: str, order: str, count: int) -> str:
    token = ""
    for _ in range(count - 1):
        token = client.get("/api/reports", params={"sort": sort, "order": order,
                                                   **({"after": token} if token else {})}).json()["next"]
    return token


def test_filters_count_and_combine(client: TestClient, listed: tuple[str, Path]) -> None:
    rows = _current_rows(listed[0])
    combos: list[tuple[dict[str, str], list[Any]]] = [
        ({"year": "2021"}, [r for r in rows if r.year == 2021]),
        ({"has_errors": "true"}, [r for r in rows if r.errors > 0]),
        ({"region": "乙省", "level": "市级"}, [r for r in rows if r.province == "乙省" and r.level == "市级"]),
        ({"year": "2020", "region": "甲省", "has_errors": "true"},
         [r for r in rows if r.year == 2020 and r.province == "甲省" and r.errors > 0]),
    ]
    for params, expected in combos:
        listing = client.get("/api/reports", params={**params, "sort": "errors"}).json()
        assert listing["total"] == len(expected), params
        assert {r["id"] for r in listing["reports"]} <= {r.id for r in expected}
        page = client.get("/reports", params=params).text
        assert f"共 {len(expected):,} 份报告" in page
    some_rule = client.get("/api/reports", params={"rule": "requests.row_total"}).json()
    with_findings = client.get("/api/reports", params={"has_errors": "true"}).json()
    assert 0 < some_rule["total"] <= len(rows) and with_findings["total"] > 0


def test_the_page_has_every_filter_and_sort_links_that_keep_them(client: TestClient) -> None:
    html = client.get("/reports", params={"year": "2021", "region": "甲省", "has_errors": "true"}).text
    for field in ("year", "region", "agency", "level", "template", "rule"):
        assert f'name="{field}"' in html
    assert '<select name="rule">' in html and '<option value="requests.balance"' in html
    assert 'name="has_errors" value="true" checked' in html
    link = re.search(r'<a class="sort" href="([^"]+)"[^>]*>错误</a>', html)
    assert link, "the 错误 header is a sort link"
    href = link.group(1).replace("&amp;", "&")
    assert "year=2021" in href and "has_errors=true" in href and "sort=errors&order=desc" in href
    sorted_page = client.get(href).text
    assert re.search(r'<a class="sort active" href="[^"]+order=asc"[^>]*>错误 ▼</a>', sorted_page)
    nxt = re.search(r'<a rel="next" href="([^"]+)">下一页</a>', client.get("/reports").text)
    assert nxt, "a full first page links the next"
    second = client.get(nxt.group(1).replace("&amp;", "&")).text
    assert "第 2 / 3 页" in second and 'rel="prev"' in second


def test_bad_sort_order_and_tokens_are_one_line_errors(client: TestClient) -> None:
    for params in ({"sort": "path"}, {"order": "sideways"}, {"after": "not-a-token"}, {"after": "x", "before": "y"}):
        response = client.get("/api/reports", params=params)
        assert response.status_code == 400 and set(response.json()) == {"error"}, params
    token = client.get("/api/reports", params={"sort": "year"}).json()["next"]
    other = client.get("/api/reports", params={"sort": "errors", "after": token})
    assert other.status_code == 400 and "排序" in other.json()["error"]["message"]
    page = client.get("/reports", params={"sort": "path"})
    assert page.status_code == 400 and "不能按“path”排序" in page.text and "Traceback" not in page.text


def test_migration_4_made_the_list_indexes(listed: tuple[str, Path]) -> None:
    engine = open_store(listed[0]).engine
    with engine.connect() as conn:
        names = {r[1] for r in conn.exec_driver_sql("PRAGMA index_list(reports)")}
    engine.dispose()
    from nianbao.store.indexes import LIST_INDEXES

    assert {name for name, table, _ in LIST_INDEXES if table == "reports"} <= names


# The one-time setup page


@pytest.fixture
def empty(tmp_path: Path) -> TestClient:
    db = str(tmp_path / "empty.db")
    open_store(db).engine.dispose()
    return _client(db, tmp_path)


def test_a_store_without_users_leads_to_setup_and_setup_closes_after(empty: TestClient) -> None:
    assert empty.get("/", follow_redirects=False).headers["location"] == "/setup"
    assert empty.get("/login", follow_redirects=False).headers["location"] == "/setup"
    form = empty.get("/setup")
    assert form.status_code == 200 and "创建第一个管理员" in form.text
    token = _csrf(form.text)
    forged = empty.post("/setup", data={"name": "甲", "password": "12345678", "password2": "12345678",
                                        "csrf_token": "forged"})
    assert forged.status_code == 403
    short = empty.post("/setup", data={"name": "甲", "password": "1234567", "password2": "1234567",
                                       "csrf_token": token})
    assert short.status_code == 400 and "至少 8 个字符" in short.text
    token = _csrf(short.text)
    differ = empty.post("/setup", data={"name": "甲", "password": "12345678", "password2": "12345679",
                                        "csrf_token": token})
    assert differ.status_code == 400 and "两次输入的密码不一致" in differ.text and 'value="甲"' in differ.text
    done = empty.post("/setup", data={"name": " 管理员甲 ", "password": "secret pass", "password2": "secret pass",
                                      "csrf_token": _csrf(differ.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/reports"
    session = empty.get("/api/session").json()
    assert session["user"] == "管理员甲" and session["role"] == "admin"
    assert empty.get("/setup").status_code == 404
    again = empty.post("/setup", data={"name": "乙", "password": "secret pass", "password2": "secret pass",
                                       "csrf_token": token}, cookies={"nb_login_csrf": token})
    assert again.status_code == 404
    assert empty.get("/", follow_redirects=False).headers["location"] == "/reports"
    fresh = TestClient(empty.app)
    assert fresh.get("/login").status_code == 200  # a user exists: the ordinary login form


def test_two_setup_pages_posted_at_once_make_one_admin(tmp_path: Path) -> None:
    db = str(tmp_path / "race-http.db")
    open_store(db).engine.dispose()
    app = create_app(Settings(db=db, upload_dir=tmp_path / "uploads"))
    clients = [TestClient(app, raise_server_exceptions=False) for _ in range(2)]
    tokens = [_csrf(c.get("/setup").text) for c in clients]  # both saw an empty store
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def post(client: TestClient, token: str, name: str) -> None:
        start.wait()
        statuses.append(client.post("/setup", data={"name": name, "password": "secret pass",
                                                    "password2": "secret pass", "csrf_token": token},
                                    follow_redirects=False).status_code)

    threads = [threading.Thread(target=post, args=(c, t, f"管理员{i}")) for i, (c, t) in
               enumerate(zip(clients, tokens, strict=True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 404]
    engine = open_store(db).engine
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 1
    engine.dispose()


def test_two_concurrent_setups_make_one_admin(tmp_path: Path) -> None:
    _race_setups([str(tmp_path / f"race-{attempt}.db") for attempt in range(3)])


def _race_setups(stores: list[str]) -> None:
    for db in stores:  # a fresh store each time, four setups let loose at once
        open_store(db).engine.dispose()
        engines = [open_store(db).engine for _ in range(4)]
        start = threading.Barrier(len(engines))
        created: list[int | None] = []

        def setup(engine: sa.Engine, name: str, start: threading.Barrier = start,
                  created: list[int | None] = created) -> None:
            start.wait()
            with engine.begin() as conn:
                created.append(create_first_admin(conn, name, "secret pass"))

        threads = [threading.Thread(target=setup, args=(e, f"管理员{i}")) for i, e in enumerate(engines)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with engines[0].connect() as conn:
            stored = conn.execute(sa.select(users.c.id, users.c.role)).all()
        for engine in engines:
            engine.dispose()
        assert len(created) == 4 and [c for c in created if c is not None] == [stored[0].id]
        assert len(stored) == 1 and stored[0].role == "admin"


# The same on PostgreSQL (scripts/pg-test-server: a private cluster; skipped when PostgreSQL is
# missing, a failure in CI)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    with pg_cluster("nianbao-pg-list-") as url:
        yield url


def test_sorting_keyset_and_setup_race_on_postgresql(pg_server: str, tmp_path: Path) -> None:
    db = _store_with_copies(tmp_path, new_database(pg_server, "nianbao_list"))
    client = _client(db, tmp_path)
    response = client.post("/login", data={"name": "admin", "password": PASSWORD,
                                           "csrf_token": _csrf(client.get("/login").text)}, follow_redirects=False)
    assert response.status_code == 303
    for sort in SORTS:  # PostgreSQL puts NULL last by default: the list must still put unknown first ascending
        for order in ("asc", "desc"):
            _check_walks(client, db, sort, order)
    filtered = client.get("/api/reports", params={"year": "2020", "region": "甲省", "has_errors": "true"}).json()
    rows = _current_rows(db)
    assert filtered["total"] == len([r for r in rows if r.year == 2020 and r.province == "甲省" and r.errors > 0])
    _race_setups([new_database(pg_server, "nianbao_list") for _ in range(2)])
