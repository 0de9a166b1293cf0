"""Text normalisation shared by every stage (domain.md §5): labels, numbers, script."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

import opencc

_WHITESPACE = re.compile(r"\s+")
_QUOTES = re.compile("[\"'“”‘’「」『』]")
# Inline pinyin that spam mirrors inject after characters: 公(gōng)開
_PINYIN = re.compile(r"\((?<=[\u4e00-\u9fff]\()(?:[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+)\)")  # "(" first: a fast scan
_CN_NUMERALS = "一二三四五六七八九十"
# Enumerators: 1. 1． 1、 (1) ①  →  "1."   ;   (一) (一)、 （一）  →  "(一)"   ;   一. 一．  →  "一、"
_ARABIC_ENUM = re.compile(r"(?:\((\d{1,2})\)|(?<![\d.])(\d{1,2})[.、．](?!\d))")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}[^\S\n]+", re.MULTILINE)
_HAS_CIRCLED = re.compile("[\u2460-\u2473]")
_CIRCLED = str.maketrans({chr(0x2460 + i): f"{i + 1}." for i in range(20)})
_CN_PAREN_ENUM = re.compile(rf"\(([{_CN_NUMERALS}]{{1,3}})\)[、.]?")
_CN_ENUM = re.compile(rf"^([{_CN_NUMERALS}]{{1,3}})[.．]")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified characters; the text is returned unchanged when already simplified."""
    converted: str = _t2s().convert(text)
    return converted


# The compatibility characters of Chinese text (全角 punctuation and digits, 　, …, no-break
# space): normalising just these runs, then checking the rest, is several times faster than
# running NFKC over a whole text that nearly always holds one of them.
# The most frequent of them go first, by plain replacement.
_COMMON_COMPATIBILITY = re.compile("[\uff01-\uff5e\u3000\u2026\xa0]+")
_FULLWIDTH_PUNCTUATION = tuple((mark, unicodedata.normalize("NFKC", mark)) for mark in "，（）：；！？％")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on Chinese text."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    for mark, ascii_mark in _FULLWIDTH_PUNCTUATION:
        if mark in text:
            text = text.replace(mark, ascii_mark)
    if not unicodedata.is_normalized("NFKC", text):
        text = _COMMON_COMPATIBILITY.sub(lambda found: unicodedata.normalize("NFKC", found.group()), text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def clean_text(text: str) -> str:
    """Unicode NFKC (全角 digits and brackets to ASCII), minus inline pinyin, markdown bold and
    heading marks. Works line by line, so a whole text can be cleaned in one call."""
    if _HAS_CIRCLED.search(text):
        text = text.translate(_CIRCLED)  # before NFKC, which would drop the dot
    text = nfkc(text)
    if "(" in text:
        text = _PINYIN.sub("", text)
    if "#" in text:
        text = _MARKDOWN_HEADING.sub("", text)
    return text.replace("**", "").replace("\u200b", "")


@lru_cache(maxsize=1 << 16)
def norm_label(text: str) -> str:
    """The matching form of a label: no whitespace or quotes, one spelling per enumerator."""
    text = clean_text(text)
    text = _WHITESPACE.sub("", text)
    text = _QUOTES.sub("", text)
    text = _ARABIC_ENUM.sub(lambda m: f"{m.group(1) or m.group(2)}.", text)
    text = _CN_PAREN_ENUM.sub(lambda m: f"({m.group(1)})", text)
    text = _CN_ENUM.sub(lambda m: f"{m.group(1)}、", text)
    return text.rstrip(":")


def squeeze(text: str) -> str:
    """Text without whitespace or quotes: enough to look for a phrase in a whole document
    (``norm_label`` is for labels; on a whole document its enumerator rules cost time)."""
    return _QUOTES.sub("", "".join(text.split()))  # str.split: the same whitespace as \s, faster


BLANK_MARKS = frozenset({"/", "-", "—", "——", "－", "−", "无", "\\", "─", "/ ", "–"})
UNITS = ("万元", "元", "人次", "件", "条", "个", "次", "篇", "人", "项", "%")
_NUMBER = re.compile(
    r"^(?P<sign>[+\-−])?\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?\s*"
    rf"(?P<unit>{'|'.join(UNITS)})?$"
)


# An exact amount: an int for a whole number, a Decimal only when it has a fraction
# (0.5万元). Table arithmetic is mostly on counts, and int arithmetic is several times faster.
Amount = int | Decimal


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    value: Amount
    unit: str | None
    signed: bool  # printed with an explicit sign


def parse_number(raw: str) -> ParsedNumber | None:
    """A cell's number (``1,077,980元``, ``０``, ``+3``), or None when the cell is not a number."""
    if raw.isascii() and raw.isdigit():  # the common case: a plain count
        return ParsedNumber(value=int(raw), unit=None, signed=False)
    text = raw if unicodedata.is_normalized("NFKC", raw) else unicodedata.normalize("NFKC", raw)
    text = text.strip().replace("，", ",")
    m = _NUMBER.match(text)
    if not m:
        return None
    whole, fraction = m.group("int").replace(",", ""), m.group("frac")
    value: Amount
    try:
        value = Decimal(whole + fraction) if fraction else int(whole)
    except (InvalidOperation, ValueError):
        return None
    sign = m.group("sign")
    if sign in ("-", "−"):
        value = -value
    return ParsedNumber(value=value, unit=m.group("unit"), signed=sign is not None)


def is_blank_mark(raw: str) -> bool:
    return unicodedata.normalize("NFKC", raw).strip() in BLANK_MARKS


def to_plain(value: Amount) -> int | float:
    """JSON-friendly number: integers stay integers."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return float(value)


_CJK = re.compile("[\u4e00-\u9fff]")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


# Characters that may not reach a terminal, workbook or page as they are: C0 and C1 controls
# (ESC starts terminal sequences), DEL, and the bidirectional overrides that reorder text.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# a file name's bytes that are not UTF-8 (surrogate escapes); built with chr(): mypyc rejects a
# string literal holding surrogates
_SURROGATE = re.compile(f"[{chr(0xD800)}-{chr(0xDFFF)}]")


def safe_text(text: str) -> str:
    """Text safe to print or store anywhere: bytes that were not UTF-8 (surrogate escapes from
    the file system) become U+FFFD, and control characters are shown as ``\\xNN``; tab and
    newline stay."""
    if text.isprintable():
        return text
    text = _SURROGATE.sub("\ufffd", text)
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                       text)


def safe_name(name: str) -> str:
    """A file name as it may be shown and written (JSON, HTML, XLSX): see ``safe_text``; a
    newline or tab in a name is escaped too, so a name is always one line."""
    return safe_text(name).replace("\n", "\\n").replace("\t", "\\t")


def dice(a: str, b: str) -> float:
    """Similarity of two short texts by their character bigrams (1.0 the same, 0.0 nothing shared):
    enough to match a misprinted title (行政法复议) with the template's."""
    pairs_a = {a[i:i + 2] for i in range(len(a) - 1)}
    pairs_b = {b[i:i + 2] for i in range(len(b) - 1)}
    if not pairs_a or not pairs_b:
        return 0.0
    return 2 * len(pairs_a & pairs_b) / (len(pairs_a) + len(pairs_b))
