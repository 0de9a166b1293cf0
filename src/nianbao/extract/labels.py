"""Find which template row a run of label text names, however the layout cut it.

The text before a row's numbers may hold the tail of the previous label, a merged parent
label, fragments of a vertical label, or only the start of a wrapped label. The row's own
label is the one that ends last; a prefix of at least ``PREFIX_MIN`` characters is enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nianbao.layout.sections import strip_enumerator
from nianbao.normalize import norm_label
from nianbao.templates import BlockSpec, RowSpec, TableSpec

PREFIX_MIN = 6
BARE_MIN = 4  # a label without its enumerator must keep this many characters to count
MatchKind = Literal["exact", "bare", "variant", "prefix"]


@dataclass(frozen=True, slots=True)
class RowLabel:
    index: int  # template order
    block: BlockSpec
    row: RowSpec
    canonical: str
    bare: str | None
    variants: tuple[str, ...]
    probes: tuple[str, ...]  # short strings one of which any match must contain (a cheap filter)


@dataclass(frozen=True, slots=True)
class Hit:
    label: RowLabel
    start: int
    end: int
    kind: MatchKind
    text: str  # the matched text (normalised)


_MATCHERS: dict[int, LabelMatcher] = {}


def matcher_for(table: TableSpec) -> LabelMatcher:
    """One matcher per table description (descriptions are loaded once and never change;
    keyed by identity because hashing a pydantic model walks all of it)."""
    matcher = _MATCHERS.get(id(table))
    if matcher is None or matcher.table is not table:
        matcher = _MATCHERS[id(table)] = LabelMatcher(table)
    return matcher


class LabelMatcher:
    def __init__(self, table: TableSpec) -> None:
        self.table = table
        self.labels: list[RowLabel] = []
        for index, (block, row) in enumerate(table.rows(unmapped=True)):
            canonical = norm_label(row.label)
            stripped = strip_enumerator(canonical)
            bare = stripped if stripped != canonical and len(stripped) >= BARE_MIN else None
            variants = tuple(norm_label(v) for v in row.variants)
            starts = tuple(text[: min(PREFIX_MIN, len(text))] for text in (canonical, bare) if text)
            self.labels.append(RowLabel(index=index, block=block, row=row, canonical=canonical, bare=bare,
                                        variants=variants, probes=starts + variants))
        # Labels by the first two characters of their probes: a buffer is only tested against
        # the labels one of whose probes can start somewhere in it.
        self._by_bigram: dict[str, set[int]] = {}
        self._hits: dict[str, tuple[Hit, ...]] = {}
        self._chosen: dict[tuple[str, int], tuple[Hit | None, tuple[Hit, ...]]] = {}
        self._short: set[int] = set()  # labels with a one-character probe: always tested
        for label in self.labels:
            for probe in label.probes:
                if len(probe) < 2:
                    self._short.add(label.index)
                else:
                    self._by_bigram.setdefault(probe[:2], set()).add(label.index)

    def hits(self, buffer: str) -> list[Hit]:
        """The best match of every row label found in ``buffer`` (cached: the label text of a
        table is much the same from one report to the next)."""
        found = self._hits.get(buffer)
        if found is None:
            if len(self._hits) > 1 << 14:
                self._hits.clear()
            found = self._hits[buffer] = self._find_hits(buffer)
        return list(found)

    def _find_hits(self, buffer: str) -> tuple[Hit, ...]:
        indexes = set(self._short)
        for i in range(len(buffer) - 1):
            found_here = self._by_bigram.get(buffer[i:i + 2])
            if found_here:
                indexes.update(found_here)
        found = []
        for index in sorted(indexes):
            label = self.labels[index]
            if not any(probe in buffer for probe in label.probes):
                continue
            hit = _best_hit(label, buffer)
            if hit is not None:
                found.append(hit)
        return tuple(found)

    def choose(self, buffer: str, after: int) -> tuple[Hit | None, list[Hit]]:
        """The row these numbers belong to, and every label hit in the buffer.

        Rows after ``after`` (template order) are preferred; a row before it is taken only when
        nothing later matches. Cached as ``hits`` is: the same label text after the same row
        recurs in report after report.
        """
        chosen = self._chosen.get((buffer, after))
        if chosen is None:
            if len(self._chosen) > 1 << 14:
                self._chosen.clear()
            hits = self.hits(buffer)
            chosen = self._chosen[buffer, after] = (self._choose(hits, after), tuple(hits))
        return chosen[0], list(chosen[1])

    @staticmethod
    def _choose(hits: list[Hit], after: int) -> Hit | None:
        later = [h for h in hits if h.label.index > after] or hits
        if not later:
            return None
        return max(later, key=lambda h: (h.end, h.end - h.start, h.kind != "prefix", -abs(h.label.index - after)))


def _best_hit(label: RowLabel, buffer: str) -> Hit | None:
    candidates: list[Hit] = []
    start = buffer.rfind(label.canonical)
    if start >= 0:
        candidates.append(Hit(label, start, start + len(label.canonical), "exact", label.canonical))
    if label.bare:
        start = buffer.rfind(label.bare)
        if start >= 0:
            candidates.append(Hit(label, start, start + len(label.bare), "bare", label.bare))
    for variant in label.variants:
        start = buffer.rfind(variant)
        if start >= 0:
            candidates.append(Hit(label, start, start + len(variant), "variant", variant))
    if not any(c.kind == "exact" for c in candidates):
        for text in filter(None, (label.canonical, label.bare)):
            size = _longest_prefix(text, buffer)
            if size >= min(PREFIX_MIN, len(text)) and size < len(text):
                start = buffer.rfind(text[:size])
                candidates.append(Hit(label, start, start + size, "prefix", text[:size]))
    if not candidates:
        return None
    order = {"exact": 3, "bare": 2, "variant": 1, "prefix": 0}
    return max(candidates, key=lambda h: (h.end - h.start, order[h.kind]))


def _longest_prefix(text: str, buffer: str) -> int:
    """Length of the longest prefix of ``text`` that occurs in ``buffer`` (binary search)."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if text[:mid] in buffer:
            low = mid
        else:
            high = mid - 1
    return low
