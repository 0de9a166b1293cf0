"""Fictional agency names for corpora of any size (`nianbao sample -n 100000`)."""

from __future__ import annotations

import random

from nianbao.sample import names, prose


def test_first_names_are_drawn_as_before() -> None:
    """While the original pools last, the same seed gives the same names as prose.agency_name."""
    old_rng, new_rng = random.Random(7), random.Random(7)
    old_used: set[str] = set()
    new_used: set[str] = set()
    for _ in range(600):
        assert names.agency_name(new_rng, new_used) == prose.agency_name(old_rng, old_used)


def test_forty_thousand_distinct_fictional_names() -> None:
    rng = random.Random(1)
    used: set[str] = set()
    drawn = [names.agency_name(rng, used) for _ in range(40_000)]
    assert len(set(drawn)) == 40_000
    assert all("示范" in name for name in drawn)
