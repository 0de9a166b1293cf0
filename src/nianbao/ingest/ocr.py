"""Scanned pages and images → lines, by OCR (rapidocr with its bundled models, offline).

The OCR engine gives text boxes; boxes are grouped into rows by their vertical centres and
read left to right. In a row with numbers, the label boxes become one cell and each number a
cell of its own; a gap between two numbers wider than the row's usual column spacing is an
empty field (a cell the engine missed), so the table identities can solve it. A number read
with low confidence is not guessed: its cell is left empty and a note says so.
"""

from __future__ import annotations

import itertools
import logging
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nianbao.errors import UnusableInput
from nianbao.normalize import clean_text, parse_number

RENDER_DPI = 150
MIN_SCORE = 0.8  # below this a number is not trusted
GAP_FACTOR = 1.6  # a gap this many times the usual column spacing holds a missed cell
REREAD_SCALE = 2  # a low-confidence box is recognised again at this enlargement


@dataclass
class OcrRow:
    top: float
    x0: float
    x1: float
    cells: list[str]  # one cell for a line of text; label + numbers (with empty fields) for a table row
    numeric: bool
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


def ocr_available() -> bool:
    try:
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _engine() -> Any:
    from rapidocr import RapidOCR

    # Its warnings are coloured lines on stderr for what we report ourselves (no text found).
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    params: dict[str, Any] = {"Global.log_level": "error"}
    # onnxruntime takes every core for one page by default; NIANBAO_OCR_THREADS=1 keeps each
    # worker (a process or a Dask worker) on one core, so N workers scale on N cores.
    threads = os.environ.get("NIANBAO_OCR_THREADS", "").strip()
    if threads.isdigit() and int(threads) > 0:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(threads)
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    return RapidOCR(params=params)


def ocr_rows(image: Any, name: str) -> list[OcrRow]:
    """The rows of one page image (a PIL image or a numpy array)."""
    if not ocr_available():
        raise UnusableInput(name, "扫描件需要 OCR 组件：pip install 'nianbao[ocr]'"
                                  "（rapidocr + onnxruntime，模型随包提供）")
    import numpy

    try:
        page = image.convert("RGB")
        # No angle classifier: it turns lone digits upside down (9 → 6). The flags persist: always say all.
        result = _engine()(numpy.asarray(page), use_det=True, use_cls=False, use_rec=True)
    except MemoryError:
        raise UnusableInput(name, "图片过大，内存不足以识别") from None
    except Exception as exc:  # the engine on an image it cannot take (degenerate size, odd mode)
        raise UnusableInput(name, f"OCR 无法识别此图片（{type(exc).__name__}）") from None
    if result.boxes is None or result.txts is None:
        return []
    boxes = [_Box(float(min(p[0] for p in box)), float(min(p[1] for p in box)), float(max(p[0] for p in box)),
                  float(max(p[1] for p in box)), clean_text(str(text)).strip(), float(score))
             for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True) if str(text).strip()]
    return [_row(group, lambda box: _reread(page, box)) for group in _group_rows(boxes)]


def _reread(page: Any, box: _Box) -> _Box:
    """A doubtful box read again, enlarged: small lone digits are recognised far more surely so."""
    import numpy

    pad = 4
    crop = page.crop((box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad))
    crop = crop.resize((crop.width * REREAD_SCALE, crop.height * REREAD_SCALE))
    result = _engine()(numpy.asarray(crop), use_det=False, use_cls=False, use_rec=True)
    if not result.txts:
        return box
    text, score = clean_text(str(result.txts[0])).strip(), float(result.scores[0])
    return _Box(box.x0, box.y0, box.x1, box.y1, text, score) if score > box.score else box


def _group_rows(boxes: list[_Box]) -> list[list[_Box]]:
    if not boxes:
        return []
    height = statistics.median(b.y1 - b.y0 for b in boxes)
    rows: list[list[_Box]] = []
    for box in sorted(boxes, key=lambda b: b.cy):
        if rows and abs(box.cy - statistics.fmean(b.cy for b in rows[-1])) <= 0.5 * height:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.x0) for row in rows]


def _is_number(text: str) -> bool:
    return parse_number(text.replace(" ", "")) is not None


def _row(boxes: list[_Box], reread: Callable[[_Box], _Box] | None = None) -> OcrRow:
    top, x0, x1 = min(b.y0 for b in boxes), boxes[0].x0, boxes[-1].x1
    numbers = [b for b in boxes if _is_number(b.text)]
    if not numbers:
        return OcrRow(top, x0, x1, ["".join(b.text for b in boxes)], numeric=False)
    steps = [b.cx - a.cx for a, b in itertools.pairwise(numbers)]
    usual = statistics.median(steps) if steps else 0.0
    cells: list[str] = []
    notes: list[str] = []
    label: list[str] = []
    previous: _Box | None = None
    for box in boxes:
        if box not in numbers:
            label.append(box.text)
            continue
        if label:
            cells.append("".join(label))
            label = []
        if previous is not None and usual and box.cx - previous.cx > GAP_FACTOR * usual:
            cells.extend([""] * (round((box.cx - previous.cx) / usual) - 1))
        if box.score < MIN_SCORE and reread is not None:
            box = reread(box)
        if box.score < MIN_SCORE or not _is_number(box.text):
            cells.append("")
            notes.append(f"OCR 识别“{box.text}”的置信度低（{box.score:.2f}），该格按空白处理")
        else:
            cells.append(box.text.replace(" ", ""))
        previous = box
    if label:
        cells.append("".join(label))
    return OcrRow(top, x0, x1, cells, numeric=True, notes=notes)


def render_pdf_page(path: str, number: int) -> Any:
    """One PDF page as an image at RENDER_DPI (pypdfium2), for OCR."""
    import pypdfium2

    from nianbao.ingest.limits import check_pixels

    document = pypdfium2.PdfDocument(path)
    try:
        page = document[number - 1]
        width, height = page.get_size()  # points
        scale = RENDER_DPI / 72
        check_pixels(path, round(width * scale), round(height * scale), f"第{number}页按 {RENDER_DPI} dpi 渲染后")
        return page.render(scale=scale).to_pil()
    finally:
        document.close()
