"""Many lines searched as one text: one regex scan instead of a Python loop over lines."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from nianbao.layout.lines import Line


@dataclass
class TextView:
    """Lines joined by newlines. Patterns searched here must not match a newline (use
    ``[^\\S\\n]`` for "whitespace"), so that every match lies on one line."""

    lines: list[Line]
    text: str = field(init=False)
    starts: list[int] = field(init=False)  # the offset of each line in ``text``

    def __post_init__(self) -> None:
        self.text = "\n".join(line.text for line in self.lines)
        self.starts = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line.text) + 1

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[tuple[Line, re.Match[str]]]:
        """Each match with the line it lies on."""
        for found in pattern.finditer(self.text):
            yield self.lines[bisect_right(self.starts, found.start()) - 1], found

    def search(self, pattern: re.Pattern[str]) -> tuple[Line, re.Match[str]] | None:
        return next(self.finditer(pattern), None)
