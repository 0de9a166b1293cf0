"""PDF with a text layer → lines: ruled tables rebuilt from geometry, prose as paragraphs.

PDFium reads each page's characters and ruling lines (``pdfpage``); pdfplumber's table finder
builds each table from the ruling lines and gives its cells (merged cells once, ``None``
where a merge covers a position). The text outside the tables is read as lines with
positions, and lines are joined into paragraphs: a line starts a paragraph when it is
indented or the line before it stopped short of the right margin. Page numbers and running
headers are dropped; a paragraph or a table that runs onto the next page simply continues.
Pages with no text layer are scanned images: they go to OCR (``nianbao.ingest.ocr``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.errors import UnusableInput
from nianbao.ingest.blocks import SourceLine, cell_text, row_line
from nianbao.ingest.limits import check_pages
from nianbao.ingest.pdfpage import PageObjects, find_tables, page_objects, text_lines
from nianbao.layout.lines import is_page_number

_HEADER_BAND = 0.08  # top and bottom share of the page where running headers live


@dataclass
class _Text:
    page: int
    top: float
    x0: float
    x1: float
    text: str


@dataclass
class _Table:
    page: int
    top: float
    rows: list[list[str | None]]
    place: str | None = None  # instead of 第N页 表格第M行 (OCR rows)
    notes: list[str] = field(default_factory=list)
    row_tops: list[float] = field(default_factory=list)  # each row's top, points from the page top


_Item = _Text | _Table


def read_pdf(path: Path, data: bytes) -> tuple[list[SourceLine], int]:
    """The lines of a PDF and its page count; raises UnusableInput when it cannot be read."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnusableInput(str(path), "PDF 已加密，无法读取（请提供未加密的文件）") from None
        raise UnusableInput(str(path), "PDF 文件已损坏，无法解析") from None
    try:
        items: list[_Item] = []
        pages = len(document)
        check_pages(str(path), pages)
        for number in range(1, pages + 1):
            try:
                page = document[number - 1]
            except pypdfium2.PdfiumError:  # a page a damaged or truncated file no longer holds
                continue
            try:
                objects = page_objects(page)
            finally:
                page.close()
            if objects.chars:
                items.extend(_page_items(number, objects))
            elif objects.images:
                items.extend(_scanned_page_items(path, number))
    except UnusableInput:
        raise
    except Exception as exc:  # a damaged page: PDFium or the table finder gives up
        raise UnusableInput(str(path), f"PDF 文件无法解析（{type(exc).__name__}）") from None
    finally:
        document.close()
    items = _drop_running_headers(items, pages)
    return _to_lines(items), pages


def _page_items(number: int, objects: PageObjects) -> list[_Item]:
    tables = find_tables(objects)
    boxes = [t.bbox for t in tables]

    def outside(obj: dict[str, Any]) -> bool:
        cx = (obj["x0"] + obj["x1"]) / 2
        cy = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    items: list[_Item] = []
    for line in text_lines([c for c in objects.chars if outside(c)]):
        text = line["text"].strip()
        if text and not is_page_number(text):
            items.append(_Text(number, line["top"], line["x0"], line["x1"], text))
    for table in tables:
        rows = table.extract()
        width = max((len(r) for r in rows), default=0)
        if width <= 1:  # a framed box of prose, not a table
            for row, cells in zip(table.rows, rows, strict=False):
                text = cell_text(cells[0] if cells else None)
                if text:
                    items.append(_Text(number, row.bbox[1], row.bbox[0], row.bbox[2], text))
            continue
        items.append(_Table(number, table.bbox[1], rows, row_tops=[row.bbox[1] for row in table.rows]))
    items.sort(key=lambda item: item.top)
    return items


def _place(page: int, top: float, what: str = "") -> str:
    """第3页 表格第5行（距页顶 412 点）: the page, the row, and how far down the page it starts."""
    return f"第{page}页{' ' + what if what else ''}（距页顶 {round(top)} 点）"


def _drop_running_headers(items: list[_Item], pages: int) -> list[_Item]:
    """Text repeated at the same place on most pages (a running header or footer)."""
    if pages < 3:
        return items
    seen = Counter(item.text for item in items if isinstance(item, _Text))
    repeated = {text for text, count in seen.items() if count >= max(3, pages // 2) and len(text) < 40}
    return [item for item in items if not (isinstance(item, _Text) and item.text in repeated)]


def _to_lines(items: list[_Item]) -> list[SourceLine]:
    texts = [item for item in items if isinstance(item, _Text)]
    if texts:
        left = min(t.x0 for t in texts)
        ends = sorted(t.x1 for t in texts)
        right = ends[int(0.9 * (len(ends) - 1))]  # not the max: punctuation may hang past the margin
        em = _char_width(texts)
    lines: list[SourceLine] = []
    paragraph: _Text | None = None
    last_x1 = 0.0
    for item in items:
        if isinstance(item, _Table):
            if paragraph is not None:
                lines.append(SourceLine(paragraph.text, _place(paragraph.page, paragraph.top)))
                paragraph = None
            for index, row in enumerate(item.rows, start=1):
                line = row_line([cell_text(c) for c in row if c is not None],
                                item.place or _place(item.page, item.row_tops[index - 1] if item.row_tops else item.top,
                                                     f"表格第{index}行"))
                lines.append(SourceLine(line.text, line.place, tuple(item.notes), line.grid))
            continue
        hanging = item.text[0] in _CLOSING  # punctuation that hung past the margin or box edge
        starts = paragraph is None or (not hanging and (item.x0 > left + em or last_x1 < right - 1.5 * em
                                                         or _is_heading(item.text)))
        if starts:
            if paragraph is not None:
                lines.append(SourceLine(paragraph.text, _place(paragraph.page, paragraph.top)))
            paragraph = _Text(item.page, item.top, item.x0, item.x1, item.text)
        else:
            assert paragraph is not None
            joiner = " " if paragraph.text[-1:].isascii() and item.text[:1].isascii() else ""
            paragraph.text += joiner + item.text
        last_x1 = item.x1
    if paragraph is not None:
        lines.append(SourceLine(paragraph.text, _place(paragraph.page, paragraph.top)))
    return lines


_CLOSING = "。，、；：？！）》」』”’.,;:)"
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


def _is_heading(text: str) -> bool:
    return bool(_HEADING.match(text))


def _char_width(texts: list[_Text]) -> float:
    widths = sorted((t.x1 - t.x0) / len(t.text) for t in texts if len(t.text) >= 10)
    return widths[len(widths) // 2] if widths else 10.0


def _scanned_page_items(path: Path, number: int) -> list[_Item]:
    """A page with no text layer: rendered once and read by OCR (positions back in points)."""
    from nianbao.ingest.ocr import RENDER_DPI, ocr_available, ocr_rows, render_pdf_page

    if not ocr_available():
        raise UnusableInput(str(path), f"第{number}页是扫描图像，没有文字层；读取扫描件需要 OCR 组件"
                                       "（pip install 'nianbao[ocr]'）")
    scale = 72 / RENDER_DPI
    items: list[_Item] = []
    for row in ocr_rows(render_pdf_page(str(path), number), str(path)):
        top, x0, x1 = row.top * scale, row.x0 * scale, row.x1 * scale
        if row.numeric:
            place = f"第{number}页（扫描件 OCR，距页顶 {round(top)} 点）"
            items.append(_Table(number, top, [list(row.cells)], place=place, notes=row.notes))
        elif not is_page_number(row.cells[0]):
            items.append(_Text(number, top, x0, x1, row.cells[0]))
    return items
