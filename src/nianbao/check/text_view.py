"""Many lines searched as one text: one regex scan instead of a Python loop over lines."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

from nianbao.layout.lines import Line


@dataclass(frozen=True)
class TextView:
    """Lines joined by newlines. Patterns searched here must not match a newline (use
    ``[^\\S\\n]`` for "whitespace"), so that every match lies on one line."""

    lines: list[Line]
    text: str

    @classmethod
    def of(cls, lines: list[Line]) -> TextView:
        return cls(lines, "\n".join([line.text for line in lines]))

    @cached_property
    def starts(self) -> list[int]:
        """The offset of each line in ``text``: made on the first match only (most searches find none)."""
        if not self.lines:
            return []
        return list(accumulate([len(line.text) + 1 for line in self.lines[:-1]], initial=0))

    def line_at(self, offset: int) -> int:
        """The index in ``lines`` of the line holding ``offset``."""
        return bisect_right(self.starts, offset) - 1

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[tuple[Line, re.Match[str]]]:
        """Each match with the line it lies on."""
        for found in pattern.finditer(self.text):
            yield self.lines[self.line_at(found.start())], found

    def lines_matching(self, pattern: re.Pattern[str]) -> list[Line]:
        """The lines holding a match, in order, each once (a pattern that cannot match empty text)."""
        # Once a line holds a match, the search goes on from the next line: one step per line
        # found instead of one per match (a cue word may occur ten times in a line).
        found_lines: list[Line] = []
        position = 0
        last = len(self.lines) - 1
        while (found := pattern.search(self.text, position)) is not None:
            index = self.line_at(found.start())
            found_lines.append(self.lines[index])
            if index >= last:
                break
            position = self.starts[index + 1]
        return found_lines

    def search(self, pattern: re.Pattern[str]) -> tuple[Line, re.Match[str]] | None:
        return next(self.finditer(pattern), None)

    def contains(self, pattern: re.Pattern[str]) -> bool:
        """Whether any line holds a match (no line looked up)."""
        return pattern.search(self.text) is not None
