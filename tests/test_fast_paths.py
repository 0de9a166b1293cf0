"""The shortcuts taken for speed give exactly what the plain definitions give.

Each fast path (NFKC on runs, whole-text cleaning, the one-cell test, running text searched as
one text, int amounts) is compared with the obvious slow form on generated text that mixes
Chinese, full-width marks, tabs, pipes and odd whitespace.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.check.text_view import TextView
from nianbao.extract.solve import known
from nianbao.layout.lines import Line, is_page_number, split_lines
from nianbao.layout.tokens import printed_cells, split_cells
from nianbao.normalize import clean_text, nfkc, parse_number, squeeze

# Characters real reports are made of, plus the troublemakers of each fast path.
PIECES = st.sampled_from([
    "政府", "信息", "公开", "申请", "（", "）", "，", "。", "；", "：", "０", "１", "９", "…", "　", "\xa0",
    "①", "②", "Ａ", "ｂ", " ", "  ", "\t", "|", "\x1c", "\u2003", "\u0301", "e", "12", "-", "—", "第", "页",
    "公(gōng)", "**", "# ", "\u200b", "\n", "\f", "XX", "无", "/",
])
TEXT = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_nfkc_is_unicode_nfkc(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_whole_text_cleaning_is_line_by_line_cleaning(text: str) -> None:
    lines = text.split("\n")
    assert clean_text(text).split("\n") == [clean_text(line) for line in lines]


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_split_lines_keeps_one_record_per_source_line(text: str) -> None:
    lines = split_lines(text)
    sources = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert [line.raw for line in lines] == sources
    assert [line.text for line in lines] == [clean_text(s.replace("\f", " ")).rstrip() for s in sources]


@settings(max_examples=300, deadline=None)
@given(TEXT.map(lambda t: clean_text(t.replace("\n", " ").replace("\f", " "))))
def test_printed_cells_counts_the_non_empty_cells(line: str) -> None:
    assert printed_cells(line) == sum(1 for cell in split_cells(line) if cell)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT.map(lambda t: t.replace("\n", " ")), min_size=1, max_size=8))
def test_text_view_matches_lie_on_the_line_searched_alone(texts: list[str]) -> None:
    lines = [Line(number, text, text, False) for number, text in enumerate(texts, start=1)]
    pattern = re.compile(r"政府|[^\S\n]\d+|信息(?=公开)")
    expected = [(line.number, found.group()) for line in lines for found in pattern.finditer(line.text)]
    view = TextView.of(lines)
    assert [(line.number, found.group()) for line, found in view.finditer(pattern)] == expected
    assert [line.number for line in view.lines_matching(pattern)] == sorted({n for n, _ in expected})


def test_page_number_shortcut_keeps_every_page_number_style() -> None:
    for text in ("-3-", "  — 12 —", "第3页", "第 3 页 , 共 12 页", "3/12", "\t- 7 -  "):
        assert is_page_number(text), text
    for text in ("三、收到和处理政府信息公开申请情况", "3 件", "共3页", ""):
        assert not is_page_number(text), text


def test_amounts_are_int_when_whole_and_decimal_when_not() -> None:
    whole = parse_number("1,077,980元")
    assert whole is not None and whole.value == 1077980 and type(whole.value) is int
    fraction = parse_number("0.50万元")
    assert fraction is not None and fraction.value == Decimal("0.50") and isinstance(fraction.value, Decimal)
    negative = parse_number("−3")
    assert negative is not None and negative.value == -3 and negative.signed


def test_known_gives_the_values_only_when_none_is_blank() -> None:
    assert known([1, Decimal("0.5"), 0]) == [1, Decimal("0.5"), 0]
    assert known([Decimal(1), None]) is None
    assert known([]) == []


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_squeeze_drops_all_whitespace_and_quotes(text: str) -> None:
    assert squeeze(text) == re.sub(r"[\"'“”‘’「」『』]", "", re.sub(r"\s+", "", text))
