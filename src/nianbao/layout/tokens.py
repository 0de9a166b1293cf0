"""Lines → cells → a stream of tokens (label text, numbers, blanks) for the table readers.

A line is cut into cells by tabs, by pipes (markdown), or by runs of two or more spaces
(``pdftotext -layout``). One cell per line (web copies) needs no special case: the stream is
the same, only spread over more lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from nianbao.layout.lines import Line
from nianbao.normalize import is_blank_mark, norm_label, parse_number

TokenKind = Literal["text", "num", "blank"]

_LAYOUT_GAP = re.compile(r"\s{2,}|\u3000+")
_MARKDOWN_RULE = re.compile(r"^[\s|:\-]+$")
# A label with digits glued to its end: 行政规范性文件693665 (no separator at all).
_FUSED = re.compile(r"^(?P<label>.*[\u4e00-\u9fff)\]）”])(?P<gap>\s*)(?P<digits>\d+(?:\.\d+)?)(?P<unit>万元|元)?$")
_SPACED_NUMBERS = re.compile(r"^[+\-]?\d[\d,.]*(?:\s+[+\-]?\d[\d,.]*)+$")


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    raw: str
    line: int
    norm: str = ""  # matching form, for text tokens
    value: Decimal | None = None  # for num tokens
    unit: str | None = None  # unit printed in the cell (元, 万元, 件 …)
    fused: bool = False  # digits glued to a label: may hold several cells


def split_cells(text: str) -> list[str]:
    if "\t" in text:
        cells = text.split("\t")
    elif text.count("|") >= 2 or text.rstrip().endswith("|"):
        if _MARKDOWN_RULE.match(text):
            return []
        cells = text.strip().strip("|").split("|")
    else:
        cells = _LAYOUT_GAP.split(text.strip())
    return [cell.strip() for cell in cells]


def is_prose(cell: str) -> bool:
    """Narrative sentences are never table cells (their numbers are not table values)."""
    return "。" in cell or "；" in cell or (len(cell) >= 40 and "，" in cell)


def line_tokens(line: Line) -> list[Token]:
    """The tokens of one line; [] for chrome, blank and prose lines."""
    if line.chrome or line.blank:
        return []
    cells = split_cells(line.text)
    if any(is_prose(cell) for cell in cells):
        return []
    tokens: list[Token] = []
    pending_gaps = 0  # empty cells seen since the last number (positional blanks, tabs only)
    for cell in cells:
        if not cell:
            if tokens and tokens[-1].kind != "text":
                pending_gaps += 1
            continue
        new = _cell_tokens(cell, line.number)
        if new and new[0].kind != "text" and pending_gaps:
            tokens.extend(Token(kind="blank", raw="", line=line.number) for _ in range(pending_gaps))
        pending_gaps = 0
        tokens.extend(new)
    return tokens


def _cell_tokens(cell: str, line: int) -> list[Token]:
    number = parse_number(cell)
    if number is not None:
        return [Token(kind="num", raw=cell, line=line, value=number.value, unit=number.unit)]
    if is_blank_mark(cell):
        return [Token(kind="blank", raw=cell, line=line)]
    if _SPACED_NUMBERS.match(cell):
        return [tok for part in cell.split() for tok in _cell_tokens(part, line)]
    fused = _FUSED.match(cell)
    if fused:
        label = fused.group("label")
        digits = fused.group("digits")
        glued = not fused.group("gap") and digits.isdigit()
        text = Token(kind="text", raw=label, line=line, norm=norm_label(label))
        unit = fused.group("unit")
        return [text, Token(kind="num", raw=digits + (unit or ""), line=line, value=Decimal(digits),
                            unit=unit, fused=glued and len(digits) > 1)]
    return [Token(kind="text", raw=cell, line=line, norm=norm_label(cell))]


def tokenize(lines: list[Line]) -> list[Token]:
    return [tok for line in lines for tok in line_tokens(line)]
