"""`nianbao ingest --scheduler`: Dask workers parse, the client writes; same store as a local run."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.sample.corpus import make_corpus
from nianbao.store.db import open_store
from nianbao.store.ingest import ingest
from test_ingest_kill import _content


def test_local_cluster_gives_the_local_result(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    make_corpus(tmp_path / "c", 30, seed=9, defect_share=0.3, formats=("txt", "html"))
    files = sorted((tmp_path / "c" / "cases").iterdir())
    local, remote = tmp_path / "local.db", tmp_path / "dask.db"
    ingest(open_store(str(local)), files, jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        summary = ingest(open_store(str(remote)), files, scheduler=cluster.scheduler_address)
    assert summary.stored == 30 and not summary.failed
    for got, want in zip(_content(remote), _content(local), strict=True):
        assert got == want
