"""The store on a real PostgreSQL server (Debian's postgresql, a private cluster per test session).

`make test` installs the package (Makefile system-deps); scripts/pg-test-server starts a
throw-away cluster on a unix socket. Outside CI the tests skip when PostgreSQL is missing;
in CI (CI=true) a missing server is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from nianbao.store import schema
from nianbao.store.db import open_store
from nianbao.store.ingest import ingest
from nianbao.store.queries import Filters, report_rows, summary
from pg_support import new_database, pg_cluster
from test_store import NEW_2022, NEW_2023, NEW_2023_FIRST, _write


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with pg_cluster("nianbao-pg-") as url:
        yield url


@pytest.fixture
def database(server: str) -> str:
    """A fresh database on the server; its URL."""
    return new_database(server)


def test_ingest_versions_and_rules_on_postgresql(database: str, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    _write(folder, "a-2022.txt", "岭东区人民政府", 2022, NEW_2022, **{"active.licensing.decisions": "—"})
    _write(folder, "b-2023.txt", "双鸭山市岭东区人民政府", 2023, NEW_2023_FIRST)
    _write(folder, "c-2023.txt", "岭东区政府", 2023, NEW_2023)
    _write(folder, "d-2023.txt", "宝清县人民政府", 2023, NEW_2022)
    store = open_store(database)
    assert store.engine.dialect.name == "postgresql"
    assert ingest(store, sorted(folder.iterdir()), jobs=2).stored == 4
    assert ingest(store, sorted(folder.iterdir()), jobs=2).skipped == 4
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.path, schema.reports.c.version, schema.reports.c.current)
                            .order_by(schema.reports.c.path)).all()
        assert [(Path(p).name, v, c) for p, v, c in rows] == [
            ("a-2022.txt", 1, True), ("b-2023.txt", 1, False), ("c-2023.txt", 2, True), ("d-2023.txt", 1, True)]
        in_force = conn.execute(sa.select(sa.func.count()).select_from(schema.findings)
                                .where(schema.findings.c.rule == "continuity.in_force")).scalar_one()
        assert in_force == 2
        by_path = {Path(meta.path).name: values for meta, values in report_rows(conn, Filters())}
        assert by_path["a-2022.txt"]["active.licensing.decisions"] is None
        assert by_path["a-2022.txt"]["active.rules.issued"] == 0
        assert by_path["c-2023.txt"]["requests.new_received.total"] == 32
        assert isinstance(by_path["c-2023.txt"]["requests.new_received.total"], int)
        groups = summary(conn, Filters(year=2023), "level")
        assert [(g.name, g.reports) for g in groups] == [("县级", 2)]
        assert groups[0].complete()["requests.new_received.total"] == 32 + 12
        wide = conn.exec_driver_sql('SELECT "requests.new_received.total" FROM values_2021 WHERE current '
                                    "ORDER BY 1").scalars().all()
        assert [int(x) for x in wide] == [12, 12, 32]


def test_cli_reads_nianbao_db_from_the_environment(database: str, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    _write(folder, "a-2022.txt", "岭东区人民政府", 2022, NEW_2022)
    env = {**os.environ, "NIANBAO_DB": database}
    done = subprocess.run([sys.executable, "-m", "nianbao", "ingest", str(folder)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([sys.executable, "-m", "nianbao", "list", "--format", "json"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert [json.loads(line)["year"] for line in listed.stdout.splitlines()] == [2022]


def test_unreachable_server_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/x?host={tmp_path}"
    done = subprocess.run([sys.executable, "-m", "nianbao", "list", "--db", url], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "无法打开数据库" in done.stderr
