"""Many lines searched as one text: one regex scan instead of a Python loop over lines."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from nianbao.layout.lines import Line


@dataclass(frozen=True)
class TextView:
    """Lines joined by newlines. Patterns searched here must not match a newline (use
    ``[^\\S\\n]`` for "whitespace"), so that every match lies on one line."""

    lines: list[Line]
    text: str
    starts: list[int]  # the offset of each line in ``text``

    @classmethod
    def of(cls, lines: list[Line]) -> TextView:
        starts = []
        offset = 0
        for line in lines:
            starts.append(offset)
            offset += len(line.text) + 1
        return cls(lines, "\n".join(line.text for line in lines), starts)

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[tuple[Line, re.Match[str]]]:
        """Each match with the line it lies on."""
        for found in pattern.finditer(self.text):
            yield self.lines[bisect_right(self.starts, found.start()) - 1], found

    def lines_matching(self, pattern: re.Pattern[str]) -> list[Line]:
        """The lines holding a match, in order, each once."""
        return list({line.number: line for line, _ in self.finditer(pattern)}.values())

    def search(self, pattern: re.Pattern[str]) -> tuple[Line, re.Match[str]] | None:
        return next(self.finditer(pattern), None)
