"""Many lines searched as one text: one regex scan instead of a Python loop over lines."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from nianbao.layout.lines import Line
from nianbao.layout.tokens import printed_cells

# A gap between cells of a row (the layout's two spaces or more, or an ideographic space).
_GAP = re.compile(r"\s{2,}|\u3000+")


@dataclass
class TextView:
    """Lines joined by newlines. Patterns searched here must not match a newline (use
    ``[^\\S\\n]`` for "whitespace"), so that every match lies on one line."""

    lines: list[Line]
    text: str
    # made on the first match only (most searches find none); a plain attribute, not a
    # cached_property, which a mypyc-compiled class would ignore
    _starts: list[int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, lines: list[Line]) -> TextView:
        return cls(lines, "\n".join([line.text for line in lines]))

    @property
    def starts(self) -> list[int]:
        """The offset of each line in ``text``."""
        if self._starts is None:
            self._starts = list(accumulate([len(line.text) + 1 for line in self.lines[:-1]], initial=0)) \
                if self.lines else []
        return self._starts

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[tuple[Line, re.Match[str]]]:
        """Each match with the line it lies on."""
        for found in pattern.finditer(self.text):
            yield self.lines[bisect_right(self.starts, found.start()) - 1], found

    def lines_matching(self, pattern: re.Pattern[str]) -> list[Line]:
        """The lines holding a match, in order, each once."""
        return [self.lines[index] for index in self.indices_matching(pattern)]

    def indices_matching(self, pattern: re.Pattern[str]) -> list[int]:
        """The indices in ``lines`` of the lines holding a match, ascending, each once."""
        # Once a line holds a match, the search goes on from the next line: one step per line
        # found instead of one per match (a cue word may occur ten times in a line).
        found_lines: list[int] = []
        found = pattern.search(self.text)
        if found is None:
            return found_lines
        starts = self.starts
        last = len(self.lines) - 1
        while found is not None:
            index = bisect_right(starts, found.start()) - 1
            found_lines.append(index)
            if index >= last:
                break
            found = pattern.search(self.text, starts[index + 1])
        return found_lines

    def search(self, pattern: re.Pattern[str]) -> tuple[Line, re.Match[str]] | None:
        return next(self.finditer(pattern), None)

    def contains(self, pattern: re.Pattern[str]) -> bool:
        """Whether any line holds a match (no line looked up)."""
        return pattern.search(self.text) is not None


def content_lines(lines: list[Line]) -> list[Line]:
    """The lines that are not web-page chrome or a page number."""
    return [line for line in lines if not line.chrome]


def running_lines(content: TextView) -> list[Line]:
    """The lines of running text among the content lines: not blank, not a table row (one cell at most)."""
    if "\t" in content.text or "|" in content.text:
        return [line for line in content.lines if not line.blank and one_cell_at_most(line.text)]
    # no tab or pipe in any line (the common case): a line's cells are cut at gaps only
    return [line for line in content.lines if not line.blank and _no_gap(line.text)]


def one_cell_at_most(text: str) -> bool:
    """``printed_cells(text) <= 1``, told without splitting the line into cells: with no tab and
    no pipe, the cells are the stripped line cut at gaps, so one cell at most means no gap in it."""
    if "\t" in text or "|" in text:
        return printed_cells(text) <= 1
    return _no_gap(text)


def _no_gap(text: str) -> bool:
    """Whether the stripped text holds no gap (a line with no tab and no pipe)."""
    body = text.strip()
    return ("  " not in body and body.isprintable()) or _GAP.search(body) is None
