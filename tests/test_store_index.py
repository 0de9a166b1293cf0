"""The ingest writer's copied-prose candidates in memory (store/prose_index.py) are the ones the
band index gives in SQL, and a run written through it is the store ``Store.write`` makes, also
when another connection writes in between."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.check.across import ESTIMATE_FLOOR
from nianbao.store import prose_index, rules, schema
from nianbao.store.db import Store, StoreWriter, open_store
from nianbao.store.record import Parsed
from test_store import _store_content


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[Parsed]:
    """Generated reports with planted copies across agencies: band sharers of every kind."""
    from nianbao.sample.corpus import make_corpus
    from nianbao.store.record import file_hash, parse_to_record

    folder = tmp_path_factory.mktemp("sample")
    make_corpus(folder, 90, seed=5, defect_share=0.3, formats=("txt",))
    files = sorted((folder / "cases").iterdir())
    parsed = [r for i, p in enumerate(files) if isinstance(r := parse_to_record(str(p), file_hash(p), i), Parsed)]
    signed = [r for r in parsed if r.bands]
    # Every other signed report takes a share of the previous one's signature: candidates above,
    # at and below the estimate floor (66 of 120 equal values is 0.55 exactly).
    blended: dict[int, Parsed] = {}
    for i, record in enumerate(signed[1:], start=1):
        source = next((s for s in signed[:i] if s.agency != record.agency and id(s) not in blended
                       and abs((s.year or 0) - (record.year or 0)) <= 1), None)
        if i % 2 and source is not None:
            blended[id(record)] = _blend(record, source, (120, 66, 65, 40)[i % 4])
    return [blended.get(id(r), r) for r in parsed]


def _blend(record: Parsed, source: Parsed, equal: int) -> Parsed:
    """The record with the source's first ``equal`` MinHash values and the bands they make."""
    signature = (source.signature or b"")[:equal * 8] + (record.signature or b"")[equal * 8:]
    bands = source.bands[:equal // 6] + record.bands[equal // 6:]
    return replace(record, signature=signature, bands=bands, shingles=source.shingles)


def _sql_close(conn: sa.Connection, record: Parsed, agency_id: int, year: int) -> list[int]:
    """The close candidates as the SQL path finds them (rules._copied_across without the index)."""
    rows = rules._candidates(conn, record.bands, agency_id, year)
    estimates = rules._estimates(record.signature or b"", [r[1] for r in rows])
    return [other for (other, _), estimate in zip(rows, estimates, strict=True) if estimate >= ESTIMATE_FLOOR]


def _assert_same_candidates(writer: StoreWriter, records: list[Parsed]) -> int:
    """Every stored report's close candidates, from the index and from SQL; returns how many there were."""
    by_sha = {r.sha256: r for r in records}
    index = writer.index
    assert index is not None and index.loaded
    found = 0
    R = schema.reports
    for row in writer.conn.execute(sa.select(R.c.id, R.c.sha256, R.c.agency_id, R.c.year)).all():
        record = by_sha[row.sha256]
        if row.agency_id is None or row.year is None or not record.bands:
            continue
        assert index.holds(record.signature)
        expected = _sql_close(writer.conn, record, row.agency_id, row.year)
        assert index.close_candidates(record.bands, record.signature or b"", row.agency_id, row.year) == expected
        found += len(expected)
    shingles = schema.prose_shingles
    stored = dict(writer.conn.execute(sa.select(shingles.c.report_id, shingles.c.hashes)).tuples().all())
    every = writer.conn.execute(sa.select(R.c.id)).scalars().all()
    assert len(stored) >= 10 and dict(index.shingles_of(every)) == stored  # the hashes _far_below compares
    writer.conn.rollback()
    return found


def test_index_candidates_are_the_sql_candidates(tmp_path: Path, records: list[Parsed],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prose_index, "MERGE_AT", 100)  # merges into the sorted arrays happen here too
    store = open_store(str(tmp_path / "t.db"))
    writer = StoreWriter(store)
    for start in range(0, len(records), 16):
        writer.write(records[start:start + 16])
    assert _assert_same_candidates(writer, records) >= 10  # planted copies and shared prose: many candidates
    fresh = StoreWriter(store)  # a new run loads the index from the store
    fresh.write(records[:1])  # already stored: a re-parse of nothing new, still a transaction
    assert _assert_same_candidates(fresh, records) >= 10
    writer.close()
    fresh.close()


def test_a_run_stores_what_store_write_stores(tmp_path: Path, records: list[Parsed]) -> None:
    """Written through one run's writer, with another connection writing in between (the index
    is then read again), the store is the one plain transactions give."""
    plain = open_store(str(tmp_path / "plain.db"))
    plain.write(records)
    store = open_store(str(tmp_path / "run.db"))
    writer = StoreWriter(store)
    third = len(records) // 3
    writer.write(records[:third])
    Store(store.engine, store.url).write(records[third:2 * third])  # another connection's commit
    writer.write(records[2 * third:])
    assert _assert_same_candidates(writer, records) >= 10
    writer.close()
    assert _store_content(store) == _store_content(plain)


def test_a_rolled_back_transaction_leaves_the_index_to_be_read_again(tmp_path: Path, records: list[Parsed]) -> None:
    store = open_store(str(tmp_path / "t.db"))
    writer = StoreWriter(store)
    writer.write(records[:20])
    with pytest.raises(sa.exc.IntegrityError):  # one file twice in a batch: its content hash is unique
        writer.write([records[21], records[21]])
    assert writer.index is not None and not writer.index.loaded
    writer.write(records[20:])
    assert _assert_same_candidates(writer, records) >= 10
    writer.close()


@settings(max_examples=300, deadline=None)
@given(st.sets(st.integers(0, 2**32 - 1), max_size=60), st.sets(st.integers(0, 2**32 - 1), max_size=60),
       st.sets(st.integers(0, 2**32 - 1), max_size=30))
def test_one_pairs_shared_count_is_the_intersections_size(a: set[int], b: set[int], both: set[int]) -> None:
    first, second = (np.array(sorted(x | both), dtype="<u4") for x in (a, b))
    assert rules.shared_counts(first, [second]) == [np.intersect1d(first, second, assume_unique=True).size]


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(0, 2**32 - 1), max_size=60),
       st.lists(st.sets(st.integers(0, 2**32 - 1), max_size=60), max_size=8), st.sets(st.integers(0, 2**32 - 1),
                                                                                      max_size=30))
def test_shared_counts_are_each_pairs_intersection(own: set[int], others: list[set[int]], both: set[int]) -> None:
    """The one-pass count over a report's candidates is the pairwise count (empty sets included)."""
    mine = np.array(sorted(own | both), dtype="<u4")
    theirs = [np.array(sorted(other | (both if i % 2 else set())), dtype="<u4") for i, other in enumerate(others)]
    assert rules.shared_counts(mine, theirs) == [np.intersect1d(mine, their, assume_unique=True).size
                                                 for their in theirs]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sets(st.text(alphabet="政府信息公开申请办理结果年度报告ab1", min_size=5, max_size=5), max_size=40),
                min_size=1, max_size=4))
def test_shingle_hashes_are_the_sorted_distinct_crc32s(texts: list[set[str]]) -> None:
    """The memoised hashes (record.shingle_hashes) are each shingle's CRC-32, whatever was seen before."""
    import zlib

    from nianbao.store.record import shingle_hashes

    for shingles in texts:
        plain = sorted({zlib.crc32(s.encode("utf-8")) for s in shingles})
        assert np.frombuffer(shingle_hashes(shingles), dtype="<u4").tolist() == plain
