"""A throw-away PostgreSQL cluster for the tests that need one (scripts/pg-test-server, on a unix
socket). Outside CI a missing PostgreSQL skips the test; in CI (CI=true) it is a failure."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "pg-test-server"
_names = itertools.count()


@contextmanager
def pg_cluster(prefix: str) -> Iterator[str]:
    """A private cluster for the duration; yields the URL of its ``postgres`` database."""
    folder = tempfile.mkdtemp(prefix=prefix)
    os.chmod(folder, 0o755)  # the server runs as the postgres user when we are root
    started = subprocess.run(["bash", str(SCRIPT), "start", folder], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL did not start: {started.stderr.strip()}")
        pytest.skip(f"PostgreSQL unavailable: {started.stderr.strip()}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", folder], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: str, prefix: str = "nianbao") -> str:
    """A fresh database on the cluster at ``server``; its URL."""
    from nianbao.store.db import store_url

    name = f"{prefix}_{os.getpid()}_{next(_names)}"
    engine = sa.create_engine(store_url(server), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server.replace("/postgres?", f"/{name}?")
