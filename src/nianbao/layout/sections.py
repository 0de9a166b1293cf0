"""Find the report's top-level sections (一、总体情况 …) whatever their numbering style."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from nianbao.layout.lines import Line
from nianbao.layout.tokens import split_cells
from nianbao.models import Section
from nianbao.normalize import norm_label

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_HEADING = re.compile(r"^(?:#+\s*)?第?(?P<num>[一二三四五六七八九十]{1,3})\s*(?:、|\.|:|部分[、:]?)\s*(?P<title>\S.*)$")
_LEADING_ENUM = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十]{1,3}\)|\d{1,2}\.)")
MAX_TITLE = 40
_HEADING_STARTS = frozenset("#第" + "".join(CN_DIGITS))  # what _HEADING allows as a heading's first character


def cn_number(text: str) -> int:
    """一 → 1 … 十九 → 19 (headings never go higher)."""
    if text in CN_DIGITS:
        return CN_DIGITS[text]
    if text.startswith("十"):
        return 10 + CN_DIGITS.get(text[1:], 0)
    tens, _, ones = text.partition("十")
    return CN_DIGITS.get(tens, 0) * 10 + CN_DIGITS.get(ones, 0)


def strip_enumerator(norm: str) -> str:
    return _LEADING_ENUM.sub("", norm)


def find_sections(lines: list[Line], table_labels: Iterable[str]) -> list[Section]:
    """Headings in document order with the line where each section's content ends.

    ``table_labels`` are labels printed inside tables (一、本年新收… / 四、结转下年度继续办理):
    a line reading like one of them is a table row, not a heading. A heading's number must
    also rise: a 一、 inside section 五 is a list item.
    """
    excluded = _excluded(tuple(table_labels))
    found: list[tuple[int, Line, str, str]] = []
    for line in lines:
        if line.text.lstrip()[:1] not in _HEADING_STARTS:
            continue  # most lines: no call and no regex (_HEADING needs one of these first)
        heading = _heading(line, excluded)
        if heading is None:
            continue
        number, title = heading
        value = cn_number(number)
        if found and value <= found[-1][0]:
            continue
        found.append((value, line, number, title))
    # the largest number is the last line's: lines come in order (the last from the end, not a max over all)
    last_content = next((ln.number for ln in reversed(lines) if not ln.blank and not ln.chrome), 0)
    sections = []
    for index, (_, line, number, title) in enumerate(found):
        end = found[index + 1][1].number - 1 if index + 1 < len(found) else last_content
        sections.append(Section(number=number, title=title, line=line.number, end_line=max(end, line.number)))
    return sections


@lru_cache(maxsize=8)
def _excluded(table_labels: tuple[str, ...]) -> frozenset[str]:
    return frozenset(strip_enumerator(norm_label(label)) for label in table_labels)


def _heading(line: Line, excluded: frozenset[str]) -> tuple[str, str] | None:
    if line.chrome or line.blank or "\t" in line.text:
        return None
    m = _HEADING.match(line.text.strip())
    if not m or len([c for c in split_cells(line.text) if c]) != 1:
        return None
    title = m.group("title").strip()
    norm = norm_label(title)
    if not norm or len(norm) > MAX_TITLE or norm.endswith(("。", "，", "；")) or norm in excluded:
        return None
    if any(ch.isdigit() for ch in norm[-3:]) and not norm.endswith("年"):
        return None  # a table row with its number glued on
    return m.group("num"), title
