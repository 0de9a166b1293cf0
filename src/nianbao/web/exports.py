"""Exports of a list's selection: CSV/XLSX (the store's columns), the review page, the letters as a zip.

A library (no FastAPI). Every export takes the list's own query (``selection``), so it holds exactly
the reports the list shows, whatever the filter.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from nianbao.batch import BatchResult
from nianbao.store.export import ExportFormat, export_query
from nianbao.store.queries import select_reports, stored_report
from nianbao.web.letter import LetterTemplate, build_letter, letter_docx, letter_filename
from nianbao.web.routes_reports import ListQuery

MAX_DOCUMENTS = 2000  # the review page and the letters zip are built in the request: bounded


class ExportError(Exception):
    """An export that cannot be made as asked (one Chinese line)."""


def selection(conn: sa.Connection, wanted: ListQuery) -> sa.Select[tuple[object, ...]]:
    """The list's query for these filters, as ``routes_reports._listing`` builds it (raises
    StoreError for an unknown agency)."""
    return select_reports(conn, wanted.filters())


def write_table(conn: sa.Connection, query: sa.Select[tuple[object, ...]], fmt: ExportFormat, out: Path) -> int:
    """The selection as ``nianbao export`` writes it (same columns, Chinese headers, CSV with a BOM,
    numbers as numbers, unknown cells empty); returns how many reports."""
    if fmt not in ("csv", "xlsx"):
        raise ExportError(f"不支持的导出格式：{fmt}")
    return export_query(conn, query, fmt, out)


def bounded_ids(conn: sa.Connection, query: sa.Select[tuple[object, ...]], limit: int | None = None) -> list[int]:
    """The selected report ids in list order; ExportError when there are none or more than ``limit``
    (default MAX_DOCUMENTS)."""
    limit = MAX_DOCUMENTS if limit is None else limit
    ids = [int(i) for i in conn.execute(sa.select(query.subquery().c.id).limit(limit + 1)).scalars()]
    if not ids:
        raise ExportError("没有符合条件的报告，无可导出的内容")
    if len(ids) > limit:
        raise ExportError(f"符合条件的报告超过 {limit} 份，请缩小筛选范围后再导出")
    return ids


def review_html(conn: sa.Connection, ids: list[int]) -> str:
    """The review page ``nianbao check --html`` writes, for these stored reports (from their stored
    documents, with every finding the store holds, cross-report ones too)."""
    from nianbao.review.html import review_page

    return review_page(BatchResult([stored_report(conn, i) for i in ids], []))


class _Sink:
    """A write-only stream a ZipFile writes into and a response drains chunk by chunk."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def letters_zip(engine: sa.Engine, ids: list[int], template: LetterTemplate) -> Iterator[bytes]:
    """One 审核意见 DOCX per report, as the bytes of a zip, streamed letter by letter (the first bytes
    leave at once, however many letters follow). Members are named ``{id}-审核意见-机关-年度.docx``,
    the id keeping two reports of one agency apart, and stored as they are (a DOCX is already
    compressed). The connection is opened here because the stream outlives the request handler."""
    sink = _Sink()
    with engine.connect() as conn, zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for report_id in ids:
            letter = build_letter(conn, report_id, template)
            if letter is None:  # removed since the ids were read
                continue
            archive.writestr(f"{report_id}-{letter_filename(letter)}", letter_docx(letter, template))
            yield sink.take()
    yield sink.take()  # the central directory, written on close
