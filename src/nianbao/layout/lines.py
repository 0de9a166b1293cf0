"""Text → numbered lines, each marked as web-page chrome, a page number, or content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from nianbao.normalize import clean_text

# Web-page furniture that is not part of the report (domain.md §6.J). A line containing one of
# these is chrome; it is kept for provenance but ignored by sections and tables.
CHROME_MARKERS = (
    "【上一篇】", "【下一篇】", "上一篇：", "下一篇：", "上一篇:", "下一篇:", "主办单位", "承办单位",
    "网站标识码", "ICP备", "公网安备", "站点地图", "网站制作", "技术支持：", "技术支持:", "版权所有",
    "打印本页", "关闭窗口", "【打印】", "【关闭】", "分享到", "扫一扫在手机", "【字体：", "字号：大",
)
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$"
)
_PAGE_NUMBER_STARTS = "-—–第0123456789"  # what _PAGE_NUMBER allows after leading whitespace
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")


@dataclass(slots=True, unsafe_hash=True)  # not frozen: a frozen __init__ is slow for records made by the thousand
class Line:
    number: int  # 1-based, as an editor shows it
    raw: str  # the line as in the source
    text: str  # cleaned: NFKC, no inline pinyin or markdown markers
    chrome: bool  # web-page furniture or a page number
    blank: bool = False  # nothing but whitespace
    place: str | None = None  # where the line is in the source file (page, table row), if not a text file
    grid: bool = False  # a row of a source table: its empty fields after the label are blank cells in place


_CHROME = re.compile("|".join(map(re.escape, CHROME_MARKERS)))


def is_page_number(text: str) -> bool:
    start = text.lstrip()[:1]  # a quick no for most lines, before the regex
    return bool(start) and start in _PAGE_NUMBER_STARTS and bool(_PAGE_NUMBER.match(text))


def is_chrome(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text) or _CHROME.search(text))


def split_lines(text: str, places: tuple[str | None, ...] = (), grid: frozenset[int] = frozenset()) -> list[Line]:
    """Lines as an editor numbers them: only newlines end a line (a form feed is a page break
    inside a line, not a line of its own). ``places`` gives each line's place in the source."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = _text_lines(text.split("\n"))
    if not places and not grid:  # a text file
        return lines
    # positional arguments: twice as fast as keywords, for a record made per line
    return [Line(line.number, line.raw, line.text, line.chrome, line.blank,
                 places[line.number - 1] if line.number <= len(places) else None, line.number in grid)
            for line in lines]


# Lines seen before, by source text and number. Nine lines in ten recur in a later report at the
# same number (headings, table rows): cleaning and classifying them was most of split_lines. The
# records are shared from one report to the next, as every Line is read-only in practice.
_SEEN: dict[tuple[str, int], Line] = {}
_SEEN_MAX = 1 << 15  # then forgotten all at once: refilling costs about one report's lines


def _text_lines(sources: list[str]) -> list[Line]:
    seen = _SEEN
    found = [seen.get((raw, number)) for number, raw in enumerate(sources, start=1)]
    new = [index for index, line in enumerate(found) if line is None]
    if new:
        if len(seen) + len(new) > _SEEN_MAX:
            seen.clear()
        # the new lines cleaned in one call (cleaning works line by line: tests/test_fast_paths.py)
        cleaned = clean_text("\n".join([sources[index].replace("\f", " ") for index in new])).split("\n")
        for index, clean in zip(new, cleaned, strict=True):
            line = found[index] = _new_line(index + 1, sources[index], clean)
            seen[line.raw, line.number] = line
    return cast(list[Line], found)  # every None was replaced


def _new_line(number: int, raw: str, clean: str) -> Line:
    if "<" in clean:
        clean = _AUTOLINK.sub(r"\1", clean)
    marked = _CHROME.search(clean) is not None
    clean = clean.rstrip()
    return Line(number, raw, clean, marked or is_page_number(clean), not clean, None, False)


def forget_lines() -> None:
    """Forget the lines seen so far (benchmarks measure reports never seen before)."""
    _SEEN.clear()
