"""The table identities as linear equations: bind them to keys, solve forced blanks, test them.

A blank cell takes a value only when the identities and non-negativity force exactly one
(contract.md, "values"); anything else stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from nianbao.normalize import Amount
from nianbao.templates import IdentitySpec, TableSpec

_N = TypeVar("_N")
Values = MutableMapping[str, Amount | None]


@dataclass(frozen=True, slots=True)
class Identity:
    """sum(left) == sum(right) over concrete keys."""

    rule: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    infer: bool
    anchor: str  # the row or column it was instantiated for ("" when once)

    keys: tuple[str, ...] = field(init=False)
    keys_set: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", self.left + self.right)
        object.__setattr__(self, "keys_set", frozenset(self.left + self.right))


def bind_identities(table: TableSpec, present: set[str] | frozenset[str]) -> list[Identity]:
    """The table's identities over the keys this report has (printed extras included)."""
    frozen = present if isinstance(present, frozenset) else frozenset(present)
    cache_key = (id(table), frozen)
    cached = _BOUND_FOR_KEYS.get(cache_key)
    if cached is not None and cached[0] is table:
        return list(cached[1])
    bound = tuple(identity for identity in _all_identities(table) if identity.keys_set <= frozen)
    if len(_BOUND_FOR_KEYS) > 4096:
        _BOUND_FOR_KEYS.clear()
    _BOUND_FOR_KEYS[cache_key] = (table, bound)
    return list(bound)


_BOUND_FOR_KEYS: dict[tuple[int, frozenset[str]], tuple[TableSpec, tuple[Identity, ...]]] = {}


_BOUND: dict[int, tuple[TableSpec, tuple[Identity, ...]]] = {}


def _all_identities(table: TableSpec) -> tuple[Identity, ...]:
    """Every identity of the table instantiated once (cached by identity, see matcher_for)."""
    cached = _BOUND.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    bound = _instantiate(table)
    _BOUND[id(table)] = (table, bound)
    return bound


def _instantiate(table: TableSpec) -> tuple[Identity, ...]:
    rows = [row.key for _, row in table.rows()]
    columns = [key for key in table.column_keys() if key]
    bound: list[Identity] = []
    for spec in table.identities:
        anchors: Iterable[tuple[str, str]]
        if spec.each == "row":
            anchors = ((row, "{row}") for row in rows)
        elif spec.each == "column":
            anchors = ((col, "{col}") for col in columns)
        else:
            anchors = [("", "")]
        for anchor, placeholder in anchors:
            bound.append(_bind(spec, anchor, placeholder))
    return tuple(bound)


def _bind(spec: IdentitySpec, anchor: str, placeholder: str) -> Identity:
    def sub(pattern: str) -> str:
        return pattern.replace(placeholder, anchor) if placeholder else pattern

    return Identity(rule=spec.rule, left=tuple(map(sub, spec.left)), right=tuple(map(sub, spec.right)),
                    infer=spec.infer, anchor=anchor)


def propagate(values: Values, identities: Iterable[Identity], hold: frozenset[str] = frozenset()) -> dict[str, Amount]:
    """Fill every blank the identities force; returns the keys filled (``values`` is updated).

    Two deductions, repeated to a fixed point: an identity with one unknown gives it; an
    identity whose unknowns are all on one side with nothing left to share makes them all 0.
    A deduction that would be negative is not made (the table contradicts itself there).
    Every key of the identities must be a key of ``values`` (None when blank). ``hold`` are cells
    the report printed but that could not be read: never filled, so an identity holding one
    deduces nothing (what the report printed there may differ from what the others imply).
    """
    held = {k for k in hold if values.get(k) is None}
    usable = [identity for identity in identities if identity.infer and identity.keys_set.isdisjoint(held)]
    unknown = {k for k, v in values.items() if v is None}
    filled: dict[str, Amount] = {}
    changed = True
    while changed and unknown:
        changed = False
        for identity in usable:
            if identity.keys_set.isdisjoint(unknown):
                continue
            unknown_left = [k for k in identity.left if k in unknown]
            unknown_right = [k for k in identity.right if k in unknown]
            # sum(unknown_left) - sum(unknown_right) == balance
            balance = _sum(values, identity.right) - _sum(values, identity.left)
            if len(unknown_left) + len(unknown_right) == 1:
                key = (unknown_left or unknown_right)[0]
                value = balance if unknown_left else -balance
                if value >= 0:
                    values[key] = filled[key] = value
                    unknown.discard(key)
                    changed = True
            elif (not unknown_right and balance == 0) or (not unknown_left and balance == 0):
                for key in unknown_left or unknown_right:
                    values[key] = filled[key] = 0
                    unknown.discard(key)
                changed = True
    return filled


def violations(values: Mapping[str, Amount | None], identities: Iterable[Identity]) -> list[Identity]:
    """Identities whose cells are all known and do not add up."""
    broken = []
    for identity in identities:
        left: list[Amount] | None = known([values.get(k) for k in identity.left])
        right: list[Amount] | None = known([values.get(k) for k in identity.right])
        if left is None or right is None:
            continue
        if sum(left) != sum(right):
            broken.append(identity)
    return broken


def known(values: list[_N | None]) -> list[_N] | None:
    """The values, or None when any of them is blank."""
    for value in values:
        if value is None:  # not "None in values": Decimal == None takes a slow path
            return None
    return cast(list[_N], values)


def _sum(values: Mapping[str, Amount | None], keys: Iterable[str]) -> Amount:
    return sum([v for k in keys if (v := values.get(k)) is not None])
