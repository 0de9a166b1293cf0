"""Every way a row's printed cells can fill the template's columns.

A row may print fewer cells than the template has (blanks that vanished), more (a stray
trailing cell), or several cells run together with no separator (``640020470``). Each
reading is a candidate; the table identities later keep the ones that add up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations
from math import comb

from nianbao.layout.tokens import Token
from nianbao.normalize import Amount

MAX_CANDIDATES = 20_000


@dataclass(slots=True, unsafe_hash=True)  # not frozen: a frozen __init__ is slow for records made by the thousand
class Slot:
    value: Amount | None
    token: Token | None  # None: nothing printed for this column
    split: bool = False  # cut out of a run of digits

    @property
    def printed(self) -> bool:
        return self.token is not None


Candidate = tuple[Slot, ...]


@dataclass(slots=True)
class Reading:
    candidates: list[Candidate]
    printed: int  # how many cells the row printed
    expected: int
    split: bool  # a run of digits had to be cut
    overflow: bool = False  # too many readings to enumerate


# Whether the first values of a cut can still add up: called with the values so far (before
# the run included), it answers False to drop every cut that starts that way.
Prune = Callable[[tuple[Amount | None, ...]], bool]


def readings(group: list[Token], expected: int, prune: Prune | None = None, vanished: int = 0) -> Reading:
    """``vanished``: how many of a glued run's cells may be blanks that left no trace (a crawled
    row of a table whose blanks mean "not reported")."""
    if len(group) > expected:  # (_trim_blanks keeps a group no longer than the row as it is)
        group = _trim_blanks(group, expected)
    if len(group) == expected:  # the common case: one cell per column (a split needs fewer cells)
        # positional (candidates, printed, expected, split): a record per row
        return Reading([tuple([Slot(tok.value, tok) for tok in group])], expected, expected, False)
    fused = [i for i, tok in enumerate(group) if tok.fused]
    if len(fused) == 1 and expected - (len(group) - 1) > 1:
        return _split_reading(group, fused[0], expected, prune, vanished)
    slots = [Slot(tok.value, tok) for tok in group]
    k = len(slots)
    if k == expected:
        return Reading([tuple(slots)], k, expected, split=False)
    if k < expected:
        if comb(expected, k) > MAX_CANDIDATES:
            return Reading([], k, expected, split=False, overflow=True)
        out = []
        for positions in combinations(range(expected), k):
            vector = [Slot(value=None, token=None)] * expected
            for pos, slot in zip(positions, slots, strict=True):
                vector[pos] = slot
            out.append(tuple(vector))
        return Reading(out, k, expected, split=False)
    if comb(k, expected) > MAX_CANDIDATES:
        return Reading([], k, expected, split=False, overflow=True)
    kept = {tuple(slots[i] for i in chosen) for chosen in combinations(range(k), expected)}
    return Reading(sorted(kept, key=_order_key), k, expected, split=False)


def _trim_blanks(group: list[Token], expected: int) -> list[Token]:
    """A grid row holds its values in its last columns: empty fields beyond the template's
    count are label columns on the left (a markdown row spreads a wide label over empty
    fields), or stray empty columns on the right."""
    start, end = 0, len(group)
    while end - start > expected and group[start].kind == "blank" and not group[start].raw:
        start += 1
    while end - start > expected and group[end - 1].kind == "blank" and not group[end - 1].raw:
        end -= 1
    return group[start:end] if (start, end) != (0, len(group)) else group


def _order_key(candidate: Candidate) -> tuple[int, ...]:
    return tuple(slot.token.line * 1000 if slot.token else 0 for slot in candidate)


def _split_reading(group: list[Token], index: int, expected: int, prune: Prune | None = None,
                   vanished: int = 0) -> Reading:
    token = group[index]
    parts_needed = expected - (len(group) - 1)
    before = [Slot(value=t.value, token=t) for t in group[:index]]
    after = [Slot(value=t.value, token=t) for t in group[index + 1:]]
    out = []
    head = tuple(slot.value for slot in before)
    keep = None if prune is None else (lambda cut: prune((*head, *map(int, cut))))
    for count, parts in enumerate(compositions(token.raw.rstrip("元万"), parts_needed, keep)):
        if count >= MAX_CANDIDATES:
            return Reading([], len(group), expected, split=True, overflow=True)
        cut = [Slot(value=int(p), token=token, split=True) for p in parts]
        out.append((*before, *cut, *after))
    for blanks in range(1, min(vanished, parts_needed - 1) + 1):  # fewer cells, the rest blank
        for parts in compositions(token.raw.rstrip("元万"), parts_needed - blanks):
            for where in combinations(range(parts_needed), blanks):
                values = iter(parts)
                cut = [Slot(value=None, token=None) if i in where else Slot(int(next(values)), token, True)
                       for i in range(parts_needed)]
                out.append((*before, *cut, *after))
                if len(out) > MAX_CANDIDATES:
                    return Reading([], len(group), expected, split=True, overflow=True)
    return Reading(out, len(group), expected, split=True)


def compositions(digits: str, parts: int,
                 keep: Callable[[tuple[str, ...]], bool] | None = None) -> Iterator[tuple[str, ...]]:
    """Ways to cut a digit string into ``parts`` numbers without leading zeros; ``keep`` (given
    the numbers cut so far) prunes every cut that starts in a way that cannot add up."""
    yield from _compositions(digits, parts, (), keep)


def _compositions(digits: str, parts: int, done: tuple[str, ...],
                  keep: Callable[[tuple[str, ...]], bool] | None) -> Iterator[tuple[str, ...]]:
    if parts == 1:
        if digits and (digits == "0" or not digits.startswith("0")):
            whole = (*done, digits)
            if keep is None or keep(whole):
                yield whole
        return
    longest = len(digits) - (parts - 1)
    for size in range(1, longest + 1):
        head = digits[:size]
        if size > 1 and head.startswith("0"):
            break
        cut = (*done, head)
        if keep is not None and not keep(cut):
            continue
        yield from _compositions(digits[size:], parts - 1, cut, keep)
