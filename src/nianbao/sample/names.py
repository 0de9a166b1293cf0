"""Fictional agency names for any number of sample reports.

The first names come from the original pools of ``prose`` (青川县示范教育局), drawn exactly
as before, so a corpus of up to a few thousand reports is unchanged for a given seed. When
those 720 names run out, places are composed from two (then three) syllables of a larger
pool (鹤溪县示范民政局), which gives millions of distinct names; 示范 marks every one of them
as fictional.
"""

from __future__ import annotations

import random
from functools import cache
from itertools import product

from nianbao.sample.prose import DEPARTMENTS, LEVELS, PLACES

# Place syllables for composed names (tens of thousands of places from pairs alone).
SYLLABLES = ("鹤", "溪", "松", "岚", "柳", "桐", "梅", "杏", "枫", "榆", "桂", "兰", "荷", "芦", "苇", "竹",
             "云", "霞", "星", "月", "泉", "湖", "潭", "湾", "川", "岭", "峰", "岗", "坪", "塘", "汀", "渚",
             "青", "白", "碧", "翠", "丹", "金", "银", "玉", "清", "宁", "安", "和", "平", "康", "乐", "丰",
             "茂", "盛", "德", "仁", "文", "明", "嘉", "瑞", "祥", "福", "兴", "隆", "远", "长", "永", "新")
_TRIES = 1000  # as many draws as the original pools allowed before giving up


def agency_name(rng: random.Random, used: set[str]) -> str:
    """A fictional agency name not in ``used`` (added to it)."""
    if not _base_names() <= used:
        for _ in range(_TRIES):  # the original draw, unchanged: same seed, same names
            name = f"{rng.choice(PLACES)}{rng.choice(LEVELS)}示范{rng.choice(DEPARTMENTS)}"
            if name not in used:
                used.add(name)
                return name
    for length in range(2, 6):
        for _ in range(50):
            place = "".join(rng.choice(SYLLABLES) for _ in range(length))
            name = f"{place}{rng.choice(LEVELS)}示范{rng.choice(DEPARTMENTS)}"
            if name not in used and place not in PLACES:
                used.add(name)
                return name
    raise ValueError("ran out of fictional agency names")  # after millions of names


@cache
def _base_names() -> frozenset[str]:
    return frozenset(f"{p}{lv}示范{d}" for p, lv, d in product(PLACES, LEVELS, DEPARTMENTS))
