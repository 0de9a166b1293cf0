"""The phrasings the prose rules understand, read from ``templates/data/phrasings.toml``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_PART = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Phrasing:
    family: str  # how the rule catalogue names it
    source: str  # the regex with its parts expanded; compiled on first use (see ``pattern``)
    example: str
    reads: int | None = None  # the number the example states (None for a "none" phrasing)

    @property
    def pattern(self) -> re.Pattern[str]:
        # Compiling every phrasing up front was ~15 ms of each process's start, and the cue
        # gate means most reports search with only a few of them.
        return _compiled(self.source)


@dataclass(frozen=True)
class Reading:
    name: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    id: str
    name: str
    templates: tuple[str, ...]
    cues: tuple[str, ...]  # words every phrasing of the measure contains
    readings: tuple[Reading, ...]
    phrasings: tuple[Phrasing, ...]
    none: tuple[Phrasing, ...]
    none_keys: tuple[str, ...]
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class Phrasings:
    measures: tuple[Measure, ...]
    negation: tuple[str, ...]
    area: tuple[str, ...]
    part: tuple[str, ...]
    part_qualifiers: tuple[str, ...]
    cumulative: tuple[str, ...]
    share: re.Pattern[str]
    share_denominators: str
    fee_mention: re.Pattern[str]
    fee_statement: re.Pattern[str]
    fee_examples: tuple[str, ...]
    fee_near_misses: tuple[str, ...]

    def measure(self, measure_id: str) -> Measure:
        return next(m for m in self.measures if m.id == measure_id)

    def for_template(self, template_id: str) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if template_id in m.templates)

    def cues(self, template_id: str) -> re.Pattern[str]:
        """A line with none of these words states no measure of the template."""
        words = dict.fromkeys(c for m in self.for_template(template_id) for c in m.cues)
        return re.compile("|".join(map(re.escape, words)))


@cache
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _expand(pattern: str, parts: dict[str, str]) -> str:
    """Replace ``{name}`` by its part (recursively); other braces (``{0,8}``) are left alone."""
    for _ in range(5):
        expanded = _PART.sub(lambda m: parts.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    return pattern


def _phrasing(raw: dict[str, Any], parts: dict[str, str]) -> Phrasing:
    return Phrasing(family=raw["family"], source=_expand(raw["pattern"], parts),
                    example=raw["example"], reads=raw.get("reads"))


def _measure(raw: dict[str, Any], parts: dict[str, str]) -> Measure:
    return Measure(
        id=raw["id"], name=raw["name"], templates=tuple(raw["templates"]), cues=tuple(raw["cues"]),
        readings=tuple(Reading(r["name"], tuple(r["keys"])) for r in raw["readings"]),
        phrasings=tuple(_phrasing(p, parts) for p in raw.get("phrasings", [])),
        none=tuple(_phrasing(p, parts) for p in raw.get("none", [])),
        none_keys=tuple(raw.get("none_keys", [])), overrides=tuple(raw.get("overrides", [])))


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@cache
def load_phrasings() -> Phrasings:
    text = resources.files("nianbao.templates").joinpath("data", "phrasings.toml").read_text("utf-8")
    data = tomllib.loads(text)
    parts: dict[str, str] = data["parts"]
    fees = data["fees"]
    return Phrasings(
        measures=tuple(_measure(m, parts) for m in data["measures"]),
        negation=tuple(data["negation"]["words"]), area=tuple(data["scope"]["area"]),
        part=tuple(data["scope"]["part"]), part_qualifiers=tuple(data["scope"]["part_qualifiers"]),
        cumulative=tuple(data["scope"]["cumulative"]),
        share=re.compile(_expand(data["shares"]["pattern"], parts)),
        share_denominators=data["shares"]["denominators"],
        fee_mention=_any(fees["mentions"]), fee_statement=_any(fees["statements"]),
        fee_examples=tuple(fees["examples"]), fee_near_misses=tuple(fees["near_misses"]))


def families(template_ids: tuple[str, ...] = ("2021", "2019", "legacy")) -> list[str]:
    """Each phrasing family with its example, for the rule catalogue."""
    seen: dict[str, None] = {}
    for measure in load_phrasings().measures:
        if not set(measure.templates) & set(template_ids):
            continue
        for phrasing in (*measure.phrasings, *measure.none):
            seen.setdefault(f"{measure.name}：{phrasing.family}（例：{phrasing.example}）", None)
    return list(seen)
