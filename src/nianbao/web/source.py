"""The source beside a stored report: the lines nianbao read (numbered as cells and findings
cite them), a PDF page as an image, and where on that page a cell was printed.

The store keeps a report's file path and SHA-256, not its lines. The lines are read again from
the file with nianbao's own reader (the same ``read_document`` → ``split_lines`` → ``reflow``
the parse ran) when a report is opened, and kept in a small in-memory LRU. A file that is gone,
or whose bytes differ from the stored hash, is said to be unavailable; nothing else is read in
its place. No FastAPI here: the routes turn ``SourceError`` into their error shape.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from nianbao.errors import UnusableInput
from nianbao.ingest import limits, read_document
from nianbao.ingest.blocks import cell_text
from nianbao.layout.lines import split_lines
from nianbao.layout.reflow import reflow
from nianbao.models import Cell
from nianbao.normalize import squeeze

PAGE_SCALE = 1.5  # 108 dpi: enough to read a table on screen, ~150 KB a page
BAND_HEIGHT = 16.0  # points: the height marked when only a row's top is known (text lines, OCR rows)
ROW_TOLERANCE = 1.5  # points: a place's top is rounded, a table row's top is not
log = logging.getLogger("nianbao.web")

K = TypeVar("K")
V = TypeVar("V")


class SourceError(Exception):
    """The source (or one of its pages) cannot be shown: one Chinese line why."""


class LRU(Generic[K, V]):
    """A small least-recently-used map shared by the server's worker threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Source:
    """A report's source as nianbao reads it now, or why it cannot be read."""

    available: bool
    reason: str | None = None
    lines: tuple[str, ...] = ()  # each line as in the source, line 1 first
    texts: tuple[str, ...] = ()  # the same lines cleaned (NFKC): where a cell's raw text is found
    pages: tuple[tuple[float, float], ...] = ()  # a PDF's page sizes in points (width, height)
    format: str | None = None


@dataclass(frozen=True)
class Box:
    """Where on a PDF page something was printed, in points from the page's top-left corner."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    exact: bool  # the cell's own box; False: only its row (or line) could be found

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Place:
    page: int
    top: float
    table_row: bool  # 表格第N行: a row the table finder built
    scanned: bool  # an OCR row: the page has no characters to search


@dataclass(frozen=True)
class _Field:
    bbox: tuple[float, float, float, float]
    text: str  # squeezed, NFKC


@dataclass(frozen=True)
class _Row:
    bbox: tuple[float, float, float, float]
    fields: tuple[_Field, ...]


@dataclass(frozen=True)
class _PageGeometry:
    width: float
    rows: tuple[_Row, ...]  # every table row of the page
    chars: tuple[tuple[str, float, float, float, float], ...]  # text, x0, top, x1, bottom


# PDFium may not be called from two threads at once, not even on different documents (pypdfium2's
# "Incompatibility with Threading"); the server answers requests in a thread pool.
_PDFIUM = threading.RLock()
_sources: LRU[tuple[str, str], tuple[tuple[int, int], Source]] = LRU(8)
_pngs: LRU[tuple[str, int], bytes] = LRU(32)
_pages: LRU[tuple[str, int], _PageGeometry] = LRU(32)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size) if path.is_file() else None


def load_source(path: str, sha256: str) -> Source:
    """The lines of the report stored from ``path`` with hash ``sha256`` (cached while the file's
    size and modification time stay the same)."""
    file = Path(path)
    stamp = _stamp(file)
    if stamp is None:
        return Source(False, "原文件已不可用（文件已移走或删除）")
    cached = _sources.get((path, sha256))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    source = _read(file, sha256)
    _sources.put((path, sha256), (stamp, source))
    return source


def _read(file: Path, sha256: str) -> Source:
    try:
        limits.check_file_size(str(file), file.stat().st_size)
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            head = handle.read(1 << 20)
            digest.update(head)
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except UnusableInput as exc:
        return Source(False, f"原文件无法重新读取：{exc.reason}")
    except OSError:
        return Source(False, "原文件已不可用（无法打开）")
    if digest.hexdigest() != sha256:
        return Source(False, "原文件已不可用（文件内容已改变，与入库时不同）")
    try:
        with _PDFIUM if head.startswith(b"%PDF") else contextlib.nullcontext():
            document = read_document(file)
            pages = _page_sizes(file) if document.source.format == "pdf" else ()
        lines = reflow(split_lines(document.text, document.places, document.grid))
    except UnusableInput as exc:
        return Source(False, f"原文件无法重新读取：{exc.reason}")
    except Exception:  # a reader's bug must not take the report's page with it
        log.exception("re-reading %s failed", file)
        return Source(False, "原文件无法重新读取（内部错误）")
    if document.source.sha256 != sha256:  # replaced while it was read
        return Source(False, "原文件已不可用（文件内容已改变，与入库时不同）")
    return Source(True, None, tuple(line.raw for line in lines), tuple(line.text for line in lines), pages,
                  document.source.format)


def _page_sizes(file: Path) -> tuple[tuple[float, float], ...]:
    import pypdfium2

    document = pypdfium2.PdfDocument(file)
    try:
        sizes = []
        for index in range(len(document)):
            width, height = document.get_page_size(index)
            sizes.append((float(width), float(height)))
        return tuple(sizes)
    finally:
        document.close()


def _checked_page(path: str, sha256: str, number: int) -> tuple[Source, tuple[float, float]]:
    source = load_source(path, sha256)
    if not source.available:
        raise SourceError(source.reason or "原文件已不可用")
    if not source.pages:
        raise SourceError("原文件不是 PDF，没有页面图像")
    if not 1 <= number <= len(source.pages):
        raise SourceError(f"原文件没有第 {number} 页（共 {len(source.pages)} 页）")
    return source, source.pages[number - 1]


def page_png(path: str, sha256: str, number: int) -> bytes:
    """Page ``number`` (from 1) of a stored PDF as PNG, at ``PAGE_SCALE``; raises SourceError."""
    _, (width, height) = _checked_page(path, sha256, number)
    cached = _pngs.get((sha256, number))
    if cached is not None:
        return cached
    try:
        limits.check_pixels(path, round(width * PAGE_SCALE), round(height * PAGE_SCALE), "页面图像")
    except UnusableInput as exc:
        raise SourceError(exc.reason) from None
    import pypdfium2

    try:
        with _PDFIUM:
            document = pypdfium2.PdfDocument(path)
            try:
                page = document[number - 1]
                image = page.render(scale=PAGE_SCALE).to_pil()
                page.close()
            finally:
                document.close()
    except pypdfium2.PdfiumError:
        raise SourceError(f"第 {number} 页无法渲染（PDF 已损坏）") from None
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    png = buffer.getvalue()
    _pngs.put((sha256, number), png)
    return png


_PLACE = re.compile(r"第(\d+)页( 表格第\d+行)?（(扫描件 OCR，)?距页顶 (\d+(?:\.\d+)?) 点）")


def parse_place(place: str | None) -> Place | None:
    """The page and height in a place such as ``第4页 表格第5行（距页顶 257 点）``."""
    found = _PLACE.search(place or "")
    if found is None:
        return None
    return Place(int(found.group(1)), float(found.group(4)), bool(found.group(2)), bool(found.group(3)))


def _norm(text: str) -> str:
    return squeeze(unicodedata.normalize("NFKC", text))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _matches(field: str, raw: str) -> bool:
    """A table field holds the raw text: the same, or with only non-digits around it (a unit); a
    blank cell is an empty field."""
    if not raw:
        return not field
    return field == raw or (raw in field and _digits(field) == _digits(raw))


def locate(path: str, sha256: str, place: str | None, raw: str | None = None,
           before: Sequence[str] = ()) -> Box | None:
    """Where ``raw`` (a cell's printed text) is on the PDF page its ``place`` names; ``before``
    are the raw texts of the cells its line holds to its left (a row of zeros has many "0").
    Without ``raw``, or when the text is not found, the row's box (``exact`` False). None when
    the place names no page of this PDF."""
    where = parse_place(place)
    if where is None:
        return None
    try:
        _, (width, _height) = _checked_page(path, sha256, where.page)
    except SourceError:
        return None
    band = Box(where.page, 0.0, where.top, width, where.top + BAND_HEIGHT, exact=False)
    if where.scanned:
        return band
    geometry = _geometry(path, sha256, where.page)
    if geometry is None:
        return band
    wanted = [] if raw is None else [_norm(text) for text in [*before, raw]]  # "" is a blank cell
    if where.table_row:
        row = min((r for r in geometry.rows if abs(r.bbox[1] - where.top) <= ROW_TOLERANCE),
                  key=lambda r: abs(r.bbox[1] - where.top), default=None)
        if row is not None:
            found = _in_row(row, wanted) if wanted else None
            x0, top, x1, bottom = found.bbox if found else row.bbox
            return Box(where.page, x0, top, x1, bottom, exact=found is not None)
    if wanted and wanted[-1]:
        found_chars = _in_chars(geometry, where.top, wanted[-1])
        if found_chars is not None:
            return Box(where.page, *found_chars, exact=True)
    return band


def _in_row(row: _Row, wanted: list[str]) -> _Field | None:
    """The field of the last wanted text, each wanted text taking the next field that holds it."""
    position = 0
    found: _Field | None = None
    for text in wanted:
        found = None
        for index in range(position, len(row.fields)):
            if _matches(row.fields[index].text, text):
                found, position = row.fields[index], index + 1
                break
        if found is None:  # the line's cells do not follow this row's order: the nearest match
            return next((f for f in row.fields if _matches(f.text, wanted[-1])), None)
    return found


def _in_chars(geometry: _PageGeometry, top: float, text: str) -> tuple[float, float, float, float] | None:
    """The characters spelling ``text`` on the text line nearest below ``top``."""
    near = [c for c in geometry.chars if top - ROW_TOLERANCE <= c[2] <= top + 2 * BAND_HEIGHT]
    if not near:
        return None
    first = min(c[2] for c in near)
    line = sorted((c for c in near if c[2] - first <= BAND_HEIGHT / 2), key=lambda c: c[1])
    spelled = "".join(c[0] for c in line)
    start = spelled.find(text)
    if start < 0:
        return None
    run = line[start:start + len(text)]
    return min(c[1] for c in run), min(c[2] for c in run), max(c[3] for c in run), max(c[4] for c in run)


def _geometry(path: str, sha256: str, number: int) -> _PageGeometry | None:
    cached = _pages.get((sha256, number))
    if cached is not None:
        return cached
    import pypdfium2

    from nianbao.ingest.pdfpage import find_tables, page_objects

    try:
        with _PDFIUM:
            document = pypdfium2.PdfDocument(path)
            try:
                page = document[number - 1]
                objects = page_objects(page)
                page.close()
            finally:
                document.close()
        rows = [_table_row(row, texts) for table in find_tables(objects)
                for row, texts in zip(table.rows, table.extract(), strict=False)]
    except Exception:  # the page read at ingest; a failure now only loses the box
        log.exception("page %s of %s could not be measured", number, path)
        return None
    chars = tuple((_norm(c["text"]), float(c["x0"]), float(c["top"]), float(c["x1"]), float(c["bottom"]))
                  for c in objects.chars if _norm(c["text"]))
    geometry = _PageGeometry(objects.bbox[2], tuple(rows), chars)
    _pages.put((sha256, number), geometry)
    return geometry


def _table_row(row: Any, texts: list[str | None]) -> _Row:
    fields = tuple(_Field(tuple(float(v) for v in bbox), _norm(cell_text(text)))  # type: ignore[arg-type]
                   for bbox, text in zip(row.cells, texts, strict=False) if bbox is not None)
    return _Row(tuple(float(v) for v in row.bbox), fields)  # type: ignore[arg-type]


def mismatched(source: Source, cells: Iterable[Cell]) -> int:
    """How many cells' printed text is not on the line they cite in the source as read now (a file
    stored by another nianbao version may number its lines differently)."""
    if not source.available:
        return 0
    count = 0
    for cell in cells:
        if cell.raw is None or cell.line is None:
            continue
        text = _norm(cell.raw)
        if text and (cell.line > len(source.texts) or text not in _norm(source.texts[cell.line - 1])):
            count += 1
    return count
