"""Reports as plain text with the layout damage real copies carry.

Each layout turns the renderer's blocks into text the way one real channel does: a copy of a
web page (one cell per line, chrome around it), a tab-separated export, ``pdftotext -layout``
output (cells aligned by spaces, page numbers inside tables, labels wrapped onto the line of
their numbers). Damage never loses information a reader could not recover: a vanished cell is
always one the table's identities force.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from nianbao.render.model import Block, GridCell

TextLayout = Callable[[list[Block], random.Random], list[str]]

CHROME_TOP = ["首页 > 政府信息公开 > 政府信息公开年报", "【字体：大 中 小】 打印本页 关闭窗口"]
CHROME_BOTTOM = ["【上一篇】关于印发年度工作要点的通知", "【下一篇】政务公开专栏维护说明",
                 "主办单位：示范县人民政府办公室  网站标识码：0000000000", "示ICP备00000000号-1"]
WRAP_AT = 14  # labels longer than this may wrap in a PDF table cell


def _rows(block: Block) -> list[list[GridCell | None]]:
    assert block.grid is not None
    return block.grid.expanded()


def _prose(block: Block) -> list[str]:
    if block.kind == "paragraph":
        return ["　　" + block.text, ""]
    return [block.text, ""]


def tab_rows(blocks: list[Block], rng: random.Random) -> list[str]:
    """A spreadsheet or word-processor export: one row per line, cells separated by tabs."""
    lines: list[str] = []
    for block in blocks:
        if block.kind != "table":
            lines += _prose(block)
            continue
        for row in _rows(block):
            lines.append("\t".join(cell.text for cell in row if cell is not None))
        lines.append("")
    return lines


def cell_per_line(blocks: list[Block], rng: random.Random) -> list[str]:
    """A browser copy of a web page: every table cell on its own line, blank cells gone."""
    lines = [*CHROME_TOP, ""]
    for block in blocks:
        if block.kind != "table":
            lines += _prose(block)
            continue
        for row in _rows(block):
            for cell in row:
                if cell is not None and cell.text:
                    lines += [cell.text + " ", ""]
    return [*lines, "", *CHROME_BOTTOM]


def pdftotext_layout(blocks: list[Block], rng: random.Random) -> list[str]:
    """``pdftotext -layout``: cells aligned by runs of spaces, long labels wrapped so that their
    first part stands alone above the line with the numbers, and a page break (form feed and a
    ``-N-`` page number) somewhere inside a table."""
    lines: list[str] = []
    page = 1
    for block in blocks:
        if block.kind != "table":
            lines += ["   " + part for part in _wrap(block.text)] + [""]
            continue
        rows = _rows(block)
        break_at = rng.randrange(2, len(rows)) if len(rows) > 4 else -1
        vertical = _vertical_labels(block) if rng.random() < 0.5 else {}
        for index, row in enumerate(rows):
            if index == break_at:
                lines += ["", f"{' ' * 40}-{page}-", "\f"]
                page += 1
            cells = [cell.text for cell in row if cell is not None and cell.text and id(cell) not in vertical]
            if index in vertical.get("rows", {}):
                cells.insert(0, vertical["rows"][index])
            label = cells[0] if cells and not cells[0][:1].isdigit() else ""
            if label and len(label) > WRAP_AT and len(cells) > 1 and rng.random() < 0.5:
                cut = rng.randint(6, WRAP_AT)
                lines.append("      " + label[:cut])
                cells = [label[cut:], *cells[1:]]
            lines.append("      " + "    ".join(cells))
        lines.append("")
    return lines


def _vertical_labels(block: Block) -> dict[Any, Any]:
    """A tall merged label cell printed vertically (三、本年度办理结果): pdftotext gives its
    characters one per line, beside the rows in the middle of its span, so a lone ``理``
    stands before a row's own label."""
    assert block.grid is not None
    found: dict[Any, Any] = {"rows": {}}
    for r, c, cell in block.grid.origins():
        if c == 0 and cell.header and cell.rowspan >= len(cell.text) >= 4:
            found[id(cell)] = True
            start = r + (cell.rowspan - len(cell.text)) // 2
            for offset, char in enumerate(cell.text):
                found["rows"][start + offset] = char
    return found


def split_digits(blocks: list[Block], rng: random.Random) -> None:
    """Numbers a PDF or a web page drew in pieces: ``1 077 980``, ``2 4`` (one cell each)."""
    for block in blocks:
        if block.grid is None:
            continue
        for row in block.grid.rows:
            for cell in row:
                if cell.key and cell.text.isdigit() and len(cell.text) >= 2 and rng.random() < 0.4:
                    text = cell.text
                    if len(text) > 3:
                        head = len(text) % 3 or 3
                        cell.text = " ".join([text[:head], *(text[i:i + 3] for i in range(head, len(text), 3))])
                    else:
                        cell.text = " ".join(text)


def _wrap(text: str, width: int = 34) -> list[str]:
    """Prose wrapped near the page width, at a comma or full stop (never inside a number)."""
    out: list[str] = []
    current = ""
    for piece in re.split(r"(?<=[，。；：])", text):
        if current and len(current) + len(piece) > width:
            out.append(current)
            current = ""
        current += piece
    return [*out, current] if current else out


TEXT_LAYOUTS: dict[str, TextLayout] = {"tab": tab_rows, "cell": cell_per_line, "pdftotext": pdftotext_layout}
