"""Text → numbered lines, each marked as web-page chrome, a page number, or content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
    sources = text.split("\n")
    if not places and not grid:  # a text file: most of its lines were seen before at the same number
        return [_text_line(raw, number) for number, raw in enumerate(sources, start=1)]
    lines = []
    for number, raw in enumerate(sources, start=1):
        seen = _text_line(raw, number)
        # positional arguments: twice as fast as keywords, for a record made per line
        lines.append(Line(number, raw, seen.text, seen.chrome, seen.blank,
                          places[number - 1] if number <= len(places) else None, number in grid))
    return lines


@lru_cache(maxsize=1 << 15)
def _text_line(raw: str, number: int) -> Line:
    """One source line, cleaned and classified. Cached: reports repeat the same lines at the same
    numbers (headings, table rows), and cleaning a line is most of the cost of making it. The
    records are shared from one report to the next, as every Line is read-only in practice."""
    clean = clean_text(raw.replace("\f", " "))  # cleaning works line by line (tests/test_fast_paths.py)
    if "<" in clean:
        clean = _AUTOLINK.sub(r"\1", clean)
    marked = _CHROME.search(clean) is not None
    clean = clean.rstrip()
    return Line(number, raw, clean, marked or is_page_number(clean), not clean, None, False)


def forget_lines() -> None:
    """Forget the lines seen so far (benchmarks measure reports never seen before)."""
    _text_line.cache_clear()
