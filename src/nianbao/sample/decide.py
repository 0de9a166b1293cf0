"""What a damaged layout still decides: every reading of the printed text, kept when it
satisfies the table's identities, non-negativity and ``part <= whole`` bounds.

A layout family turns a table into text that can be read several ways: digits glued into one
run (``713000074`` for seven cells), numbers whose blank neighbours vanished (which columns do
they sit in?), cells whose reading order is scrambled (row-wise or column-wise?), blank cells at
known places. Each is a :class:`Group` of keys with the readings the text allows (``None`` at a
position: a blank there, any non-negative number). :func:`decide` enumerates the combinations
the identities allow; a key is decided when every surviving reading gives it the same value,
else the gold marks it ``accept_null``. When the readings are too many to enumerate, every key
whose reading is not fixed counts as undecided (conservative: never demand a value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from nianbao.extract.solve import Identity, propagate, violations
from nianbao.normalize import Amount

Reading = tuple[Amount | None, ...]

_INTEGER = r"(?:0|[1-9]\d*)"


@dataclass(frozen=True)
class Cell:
    """How one cell of a glued run may be printed."""

    decimals: bool = False  # an amount: a fraction may follow
    signed: bool = False  # 本年增/减: a minus sign may lead

    def pattern(self) -> re.Pattern[str]:
        sign = "-?" if self.signed else ""
        fraction = r"(?:\.\d+)?" if self.decimals else ""
        return _PATTERNS.setdefault((self.decimals, self.signed), re.compile(sign + _INTEGER + fraction))


_PATTERNS: dict[tuple[bool, bool], re.Pattern[str]] = {}


def splits(run: str, cells: Sequence[Cell] | int,
           keep: Callable[[tuple[str, ...]], bool] | None = None) -> list[tuple[str, ...]]:
    """Every way to cut ``run`` into ``cells`` printed numbers (no leading zeros except a lone
    0; a fraction only in an amount cell): ``splits("5213", 3)`` → 52|1|3, 5|21|3, 5|2|13.
    ``keep`` prunes: a prefix of pieces it rejects is not continued."""
    kinds = [Cell()] * cells if isinstance(cells, int) else list(cells)
    out: list[tuple[str, ...]] = []

    def walk(start: int, index: int, taken: tuple[str, ...]) -> None:
        if index == len(kinds):
            if start == len(run):
                out.append(taken)
            return
        pattern = kinds[index].pattern()
        rest = len(kinds) - index - 1
        for end in range(start + 1, len(run) - rest + 1):
            piece = run[start:end]
            if pattern.fullmatch(piece):
                longer = (*taken, piece)
                if keep is None or keep(longer):
                    walk(end, index + 1, longer)

    walk(0, 0, ())
    return out


@dataclass(frozen=True)
class Group:
    """Keys read together and the readings the printed text allows for them."""

    keys: tuple[str, ...]
    readings: tuple[Reading, ...]

    @staticmethod
    def fixed(key: str, value: Amount | None) -> Group:
        return Group((key,), ((value,),))

    @staticmethod
    def glued(keys: Sequence[str], run: str, cells: Sequence[Cell] | None = None,
              identities: Iterable[Identity] = ()) -> Group:
        """The splits of a glued run that satisfy the identities inside the run."""
        kinds = list(cells) if cells is not None else [Cell()] * len(keys)
        where = {key: index for index, key in enumerate(keys)}
        closing: dict[int, list[Identity]] = {}
        for identity in identities:
            if identity.keys_set <= where.keys():
                closing.setdefault(max(where[k] for k in identity.keys), []).append(identity)

        def keep(pieces: tuple[str, ...]) -> bool:
            for identity in closing.get(len(pieces) - 1, ()):
                left = sum((Decimal(pieces[where[k]]) for k in identity.left), Decimal(0))
                if left != sum((Decimal(pieces[where[k]]) for k in identity.right), Decimal(0)):
                    return False
            return True

        readings = tuple(tuple(Decimal(p) for p in split) for split in splits(run, kinds, keep))
        return Group(tuple(keys), readings)


@dataclass(frozen=True)
class Bound:
    part: str
    whole: str


@dataclass
class Decision:
    values: dict[str, Amount]  # keys every reading agrees on
    undecided: set[str]
    readings: int  # complete readings found
    exhaustive: bool = True  # False: too many readings, undecided is an over-estimate


class _TooMany(Exception):
    pass


@dataclass
class _Search:
    identities: list[Identity]
    bounds: list[Bound]
    limit: int
    seen: dict[str, set[Amount]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    found: int = 0
    nodes: int = 0

    def tick(self) -> None:
        self.nodes += 1
        if self.nodes > self.limit * 20:
            raise _TooMany

    def record(self, values: Mapping[str, Amount | None]) -> None:
        self.found += 1
        if self.found > self.limit:
            raise _TooMany
        for key, value in values.items():
            assert value is not None
            self.seen.setdefault(key, set()).add(value)


def decide(groups: Iterable[Group], identities: Iterable[Identity], bounds: Iterable[Bound] = (),
           *, limit: int = 5000) -> Decision:
    """Enumerate the readings of ``groups`` consistent with ``identities`` (bound to exactly the
    keys of the groups) and ``bounds``; non-negativity holds for every blank."""
    groups = list(groups)
    keys = [k for g in groups for k in g.keys]
    search = _Search([i for i in identities if i.keys_set <= set(keys)],
                     [b for b in bounds if b.part in keys and b.whole in keys], limit)
    search.touched = {k for i in search.identities for k in i.keys}
    search.touched |= {k for b in search.bounds for k in (b.part, b.whole)}
    order = sorted(groups, key=lambda g: len(g.readings))
    touching: dict[str, list[Identity]] = {}
    for identity in search.identities:
        for key in identity.keys:
            touching.setdefault(key, []).append(identity)
    assigned: dict[str, Amount | None] = {}
    try:
        _walk(order, 0, assigned, touching, search)
        exhaustive = True
    except _TooMany:
        exhaustive = False
    if exhaustive and not search.found:
        raise ValueError("no reading of the printed text satisfies the table's identities")
    values = {k: next(iter(v)) for k, v in search.seen.items() if len(v) == 1}
    if exhaustive:
        undecided = {k for k in keys if k not in values}
    else:
        values = _certain(groups, search.identities)
        undecided = {k for k in keys if k not in values}
    return Decision(values, undecided, search.found, exhaustive)


def _certain(groups: Sequence[Group], identities: list[Identity]) -> dict[str, Amount]:
    """What holds whatever the readings: keys with one reading, and the blanks the identities
    force (propagation) when every group has one reading."""
    single = [g for g in groups if len(g.readings) == 1]
    fixed: dict[str, Amount | None] = {k: v for g in single for k, v in zip(g.keys, g.readings[0], strict=True)}
    if len(single) == len(groups):
        propagate(fixed, identities)
    return {k: v for k, v in fixed.items() if v is not None}


def _walk(order: list[Group], index: int, assigned: dict[str, Amount | None],
          touching: Mapping[str, list[Identity]], search: _Search) -> None:
    search.tick()
    if index == len(order):
        blanks = [k for k, v in assigned.items() if v is None]
        if not blanks:
            search.record(assigned)
        else:
            _fill(dict(assigned), blanks, search)
        return
    group = order[index]
    for reading in group.readings:
        for key, value in zip(group.keys, reading, strict=True):
            assigned[key] = value
        if _plausible(group.keys, assigned, touching, search.bounds):
            _walk(order, index + 1, assigned, touching, search)
    for key in group.keys:
        assigned.pop(key, None)


def _plausible(keys: Sequence[str], assigned: Mapping[str, Amount | None],
               touching: Mapping[str, list[Identity]], bounds: Sequence[Bound]) -> bool:
    """Identities fully assigned hold (a blank side only needs room: blanks are >= 0)."""
    for key in keys:
        for identity in touching.get(key, ()):
            if not all(k in assigned for k in identity.keys):
                continue
            left = [assigned[k] for k in identity.left]
            right = [assigned[k] for k in identity.right]
            sum_left = sum((v for v in left if v is not None), Decimal(0))
            sum_right = sum((v for v in right if v is not None), Decimal(0))
            open_left, open_right = None in left, None in right
            if not open_left and not open_right and sum_left != sum_right:
                return False
            if open_left and not open_right and sum_left > sum_right:
                return False
            if open_right and not open_left and sum_right > sum_left:
                return False
    for bound in bounds:
        part, whole = assigned.get(bound.part), assigned.get(bound.whole)
        if part is not None and whole is not None and part > whole:
            return False
    return True


def _fill(values: dict[str, Amount | None], blanks: list[str], search: _Search) -> None:
    """Every non-negative completion of the blanks (propagation first, then bounded branching)."""
    search.tick()
    propagate(values, search.identities)
    if violations(values, search.identities) or not _bounds_hold(values, search.bounds):
        return
    if any(v is not None and v < 0 for k, v in values.items() if k in blanks):
        return
    open_keys = [k for k in blanks if values[k] is None]
    free = [k for k in open_keys if k not in search.touched]
    if free:  # in no identity or bound: any number fits, so never decided
        for key in free:
            values[key] = Decimal(0)
            search.seen.setdefault(key, set()).add(Decimal(1))
        open_keys = [k for k in open_keys if k not in free]
    if not open_keys:
        search.record(values)
        return
    ceilings = _ceilings(values, open_keys, search.identities)
    bounded = [(ceilings[k], k) for k in open_keys if ceilings.get(k) is not None]
    if len(bounded) < len(open_keys):
        raise _TooMany  # a blank no identity bounds: infinitely many readings
    ceiling, key = min(bounded)
    assert ceiling is not None
    for number in range(int(ceiling) + 1):
        trial = dict(values)
        trial[key] = Decimal(number)
        _fill(trial, open_keys, search)


def _bounds_hold(values: Mapping[str, Amount | None], bounds: Sequence[Bound]) -> bool:
    for bound in bounds:
        part, whole = values.get(bound.part), values.get(bound.whole)
        if part is not None and whole is not None and part > whole:
            return False
    return True


def _ceilings(values: Mapping[str, Amount | None], open_keys: Sequence[str],
              identities: Sequence[Identity]) -> dict[str, Amount | None]:
    """An upper bound for each open key: a term is at most the other side's sum."""
    ceiling: dict[str, Amount | None] = {k: None for k in open_keys}
    for _ in range(3):
        for identity in identities:
            for side, other in ((identity.left, identity.right), (identity.right, identity.left)):
                room = Decimal(0)
                for key in other:
                    value = values[key] if values[key] is not None else ceiling.get(key)
                    if value is None:
                        break
                    room += value
                else:
                    room -= sum((values[k] or Decimal(0) for k in side), Decimal(0))
                    for key in side:
                        if values[key] is None and (ceiling[key] is None or room < (ceiling[key] or 0)):
                            ceiling[key] = max(room, Decimal(0))
    return ceiling
