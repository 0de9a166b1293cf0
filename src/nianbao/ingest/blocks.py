"""What every format reader produces: the report as lines of text, each with its place.

A reader (PDF, HTML, DOCX) turns its source into ``SourceLine`` records: paragraphs as one
line each, and every table row as one line of tab-separated cells, the layout the text
pipeline reads best. Merged cells appear once, in their first row and column; an empty cell
stays an empty field between tabs. ``place`` says where the line is in the source (page,
table row) so that every number can be traced back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACED_DIGITS = re.compile(r"^[\d,.\s]+$")
_INNER_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SourceLine:
    text: str
    place: str | None = None
    notes: tuple[str, ...] = ()  # what the reader doubts about this line (low OCR confidence …)
    grid: bool = False  # a table row of the source: every field after its label is a column, empty or not


def cell_text(text: str | None) -> str:
    """One table cell as one field: wrapped lines joined (CJK wraps need no space), tabs gone,
    and a number the source cut into pieces (``1 077 980``) made whole again — a ruled cell
    holds one value."""
    if not text:
        return ""
    lines = [part.strip() for part in text.replace("\t", " ").splitlines()]
    joined = _join_wrapped(lines)
    if _SPACED_DIGITS.match(joined) and any(ch.isdigit() for ch in joined):
        return _INNER_SPACE.sub("", joined)
    return joined


def _join_wrapped(parts: list[str]) -> str:
    out = ""
    for part in filter(None, parts):
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "  # two Latin words or numbers wrapped apart keep a space
        out += part
    return out


def row_line(cells: list[str], place: str | None) -> SourceLine:
    """A table row as tab-separated cells; a row with a single filled cell is plain text."""
    filled = [c for c in cells if c]
    if len(filled) <= 1:
        return SourceLine(filled[0] if filled else "", place)
    return SourceLine("\t".join(cells), place, grid=True)
