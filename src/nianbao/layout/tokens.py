"""Lines → cells → a stream of tokens (label text, numbers, blanks) for the table readers.

A line is cut into cells by tabs, by pipes (markdown), or by runs of two or more spaces
(``pdftotext -layout``). One cell per line (web copies) needs no special case: the stream is
the same, only spread over more lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from nianbao.layout.lines import Line, forget_lines
from nianbao.normalize import BLANK_MARKS, Amount, is_blank_mark, norm_label, parse_number

TokenKind = Literal["text", "num", "blank"]

_LAYOUT_GAP = re.compile(r"\s{2,}|\u3000+")
_MARKDOWN_RULE = re.compile(r"^[\s|:\-]+$")
# A label with digits glued to its end: 行政规范性文件693665 (no separator at all).
_FUSED = re.compile(r"^(?P<label>.*[\u4e00-\u9fff)\]）”])(?P<gap>\s*)(?P<digits>\d+(?:\.\d+)?)(?P<unit>万元|元)?$")
_SPACED_NUMBERS = re.compile(r"^[+\-]?\d[\d,.]*(?:\s+[+\-]?\d[\d,.]*)+$")


@dataclass(slots=True, unsafe_hash=True)  # not frozen: a frozen __init__ is slow for records made by the thousand
class Token:
    kind: TokenKind
    raw: str
    line: int
    norm: str = ""  # matching form, for text tokens
    value: Amount | None = None  # for num tokens
    unit: str | None = None  # unit printed in the cell (元, 万元, 件 …)
    fused: bool = False  # digits glued to a label: may hold several cells


@lru_cache(maxsize=1 << 15)
def split_cells(text: str) -> tuple[str, ...]:
    """The cells of a line (cached: reports repeat the same rows and lines)."""
    if "\t" in text:
        cells = text.split("\t")
    elif text.count("|") >= 2 or text.rstrip().endswith("|"):
        if _MARKDOWN_RULE.match(text):
            return ()
        cells = text.strip().strip("|").split("|")
    else:
        cells = _LAYOUT_GAP.split(text.strip())
    return tuple([cell.strip() for cell in cells])


def printed_cells(text: str) -> int:
    """How many non-empty cells a line holds; cheap for the common line of running text."""
    if "\t" not in text and "|" not in text and "  " not in text and text.isprintable():
        return 1 if text.strip() else 0  # no separator of any kind (isprintable: no other whitespace)
    return sum(1 for cell in split_cells(text) if cell)


def is_prose(cell: str) -> bool:
    """Narrative sentences are never table cells (their numbers are not table values)."""
    return "。" in cell or "；" in cell or (len(cell) >= 40 and "，" in cell)


def line_tokens(line: Line) -> list[Token]:
    """The tokens of one line; [] for chrome, blank and prose lines."""
    return list(shared_line_tokens(line))


def shared_line_tokens(line: Line) -> tuple[Token, ...]:
    """``line_tokens`` as a tuple shared by every caller (and every report) that tokenises the
    same text at the same line number: the tokens are read-only."""
    if line.chrome or line.blank:
        return ()
    return _numbered_tokens(line.text, line.grid, line.number)


def region_tokens(lines: Iterable[Line]) -> list[Token]:
    """The tokens of every line, in order (``shared_line_tokens`` of each, one call for them all)."""
    tokens: list[Token] = []
    for line in lines:
        if not line.chrome and not line.blank:
            tokens.extend(_numbered_tokens(line.text, line.grid, line.number))
    return tokens


@lru_cache(maxsize=1 << 15)
def _numbered_tokens(text: str, grid: bool, number: int) -> tuple[Token, ...]:
    # Cached: nine table lines in ten recur in later reports at the same line number, and
    # making their Token records was a tenth of the parse.
    return tuple([Token(kind, raw, number, norm, value, unit, fused)
                  for kind, raw, norm, value, unit, fused in _text_tokens(text, grid)])


# A table value needs a digit or a blank mark; a line with neither is text whatever its cells.
_VALUE_CHARACTER = re.compile("[\\d" + re.escape("".join(sorted(set("".join(BLANK_MARKS)) - {" "}))) + "]")


@lru_cache(maxsize=1 << 15)  # by text: most lines recur from one report to the next
def is_running_text(text: str, grid: bool = False) -> bool:
    """Whether a (non-blank) line is running text: no number or blank mark in a cell of its own."""
    if "。" in text or not _VALUE_CHARACTER.search(text):
        return True  # a sentence is never cut into cells (is_prose)
    return all(kind == "text" for kind, *_ in _text_tokens(text, grid))


_Proto = tuple[TokenKind, str, str, Amount | None, str | None, bool]  # a Token without its line


@lru_cache(maxsize=1 << 15)
def _text_tokens(text: str, grid: bool = False) -> tuple[_Proto, ...]:
    cells = split_cells(text)
    if ("。" in text or "；" in text or "，" in text) and any(is_prose(cell) for cell in cells):
        return ()  # (the marks is_prose looks for, first tested on the whole line)
    # In a row of a real grid (a reader's table row, a markdown table) every field after the
    # label is a column: an empty one is a blank in its place, before, between or after the
    # numbers. Typed text rows lose and gain empty fields (domain.md §6.D): only gaps between
    # numbers count there.
    values_from = _after_label(cells) if grid or _is_pipe_row(text) else len(cells)
    tokens: list[_Proto] = []
    pending_gaps = 0  # empty cells seen since the last number (positional blanks, tabs only)
    for index, cell in enumerate(cells):
        if not cell:
            if index >= values_from:
                tokens.append(("blank", "", "", None, None, False))
            elif tokens and tokens[-1][0] != "text":
                pending_gaps += 1
            continue
        new = _cell_tokens(cell)
        if new and new[0][0] != "text" and pending_gaps:
            tokens.extend(("blank", "", "", None, None, False) for _ in range(pending_gaps))
        pending_gaps = 0
        tokens.extend(new)
    return tuple(tokens)


def _after_label(cells: tuple[str, ...]) -> int:
    """The index of the first field after the row's last text cell (where its values start):
    0 for a row of values only (表四's one row under its headers), past the end for a row with
    no number (a header row, or a label printed without values: nothing to place)."""
    if not any(cell and _cell_tokens(cell)[0][0] == "num" for cell in cells):
        return len(cells)
    for index in range(len(cells) - 1, -1, -1):
        cell = cells[index]
        if cell and any(kind == "text" for kind, *_ in _cell_tokens(cell)):
            return index + 1
    return 0


def _is_pipe_row(text: str) -> bool:
    return "\t" not in text and (text.count("|") >= 2 or text.rstrip().endswith("|"))


@lru_cache(maxsize=1 << 15)
def _cell_tokens(cell: str) -> tuple[_Proto, ...]:
    number = parse_number(cell)
    if number is not None:
        return (("num", cell, "", number.value, number.unit, False),)
    if is_blank_mark(cell):
        return (("blank", cell, "", None, None, False),)
    if _SPACED_NUMBERS.match(cell):
        return tuple(tok for part in cell.split() for tok in _cell_tokens(part))
    fused = _FUSED.match(cell)
    if fused:
        label = fused.group("label")
        digits = fused.group("digits")
        glued = not fused.group("gap") and digits.isdigit()
        unit = fused.group("unit")
        value = int(digits) if digits.isdigit() else Decimal(digits)
        return (("text", label, norm_label(label), None, None, False),
                ("num", digits + (unit or ""), "", value, unit, glued and len(digits) > 1))
    return (("text", cell, norm_label(cell), None, None, False),)


def clear_line_cache() -> None:
    """Forget the cells and tokens of lines seen so far (benchmarks measure reports never seen
    before). Cell-level caches (labels, numbers) stay: they recur in every report."""
    _text_tokens.cache_clear()
    _numbered_tokens.cache_clear()
    is_running_text.cache_clear()
    split_cells.cache_clear()
    forget_lines()


def tokenize(lines: list[Line]) -> list[Token]:
    return [tok for line in lines for tok in line_tokens(line)]
