"""What a worker hands to the writer: one parsed file, ready to insert, or its failure.

Workers (local processes or Dask workers) read, parse and check a file, resolve its agency's
region and compute its narrative MinHash; the writer only inserts. Records are plain
picklable data, small (the document is compressed), so memory stays flat.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from nianbao import __version__
from nianbao.models import Report, Severity
from nianbao.models_io import report_from_json, report_json

# Stored with each report; `nianbao ingest --reparse` re-reads reports stored by another.
PARSER_VERSION = __version__


# An agency's normalised key, province, city, county, level and division code.
Region = tuple[str, str | None, str | None, str | None, str | None, str | None]


@dataclass(frozen=True)
class Failed:
    sha256: str
    path: str
    reason: str


@dataclass(frozen=True)
class Parsed:
    sha256: str
    path: str
    format: str
    agency: str | None
    year: int | None
    template: str | None
    title: str | None
    published: str | None
    region: Region | None
    values: list[tuple[str, int | float | None, bool, bool, str | None, int | None, str | None]]
    findings: list[tuple[str, Severity, str, str, int | None, str | None]]
    document: bytes
    signature: bytes | None = None
    bands: list[tuple[int, int]] = field(default_factory=list)
    shingles: bytes | None = None  # the narrative's shingle hashes (see shingle_hashes)
    sequence: int = 0  # the file's place in the order given (set by the planner)
    # What the store rules read of the report (check.across.slim_report, ~4 KB pickled): the
    # writer compares it without decoding the stored document (~0.4 ms a report). Not stored.
    slim: Report | None = None


Record = Parsed | Failed


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# zlib level 1: the worker compresses a document in ~0.13 ms instead of ~0.36 ms at level 6, for
# ~10 % larger documents (~0.4 KB a report); every level decompresses to the same JSON.
DOCUMENT_LEVEL = 1


def encode_report(report: Report) -> bytes:
    return zlib.compress(report_json(report), DOCUMENT_LEVEL)


def decode_report(blob: bytes) -> Report:
    return report_from_json(zlib.decompress(blob))


def shingle_hashes(shingles: set[str]) -> bytes:
    """Sorted distinct CRC-32s of the shingles: their Jaccard similarity is the shingles' own
    but for a collision (each moves it by ~0.001; the store confirms near-threshold pairs on
    the documents themselves)."""
    import numpy as np

    from nianbao.check.across import _memoised

    # memoised like the MinHash's shingle hashes: most shingles are stock phrases (~0.3 ms a report)
    hashes = np.unique(np.array(_memoised(_CRC32S, list(shingles), _crc32), dtype="<u4"))
    return hashes.astype("<u4").tobytes()


_CRC32S: dict[str, int] = {}


def _crc32(shingle: str) -> int:
    return zlib.crc32(shingle.encode("utf-8"))


def to_record(report: Report, sha256: str, sequence: int = 0) -> Parsed:
    from nianbao.check.across import _cross_shingles, _signature, slim_report
    from nianbao.store.agencies import resolve

    meta = report.meta
    region = None
    if meta.agency:
        found = resolve(meta.agency)
        region = (found.key, found.province, found.city, found.county, found.level, found.adcode)
    cells = {c.key: c for c in report.cells}
    rows = []
    for key, value in report.values.items():
        cell = cells.get(key)
        rows.append((key, value, bool(cell and cell.inferred), bool(cell and cell.split),
                     cell.raw if cell else None, cell.line if cell else None, cell.place if cell else None))
    findings = [(f.rule, f.severity, f.message, ",".join(f.keys), f.line, f.place) for f in report.findings]
    shingles = _cross_shingles(report)  # narrative_signature's two steps: the shingles are stored too
    signature = _signature(shingles) if shingles is not None else None
    return Parsed(sha256=sha256, path=report.source.path, format=report.source.format, agency=meta.agency,
                  year=meta.year, template=meta.template, title=meta.title, published=meta.published,
                  region=region, values=rows, findings=findings, document=encode_report(report),
                  signature=signature.digest if signature else None,
                  bands=signature.bands if signature else [], sequence=sequence,
                  shingles=shingle_hashes(shingles) if shingles else None, slim=slim_report(report))


def parse_to_record(path: str, sha256: str, sequence: int = 0) -> Record:
    """The worker's job: parse one file (never raises) into a record for the writer."""
    from nianbao.guard import Failure, internal_failure, parse_guarded

    result = parse_guarded(Path(path))
    if isinstance(result, Failure):
        return Failed(sha256, path, result.reason)
    try:
        return to_record(result, sha256, sequence)
    except Exception as exc:  # a record that cannot be built is this file's failure, not the batch's
        return Failed(sha256, path, internal_failure(path, exc).reason)
