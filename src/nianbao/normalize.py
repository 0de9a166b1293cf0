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
_PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])\((?:[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+)\)")
_CN_NUMERALS = "一二三四五六七八九十"
# Enumerators: 1. 1． 1、 (1) ①  →  "1."   ;   (一) (一)、 （一）  →  "(一)"   ;   一. 一．  →  "一、"
_ARABIC_ENUM = re.compile(r"(?:\((\d{1,2})\)|(?<![\d.])(\d{1,2})[.、．](?!\d))")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
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


def clean_line(text: str) -> str:
    """Unicode NFKC (全角 digits and brackets to ASCII), minus inline pinyin and markdown bold."""
    if _HAS_CIRCLED.search(text):
        text = text.translate(_CIRCLED)  # before NFKC, which would drop the dot
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if "(" in text:
        text = _PINYIN.sub("", text)
    if text.startswith("#"):
        text = _MARKDOWN_HEADING.sub("", text)
    return text.replace("**", "").replace("\u200b", "")


@lru_cache(maxsize=1 << 16)
def norm_label(text: str) -> str:
    """The matching form of a label: no whitespace or quotes, one spelling per enumerator."""
    text = clean_line(text)
    text = _WHITESPACE.sub("", text)
    text = _QUOTES.sub("", text)
    text = _ARABIC_ENUM.sub(lambda m: f"{m.group(1) or m.group(2)}.", text)
    text = _CN_PAREN_ENUM.sub(lambda m: f"({m.group(1)})", text)
    text = _CN_ENUM.sub(lambda m: f"{m.group(1)}、", text)
    return text.rstrip(":")


def squeeze(text: str) -> str:
    """Text without whitespace or quotes: enough to look for a phrase in a whole document
    (``norm_label`` is for labels; on a whole document its enumerator rules cost time)."""
    return _QUOTES.sub("", _WHITESPACE.sub("", text))


BLANK_MARKS = frozenset({"/", "-", "—", "——", "－", "−", "无", "\\", "─", "/ ", "–"})
UNITS = ("万元", "元", "人次", "件", "条", "个", "次", "篇", "人", "项", "%")
_NUMBER = re.compile(
    r"^(?P<sign>[+\-−])?\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?\s*"
    rf"(?P<unit>{'|'.join(UNITS)})?$"
)


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    value: Decimal
    unit: str | None
    signed: bool  # printed with an explicit sign


def parse_number(raw: str) -> ParsedNumber | None:
    """A cell's number (``1,077,980元``, ``０``, ``+3``), or None when the cell is not a number."""
    if raw.isascii() and raw.isdigit():  # the common case: a plain count
        return ParsedNumber(value=Decimal(raw), unit=None, signed=False)
    text = raw if unicodedata.is_normalized("NFKC", raw) else unicodedata.normalize("NFKC", raw)
    text = text.strip().replace("，", ",")
    m = _NUMBER.match(text)
    if not m:
        return None
    digits = m.group("int").replace(",", "") + (m.group("frac") or "")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    sign = m.group("sign")
    if sign in ("-", "−"):
        value = -value
    return ParsedNumber(value=value, unit=m.group("unit"), signed=sign is not None)


def is_blank_mark(raw: str) -> bool:
    return unicodedata.normalize("NFKC", raw).strip() in BLANK_MARKS


def to_plain(value: Decimal) -> int | float:
    """JSON-friendly number: integers stay integers."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def cjk_count(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
