"""A PDF page's characters and ruling lines, read by PDFium (pypdfium2), in pdfplumber's terms.

pdfplumber's table finder (ruling lines → intersections → cells → tables) and its text
layout are what nianbao uses, but feeding them from pdfminer's pure-Python content-stream
interpreter costs ~150 ms a page. PDFium reads the same page in C++; this module turns its
character boxes and path objects into the dicts pdfplumber's functions take (top-left origin,
points), so only the slow interpreter is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

LINE_MAX_THICKNESS = 3.0  # a path thinner than this (in points) is a ruling line


@dataclass
class PageObjects:
    """What pdfplumber's ``TableFinder`` and ``Table.extract`` read from a page."""

    chars: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    bbox: tuple[float, float, float, float]
    images: int


def page_objects(page: Any) -> PageObjects:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    chars = _chars(page, height)
    edges: list[dict[str, Any]] = []
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=8):
        left, bottom, right, top = obj.get_bounds()
        edges.extend(_edges(left, height - top, right, height - bottom))
    images = sum(1 for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=8))
    return PageObjects(chars, edges, (0.0, 0.0, float(width), float(height)), images)


def _chars(page: Any, height: float) -> list[dict[str, Any]]:
    text_page = page.get_textpage()
    try:
        chars = []
        count = text_page.count_chars()
        whole = text_page.get_text_range(0, count)
        aligned = len(whole) == count  # one UTF-16 unit per character: index the whole text
        for index in range(count):
            text = whole[index] if aligned else text_page.get_text_range(index, 1)
            if not text or text in "\r\n":
                continue
            # loose boxes: the font's full line height, so that 2024 and 年 sit on one line
            left, bottom, right, top = text_page.get_charbox(index, loose=True)
            if right <= left:
                continue
            chars.append({"text": text, "x0": left, "x1": right, "top": height - top, "bottom": height - bottom,
                          "doctop": height - top, "width": right - left, "height": top - bottom,
                          "upright": True, "object_type": "char", "size": top - bottom, "fontname": "",
                          "matrix": (1, 0, 0, 1, left, bottom)})
        return chars
    finally:
        text_page.close()


def _edges(x0: float, top: float, x1: float, bottom: float) -> list[dict[str, Any]]:
    """A thin path is a line; a larger one (a cell's frame) gives its four sides."""
    width, height = x1 - x0, bottom - top
    if height <= LINE_MAX_THICKNESS < width:
        return [_edge("h", x0, x1, (top + bottom) / 2, (top + bottom) / 2)]
    if width <= LINE_MAX_THICKNESS < height:
        return [_edge("v", (x0 + x1) / 2, (x0 + x1) / 2, top, bottom)]
    if width > LINE_MAX_THICKNESS and height > LINE_MAX_THICKNESS:
        return [_edge("h", x0, x1, top, top), _edge("h", x0, x1, bottom, bottom),
                _edge("v", x0, x0, top, bottom), _edge("v", x1, x1, top, bottom)]
    return []


def _edge(orientation: str, x0: float, x1: float, top: float, bottom: float) -> dict[str, Any]:
    return {"x0": x0, "x1": x1, "top": top, "bottom": bottom, "width": x1 - x0, "height": bottom - top,
            "orientation": orientation, "object_type": "line"}


def find_tables(objects: PageObjects) -> list[Any]:
    """pdfplumber's tables (ruling-line strategy) over PDFium's objects."""
    from pdfplumber.table import TableFinder, TableSettings

    tables = [t for t in TableFinder(objects, TableSettings.resolve(None)).tables if t.rows]  # type: ignore[arg-type]
    for table in tables:  # each table reads only its own characters (extract scans them per row)
        x0, top, x1, bottom = table.bbox
        inside = [c for c in objects.chars if x0 <= (c["x0"] + c["x1"]) / 2 <= x1
                  and top <= (c["top"] + c["bottom"]) / 2 <= bottom]
        table.page = replace(objects, chars=inside)  # type: ignore[assignment]
    return tables


def text_lines(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines of text (pdfplumber's layout), each with ``text``, ``x0``, ``x1``, ``top``."""
    from pdfplumber.utils.text import chars_to_textmap

    if not chars:
        return []
    lines: list[dict[str, Any]] = chars_to_textmap(chars).extract_text_lines(strip=True, return_chars=False)
    return lines
