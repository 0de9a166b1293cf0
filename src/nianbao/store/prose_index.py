"""The copied-prose candidates of one ingest run, kept in memory by the writer.

The generated (and real) reports' prose shares phrasings, so a new report shares MinHash bands
with a number of stored reports that grows with the store (a few hundred of three years at
100,000). Looked up in the band index and read row by row, they made the writer's time per
report grow with the store. An ingest run's writer loads the band index, the reports'
signatures and their shingle hashes once (a one-off read; ~230 MB at 100,000 reports), adds
what each transaction writes, and finds a report's close candidates and compares them without
SQL: the same reports, in the same order, as ``rules._candidates`` and ``rules._estimates``
find in the tables, and the shingle hashes ``rules._far_below`` would read
(tests/test_store_index.py holds the two equal).

The index mirrors the tables only while its connection is the store's one writer. SQLite's
``PRAGMA data_version`` changes when another connection commits, and the index is then read
again; so is it after a re-parse (a report's bands rewritten) or a rolled-back transaction.
PostgreSQL has no such counter: its writer keeps the SQL look-ups.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from nianbao.check.across import ESTIMATE_FLOOR, NUM_PERM

if TYPE_CHECKING:
    from nianbao.store.record import Parsed
    from nianbao.store.writer import Written

NO_YEAR = int(np.iinfo(np.int32).min)  # a report or band without a year: never within a year of another
NO_AGENCY = -1
DIGEST_BYTES = NUM_PERM * 8  # a signature the index holds; others are left to the SQL path
MERGE_AT = 50_000  # band entries added since the last merge: then sorted into the arrays
FETCH = 20_000  # rows per fetch while loading


class ProseIndex:
    """Band entries by band (sorted arrays, plus a dict of recent ones) and, by report id, the
    agency, year, current flag and MinHash digest (as uint32: our digests' values are 32-bit)."""

    def __init__(self) -> None:
        self.loaded = False
        self.version: int | None = None  # PRAGMA data_version at the last sync
        # A stored signature of our size but with values beyond 32 bits (never ours) could not be
        # compared exactly here: the run then keeps the SQL path.
        self.odd = False
        self._reset(0)

    def _reset(self, size: int) -> None:
        self.known = np.zeros(size, dtype=bool)
        self.agency = np.full(size, NO_AGENCY, dtype=np.int64)
        self.year = np.full(size, NO_YEAR, dtype=np.int32)
        self.current = np.zeros(size, dtype=bool)
        self.signed = np.zeros(size, dtype=bool)  # holds a digest of DIGEST_BYTES
        self.digests = np.zeros((size, NUM_PERM), dtype=np.uint32)
        self.bands: dict[int, tuple[Any, Any, Any]] = {}  # band → (hashes, years, report ids), by hash
        self.recent: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (band, hash) → [(report id, year)]
        self.recent_count = 0
        # Each report's shingle hashes (prose_shingles; ~1.5 KB a report): a report's close
        # candidates, dozens in a large store, are compared on them without a query.
        self.shingles: dict[int, bytes] = {}

    # -- keeping in step with the store ---------------------------------------------------------
    def sync(self, conn: sa.Connection, written: Written) -> bool:
        """Bring the index up to date inside the writer's transaction, after ``write_batch``: the
        connection then holds the write lock, so no other commit can come before this one's.
        True when the store was read again (first use, another writer, a re-parse, a rollback)."""
        version = int(conn.exec_driver_sql("PRAGMA data_version").scalar_one())
        rewritten = any(i < self.known.size and self.known[i] for i in written.ids)
        reload = not self.loaded or version != self.version or rewritten
        if reload:
            self.load(conn)
        else:
            self.add(written)
        self.version = version
        return reload

    def invalidate(self) -> None:
        """The transaction rolled back: what was added may not be in the store."""
        self.loaded = False

    def load(self, conn: sa.Connection) -> None:
        """Read the whole index from the store (reports, then band entries in index order)."""
        size = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM reports").scalar_one())
        self._reset(size)
        self.odd = False
        cursor = conn.exec_driver_sql("SELECT id, agency_id, year, current, signature FROM reports")
        while rows := cursor.fetchmany(FETCH):
            for report_id, agency_id, year, current, signature in rows:
                self._place(report_id, agency_id, year, bool(current), signature)
        cursor = conn.exec_driver_sql("SELECT band, hash, year, report_id FROM prose_bands "
                                      "ORDER BY band, hash, year, report_id")
        parts = []
        while rows := cursor.fetchmany(FETCH):
            parts.append(np.array([(b, h, NO_YEAR if y is None else y, r) for b, h, y, r in rows], dtype=np.int64))
        entries = np.concatenate(parts) if parts else np.zeros((0, 4), dtype=np.int64)
        for band in np.unique(entries[:, 0]).tolist():
            rows_of_band = entries[entries[:, 0] == band]
            self.bands[band] = (rows_of_band[:, 1].copy(), rows_of_band[:, 2].astype(np.int32),
                                rows_of_band[:, 3].astype(np.int32))
        cursor = conn.exec_driver_sql("SELECT report_id, hashes FROM prose_shingles")
        while rows := cursor.fetchmany(FETCH):
            self.shingles.update((report_id, bytes(hashes)) for report_id, hashes in rows)
        self.loaded = True

    def add(self, written: Written) -> None:
        """What one transaction wrote: its reports and bands, and the current flags renumbering set."""
        placed = {p.id: p for rows in written.agencies.values() for p in rows}
        self._grow(max(written.ids, default=0) + 1)
        for report_id in written.ids:
            record = written.records[report_id]
            found = placed.get(report_id)
            self._place(report_id, found.agency_id if found else None, record.year,
                        found.current if found else True, record.signature)
            self._add_bands(report_id, record)
            if record.shingles:
                self.shingles[report_id] = record.shingles
        for p in placed.values():
            self.current[p.id] = p.current
        if self.recent_count >= MERGE_AT:
            self._merge()

    def _place(self, report_id: int, agency_id: int | None, year: int | None, current: bool,
               signature: bytes | None) -> None:
        self.known[report_id] = True
        self.agency[report_id] = NO_AGENCY if agency_id is None else agency_id
        self.year[report_id] = NO_YEAR if year is None else year
        self.current[report_id] = current
        digest = _digest(signature)
        self.signed[report_id] = digest is not None
        if digest is not None:
            self.digests[report_id] = digest
        elif signature is not None and len(signature) == DIGEST_BYTES:
            self.odd = True

    def _add_bands(self, report_id: int, record: Parsed) -> None:
        year = NO_YEAR if record.year is None else record.year
        for band in record.bands:
            self.recent.setdefault(band, []).append((report_id, year))
        self.recent_count += len(record.bands)

    def _grow(self, size: int) -> None:
        if size <= self.known.size:
            return
        size = max(size, 2 * self.known.size)
        old = self.known.size
        for name, fill in (("known", False), ("agency", NO_AGENCY), ("year", NO_YEAR), ("current", False),
                           ("signed", False)):
            array = getattr(self, name)
            grown = np.full(size, fill, dtype=array.dtype)
            grown[:old] = array
            setattr(self, name, grown)
        digests = np.zeros((size, NUM_PERM), dtype=np.uint32)
        digests[:old] = self.digests
        self.digests = digests

    def _merge(self) -> None:
        """Sort the recent entries into the band arrays (a few times per 100,000 reports)."""
        by_band: dict[int, list[tuple[int, int, int]]] = {}
        for (band, value), members in self.recent.items():
            by_band.setdefault(band, []).extend((value, year, report_id) for report_id, year in members)
        for band, added in by_band.items():
            extra = np.array(added, dtype=np.int64)
            hashes, years, ids = self.bands.get(band, (np.zeros(0, np.int64), np.zeros(0, np.int32),
                                                       np.zeros(0, np.int32)))
            hashes = np.concatenate([hashes, extra[:, 0]])
            order = np.argsort(hashes, kind="stable")
            self.bands[band] = (hashes[order], np.concatenate([years, extra[:, 1].astype(np.int32)])[order],
                                np.concatenate([ids, extra[:, 2].astype(np.int32)])[order])
        self.recent, self.recent_count = {}, 0

    # -- candidates --------------------------------------------------------------------------------
    def shingles_of(self, report_ids: Iterable[int]) -> list[tuple[int, bytes]]:
        """The shingle hashes of those of the reports that have them, in the order given (as
        ``rules._far_below`` reads them from prose_shingles)."""
        held = self.shingles
        return [(i, held[i]) for i in report_ids if i in held]

    def holds(self, signature: bytes | None) -> bool:
        """Whether a report with this signature can be answered here (else: the SQL path)."""
        return self.loaded and not self.odd and _digest(signature) is not None

    def close_candidates(self, bands: Iterable[tuple[int, int]], signature: bytes, agency_id: int, year: int
                         ) -> list[int]:
        """Current reports of other agencies, of the year or a neighbouring one, sharing a band, whose
        estimated similarity reaches ESTIMATE_FLOOR, by id (``rules._candidates`` then the estimate)."""
        sharers = self._sharers(bands, year - 1, year + 1)
        sharers = sharers[self.current[sharers] & (self.agency[sharers] != agency_id) & self.signed[sharers]]
        if not sharers.size:
            return []
        mine = _digest(signature)
        equal = (self.digests[sharers] == mine).sum(axis=1)
        return [int(i) for i in sharers[equal / NUM_PERM >= ESTIMATE_FLOOR]]

    def _sharers(self, bands: Iterable[tuple[int, int]], low: int, high: int) -> Any:
        found = []
        recent = []
        for band, value in bands:
            entries = self.bands.get(band)
            if entries is not None:
                hashes, years, ids = entries
                start, stop = int(hashes.searchsorted(value, "left")), int(hashes.searchsorted(value, "right"))
                if stop > start:
                    chosen = years[start:stop]
                    found.append(ids[start:stop][(chosen >= low) & (chosen <= high)])
            recent += [report_id for report_id, y in self.recent.get((band, value), ()) if low <= y <= high]
        found.append(np.array(recent, dtype=np.int32))
        return np.unique(np.concatenate(found))


def _digest(signature: bytes | None) -> Any:
    """The signature as uint32 values, or None when the index cannot hold it exactly (another
    size, or a value beyond 32 bits: never for ours, whose MinHash values are 32-bit)."""
    if signature is None or len(signature) != DIGEST_BYTES:
        return None
    values = np.frombuffer(signature, dtype="<u8")
    if int(values.max()) >> 32:
        return None
    return values.astype(np.uint32)
