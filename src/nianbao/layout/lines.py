"""Text → numbered lines, each marked as web-page chrome, a page number, or content."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    cleaned = clean_text(text.replace("\f", " "))  # one call for the whole text: cleaning never adds or drops a newline
    if "<" in cleaned:
        cleaned = _AUTOLINK.sub(r"\1", cleaned)
    chrome = _chrome_line_numbers(cleaned)
    lines = []
    for number, (raw, clean) in enumerate(zip(text.split("\n"), cleaned.split("\n"), strict=True), start=1):
        clean = clean.rstrip()
        # positional arguments: twice as fast as keywords, for a record made per line
        lines.append(Line(number, raw, clean, number in chrome or is_page_number(clean), not clean,
                          places[number - 1] if number <= len(places) else None, number in grid))
    return lines


def _chrome_line_numbers(text: str) -> set[int]:
    """The lines holding a chrome marker, found in one pass over the whole text."""
    return {text.count("\n", 0, found.start()) + 1 for found in _CHROME.finditer(text)}
