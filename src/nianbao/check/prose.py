"""Statements of quantities in running prose, read by meaning with the phrasings in data.

A statement is a measure (which table quantity), a number or "none", a scope (the agency's own,
a wider area, a part of a figure stated before, the cumulative column) and, when printed right
after the figure, a share. Lines that wrap in the middle of a sentence are joined first, so a
number on the next line (PDF text) is read with its words.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal

from nianbao.check.phrasings import Measure, Phrasing, Phrasings
from nianbao.layout.lines import Line

Scope = Literal["own", "area", "part", "cumulative"]

_SENTENCE = re.compile(r"[^。；;！？!?\n]+")
_CLAUSE = re.compile(r"(?:[^，,]|(?<=\d),(?=\d{3}))+")
_BOOK_TITLE = re.compile(r"《[^》]*》")
_ENUMERATOR = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．])")
_SENTENCE_END = "。；;！？!?：:"
_COMMA = re.compile(r"[，,]")
_DIGIT = re.compile(r"\d")  # the same digits as the \d of the phrasings' figure


@dataclass(slots=True)  # not frozen: a frozen __init__ costs more than reading the sentence
class Statement:
    measure: Measure
    value: Decimal | None  # None: the prose says there were none
    scope: Scope
    line: int
    phrase: str  # the words matched
    share: Decimal | None = None  # a percentage printed right after the figure
    share_text: str = ""


@dataclass(slots=True)  # not frozen: one is made per passage
class _Text:
    text: str
    starts: list[int]
    numbers: list[int]

    def line_at(self, offset: int) -> int:
        return self.numbers[bisect_right(self.starts, offset) - 1]


def _passages(lines: list[Line]) -> Iterator[_Text]:
    """Runs of consecutive lines; a line that does not end a sentence runs into the next one."""
    text: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    size = 0
    previous: Line | None = None
    for line in lines:
        body = line.text.strip()
        if previous is not None and line.number != previous.number + 1 and text:
            yield _Text("".join(text), starts, numbers)
            text, starts, numbers, size = [], [], [], 0
        elif text and (text[-1][-1:] in _SENTENCE_END or _ENUMERATOR.match(body)):
            text.append("\n")
            size += 1
        starts.append(size)
        numbers.append(line.number)
        text.append(body)
        size += len(body)
        previous = line
    if text:
        yield _Text("".join(text), starts, numbers)


@dataclass(frozen=True)
class MeasureCues:
    """Which of the measures a sentence may state (those with a cue word in it), told with one
    test per distinct cue word rather than one per measure and cue."""

    measures: tuple[Measure, ...]
    any_cue: re.Pattern[str]  # a sentence without a match states none of the measures
    by_cue: tuple[tuple[str, tuple[int, ...]], ...]  # each cue word with the positions of its measures

    @classmethod
    def of(cls, measures: tuple[Measure, ...]) -> MeasureCues:
        by_cue: dict[str, list[int]] = {}
        for position, measure in enumerate(measures):
            for cue in measure.cues:
                by_cue.setdefault(cue, []).append(position)
        return cls(measures, re.compile("|".join(map(re.escape, by_cue))) if by_cue else re.compile(r"(?!)"),
                   tuple((cue, tuple(positions)) for cue, positions in by_cue.items()))

    def cued(self, text: str) -> list[Measure]:
        """The measures one of whose cue words the text holds, in their order."""
        if self.any_cue.search(text) is None:
            return []
        positions: set[int] = set()
        for cue, cued_positions in self.by_cue:
            if cue in text:
                positions.update(cued_positions)
        return [self.measures[position] for position in sorted(positions)]


_CUES: dict[tuple[str, ...], MeasureCues] = {}


def _measure_cues(measures: tuple[Measure, ...]) -> MeasureCues:
    """The cue index of these measures, made once (the rule reads every report with the same few tuples)."""
    key = tuple(measure.id for measure in measures)
    cached = _CUES.get(key)
    if cached is None or cached.measures != measures:  # the same objects: compared by identity, fast
        cached = _CUES[key] = MeasureCues.of(measures)
    return cached


def read_statements(lines: list[Line], measures: tuple[Measure, ...], data: Phrasings) -> list[Statement]:
    found: list[Statement] = []
    cues = _measure_cues(measures)
    for passage in _passages(lines):
        if not _may_state(passage.text, data):
            continue  # none of its sentences may (see _sentence)
        before: set[str] = set()  # the measures the sentence before stated a figure of
        for sentence in _SENTENCE.finditer(passage.text):
            statements = _sentence(sentence.group(0), sentence.start(), passage, cues, data, before)
            before = {s.measure.id for s in statements if s.value is not None}
            found += statements
    return found


def _may_state(text: str, data: Phrasings) -> bool:
    """Whether the text may state a figure or a none. Every number phrasing reads its figure in
    group n, which is digits (parts.n in the data; a test holds every phrasing to it), and a none
    is searched only where a negation word is: text with neither states nothing."""
    return _DIGIT.search(text) is not None or _words(data.negation).search(text) is not None


@cache
def _words(words: tuple[str, ...]) -> re.Pattern[str]:
    """One search for "any of these words is in the text" (a regex that never matches for none)."""
    return re.compile("|".join(map(re.escape, words)) if words else r"(?!)")


def _sentence(text: str, offset: int, passage: _Text, cues: MeasureCues,
              data: Phrasings, before: set[str]) -> list[Statement]:
    figures = _DIGIT.search(text) is not None
    negated = _words(data.negation).search(text) is not None
    if not figures and not negated:
        return []  # see _may_state
    cued = cues.cued(text)
    if not cued:
        return []
    out = _figures(text, offset, passage, cued, data, before) if figures else []
    if negated:  # negations, clause by clause: the most specific measure negated in a clause wins
        out += _negations(text, offset, passage, cued, data)
    return out


def _figures(text: str, offset: int, passage: _Text, cued: list[Measure], data: Phrasings,
             before: set[str]) -> list[Statement]:
    """The figures the sentence states."""
    out: list[Statement] = []
    # Of the phrasings that read the same digits, the one that starts first (reads the most
    # words before it) wins: "予以公开及部分公开258件" is not "部分公开258件".
    best: dict[tuple[int, int], tuple[int, int, Measure, re.Match[str]]] = {}
    order = 0
    for measure in cued:
        for phrasing in measure.phrasings:
            for match in phrasing.pattern.finditer(text):
                order += 1
                span = match.span("n")
                rank = (match.start(), order)
                if span not in best or rank < best[span][:2]:
                    best[span] = (*rank, measure, match)
    seen: list[tuple[int, Measure]] = []
    for _, _, measure, match in sorted(best.values(), key=lambda item: item[3].start("n")):
        if match.group("approx"):
            continue
        scope = _scope(text, match.start(), measure, seen, before, data)
        seen.append((match.start(), measure))
        share = data.share.match(text, match.end())
        share_text = "" if share is None else share.group(0).strip()
        percent = None if share is None else Decimal(share.group("p") or share.group("q"))
        value = Decimal(match.group("n").replace(",", "").replace("，", ""))
        out.append(Statement(measure, value, scope, passage.line_at(offset + match.start("n")),
                             match.group(0), percent, share_text))
    return out


def _negations(text: str, offset: int, passage: _Text, cued: list[Measure], data: Phrasings) -> list[Statement]:
    """The measures the sentence says were none, clause by clause."""
    out: list[Statement] = []
    for clause in _CLAUSE.finditer(text):
        words = clause.group(0)
        if not any(word in words for word in data.negation):
            continue
        hits: dict[str, tuple[Measure, re.Match[str]]] = {}
        for measure in (m for m in cued if m.none and any(cue in words for cue in m.cues)):
            for phrasing in measure.none:
                negated = phrasing.pattern.search(clause.group(0))
                if negated is not None:
                    hits.setdefault(measure.id, (measure, negated))
                    break
        overridden = {o for measure, _ in hits.values() for o in measure.overrides}
        for measure_id, (measure, negated) in hits.items():
            if measure_id not in overridden:
                line = passage.line_at(offset + clause.start() + negated.start())
                out.append(Statement(measure, None, "own", line, negated.group(0)))
    return out


def _scope(text: str, start: int, measure: Measure, seen: list[tuple[int, Measure]], previous: set[str],
           data: Phrasings) -> Scope:
    """A part: after "其中" that follows a figure of the same measure, in this sentence or (when
    "其中" opens the sentence) in the one before."""
    before = _BOOK_TITLE.sub("", text[:start])
    clause = _COMMA.split(before)[-1]
    if any(word in clause for word in data.cumulative):
        return "cumulative"
    for word in data.part:
        at = before.rfind(word)
        if at < 0:
            continue
        opens = not before[:at].strip(" ，,：:")
        if (opens and measure.id in previous) or any(m.id == measure.id and s < at for s, m in seen):
            return "part"
    if _words(data.area).search(before):
        return "area"
    if _words(data.part_qualifiers).search(clause):
        return "part"
    return "own"


def example_statements(phrasing: Phrasing, measure: Measure, data: Phrasings) -> list[Statement]:
    """The statements the phrasing's own example sentence yields (for the tests)."""
    return read_statements([Line(number=1, raw=phrasing.example, text=phrasing.example, chrome=False)],
                           (measure,), data)
