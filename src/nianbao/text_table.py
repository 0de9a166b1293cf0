"""Plain terminal text: a screen (file, width, colours) and box-drawn tables, without rich.

rich cost `nianbao parse` ~60 ms a run (its import and its table layout) for a few tables of
numbers. This draws the same thing: rich's heavy-head box, its column widths (the widest columns
narrowed first when the table is wider than the screen), its word wrapping inside a cell and its
"…" for a word that does not fit; tests hold the output equal to rich's.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_WIDTH = 80  # what rich assumes when no terminal tells it better
_STYLES = {"bold": "1", "dim": "2", "italic": "3", "red": "31", "green": "32", "yellow": "33",
           "bright_green": "92"}
_WORD = re.compile(r"\s*\S+\s*")
# Control characters from a report (a name, a message) never reach the terminal; our own colour
# codes do, when the screen takes colours.
_CONTROL = re.compile(r"\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Screen:
    """Where the text goes: a file, its width in cells, and whether it takes ANSI styles."""

    file: IO[str]
    width: int = DEFAULT_WIDTH
    color: bool = False

    @classmethod
    def stdout(cls) -> Screen:
        """Standard output, sized and coloured as rich would (COLUMNS, the terminal, NO_COLOR)."""
        file = sys.stdout
        terminal = _isatty(file) or bool(os.environ.get("FORCE_COLOR"))
        dumb = os.environ.get("TERM", "").lower() in ("dumb", "unknown")
        color = terminal and not dumb and "NO_COLOR" not in os.environ
        return cls(file=file, width=_width(dumb and terminal), color=color)

    @classmethod
    def of(cls, out: Screen | Console) -> Screen:
        """A screen as is, or a rich console's file, width and colour system."""
        if isinstance(out, Screen):
            return out
        return cls(file=out.file, width=out.width, color=out.color_system is not None)

    def style(self, text: str, style: str) -> str:
        """``text`` in ``style`` (space-separated names: "bold red") when the screen takes colours."""
        if not self.color or not text:
            return text
        codes = ";".join(_STYLES[name] for name in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m"

    def line(self, text: str = "") -> None:
        self.file.write(_CONTROL.sub(self._keep_colour, text) + "\n")

    def _keep_colour(self, match: re.Match[str]) -> str:
        return match.group() if self.color and len(match.group()) > 1 else ""

    def rule(self, title: str) -> None:
        """A title centred in a line of ─ across the screen (rich's ``Console.rule``)."""
        self.line(rule_line(title, self.width, self))


def _isatty(file: IO[str]) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):
        return False


def _width(dumb_terminal: bool) -> int:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    if dumb_terminal:
        return DEFAULT_WIDTH
    for descriptor in (0, 1, 2):  # rich asks stdin first: `nianbao parse x | less` gets the terminal's width
        try:
            return os.get_terminal_size(descriptor).columns
        except (OSError, ValueError):
            continue
    return DEFAULT_WIDTH


def cell_len(text: str) -> int:
    """Terminal cells of ``text``: two for a wide (CJK) character, none for a combining mark."""
    if text.isascii():
        return len(text)
    return sum(_char_len(char) for char in text)


def _char_len(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Cc", "Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def set_cell_size(text: str, total: int) -> str:
    """``text`` cut or padded with spaces to exactly ``total`` cells (a half wide character: a space)."""
    if total <= 0:
        return ""
    size = cell_len(text)
    if size <= total:
        return text + " " * (total - size)
    kept, used = [], 0
    for char in text:
        width = _char_len(char)
        if used + width > total:
            break
        kept.append(char)
        used += width
    return "".join(kept) + " " * (total - used)


def truncate(text: str, width: int) -> str:
    """At most ``width`` cells, "…" ending a cut text."""
    return set_cell_size(text, width - 1) + "…" if cell_len(text) > width else text


def rule_line(title: str, width: int, screen: Screen | None = None) -> str:
    plain = title.replace("\n", " ")
    if width < 5:
        return "─" * width
    plain = truncate(plain, width - 4)
    side = (width - cell_len(plain)) // 2
    left = "─" * (side - 1)
    right = "─" * (width - cell_len(left) - cell_len(plain) - 2)
    if screen is None:
        return f"{left} {plain} {right}"
    return f"{screen.style(left, 'bright_green')} {screen.style(plain, 'bold')} {screen.style(right, 'bright_green')}"


def wrap(text: str, width: int) -> list[str]:
    """Words (with the spaces after them) filled into lines of ``width`` cells, as rich wraps a cell."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current, used = "", 0
        for match in _WORD.finditer(paragraph):
            word = match.group()
            if used + cell_len(word.rstrip()) <= width or not current:
                current += word
                used += cell_len(word)
            else:
                lines.append(current)
                current, used = word, cell_len(word)
        lines.append(current)
    return lines


def _fit(text: str, width: int, right: bool) -> list[str]:
    if width <= 0:  # a column squeezed to its padding shows nothing, not even "…"
        return [""]
    out: list[str] = []
    for line in wrap(text, width):
        if right:
            line = truncate(line.rstrip(), width)
            out.append(" " * (width - cell_len(line)) + line)
        else:
            line = _rstrip_beyond(line, width)
            out.append(set_cell_size(truncate(line, width), width))
    return out


def _rstrip_beyond(line: str, width: int) -> str:
    """Trailing spaces dropped only as far as they overflow the width (rich's ``rstrip_end``)."""
    excess = len(line) - width  # characters, not cells: as rich counts here
    stripped = line.rstrip()
    if excess <= 0 or len(line) == len(stripped):
        return line
    return line[: len(line) - min(excess, len(line) - len(stripped))]


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False  # numbers: right-justified, header too


def draw_table(title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]],
               screen: Screen) -> list[str]:
    """The lines of a table drawn as rich draws ``Table(title=…, title_justify="left")`` on
    a console with soft wrapping: the title as is, above a heavy-head box, one space of padding."""
    widths = _column_widths(columns, rows, screen.width)
    lines: list[str] = [screen.style(title, "italic")] if title else []
    lines.append("┏" + "┳".join("━" * w for w in widths) + "┓")
    lines.extend(_row([c.header for c in columns], columns, widths, "┃", screen, "bold"))
    lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for row in rows:
        lines.extend(_row(row, columns, widths, "│", screen, ""))
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return lines


def _row(texts: Sequence[str], columns: Sequence[Column], widths: list[int], edge: str, screen: Screen,
         style: str) -> list[str]:
    cells = [_fit(text, width - 2, column.right) for text, column, width in zip(texts, columns, widths, strict=True)]
    height = max(len(cell) for cell in cells)
    if style:  # a header's words sit on its last line (rich aligns the header row to the bottom)
        cells = [[" " * (width - 2)] * (height - len(cell)) + cell for cell, width in zip(cells, widths, strict=True)]
    out = []
    for index in range(height):
        parts = []
        for cell, width in zip(cells, widths, strict=True):
            content = cell[index] if index < len(cell) else " " * (width - 2)
            if style and (core := content.strip()):
                content = content.replace(core, screen.style(core, style), 1)
            parts.append(f" {content} ")
        out.append(edge + edge.join(parts) + edge)
    return out


def _column_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], screen_width: int) -> list[int]:
    """Each column as wide as its widest cell plus padding; when the table is wider than the
    screen, the widest columns are narrowed first, then all evenly (rich's ``_collapse_widths``)."""
    available = screen_width - (len(columns) + 1)
    widths = [min(max([cell_len(c.header), *(cell_len(row[i]) for row in rows)]) + 2, max(available, 0))
              for i, c in enumerate(columns)]
    widths = [w or 1 for w in widths]
    if sum(widths) > available:
        widths = _collapse(widths, available)
        if sum(widths) > available:
            widths = _ratio_reduce(sum(widths) - available, [1] * len(widths), widths, widths)
    return widths


def _collapse(widths: list[int], available: int) -> list[int]:
    excess = sum(widths) - available
    while sum(widths) and excess > 0:
        widest = max(widths)
        second = max((w for w in widths if w != widest), default=0)
        ratios = [1 if w == widest else 0 for w in widths]
        if not widest - second:
            break
        widths = _ratio_reduce(excess, ratios, [min(excess, widest - second)] * len(widths), widths)
        excess = sum(widths) - available
    return widths


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining, out = total, []
    for ratio, maximum, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            share = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - share)
            remaining -= share
            total_ratio -= ratio
        else:
            out.append(value)
    return out
