"""The layout and table-reading shortcuts (issue #12) give exactly what their plain definitions give.

Lines and tokens cached by text and line number, the running-text test cached by text, row plans
and label choices cached per template, and the cheap first tests before a regex: each is compared
with the obvious slow form, on generated text (hypothesis) and on every template table.
"""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.extract import meta, tables
from nianbao.extract.candidates import _trim_blanks
from nianbao.extract.labels import LabelMatcher, matcher_for
from nianbao.extract.tables import _capacity, _column_floors, _consume, _prefix_check, _row_plans
from nianbao.layout import reflow, sections
from nianbao.layout.lines import _AUTOLINK, _CHROME, Line, is_page_number, split_lines
from nianbao.layout.tokens import (
    _VALUE_CHARACTER,
    Token,
    _text_tokens,
    clear_line_cache,
    is_running_text,
    line_tokens,
    region_tokens,
    shared_line_tokens,
)
from nianbao.normalize import clean_text, safe_text, to_plain
from nianbao.templates import TableSpec, all_templates, cell_key

PIECES = st.sampled_from([
    "政府", "信息", "公开", "申请", "（", "）", "，", "。", "；", "：", "０", "１", "９", "…", "　", "\xa0",
    "①", "Ａ", " ", "  ", "    ", "\t", "|", "\x1c", "\u0301", "12", "3", "0", "-", "—", "第", "页", "/",
    "公(gōng)", "**", "# ", "\u200b", "\n", "\r\n", "\f", "无", "一、", "二、", "三、", "（一）", "#", "十",
    "四、", "十、", "总体情况", "发布", "日期", "时间", "印发", "<https://a.cn/x>", "【打印】", "上一篇:", "-3-",
    "第2页",
])
TEXT = st.lists(PIECES, max_size=40).map("".join)


def _plain_split_lines(text: str, places: tuple[str | None, ...] = (),
                       grid: frozenset[int] = frozenset()) -> list[Line]:
    """split_lines as it was written before the line cache: the whole text cleaned at once."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = clean_text(text.replace("\f", " "))
    if "<" in cleaned:
        cleaned = _AUTOLINK.sub(r"\1", cleaned)
    chrome = {cleaned.count("\n", 0, found.start()) + 1 for found in _CHROME.finditer(cleaned)}
    lines = []
    for number, (raw, clean) in enumerate(zip(text.split("\n"), cleaned.split("\n"), strict=True), start=1):
        clean = clean.rstrip()
        lines.append(Line(number, raw, clean, number in chrome or is_page_number(clean), not clean,
                          places[number - 1] if number <= len(places) else None, number in grid))
    return lines


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_cached_lines_are_the_lines_of_the_whole_text(text: str) -> None:
    expected = _plain_split_lines(text)
    assert split_lines(text) == expected
    assert split_lines(text) == expected  # the second time from the cache


@settings(max_examples=150, deadline=None)
@given(TEXT, st.data())
def test_lines_with_places_and_grid_rows_keep_them(text: str, data: st.DataObject) -> None:
    count = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    places = tuple(data.draw(st.lists(st.sampled_from([None, "第1页", "表格第2行"]), max_size=count + 1)))
    grid = frozenset(data.draw(st.sets(st.integers(1, count + 1))))
    split_lines(text)  # the same text seen first without places: no place or grid row may leak in
    assert split_lines(text, places, grid) == _plain_split_lines(text, places, grid)


def _plain_tokens(line: Line) -> list[Token]:
    if line.chrome or line.blank:
        return []
    return [Token(kind, raw, line.number, norm, value, unit, fused)
            for kind, raw, norm, value, unit, fused in _text_tokens(line.text, line.grid)]


@settings(max_examples=200, deadline=None)
@given(TEXT, st.booleans())
def test_shared_and_region_tokens_are_the_plain_tokens(text: str, grid: bool) -> None:
    lines = split_lines(text)
    lines = [Line(ln.number, ln.raw, ln.text, ln.chrome, ln.blank, None, grid) for ln in lines]
    for line in lines:
        assert list(shared_line_tokens(line)) == _plain_tokens(line) == line_tokens(line)
    assert region_tokens(lines) == [t for line in lines for t in _plain_tokens(line)]
    clear_line_cache()
    assert region_tokens(lines) == [t for line in lines for t in _plain_tokens(line)]


@settings(max_examples=300, deadline=None)
@given(TEXT.map(lambda t: clean_text(t.replace("\n", " ").replace("\f", " ")).strip()), st.booleans())
def test_running_text_is_a_line_with_no_value_cell(text: str, grid: bool) -> None:
    line = Line(7, text, text, False, not text, None, grid)
    plain = "。" in text or not _VALUE_CHARACTER.search(text) or all(t.kind == "text" for t in _plain_tokens(line))
    assert is_running_text(text, grid) == plain


def _plain_find_sections(lines: list[Line], table_labels: tuple[str, ...]) -> list[tuple[str, str, int, int]]:
    """find_sections without the first-character test and with the last content line as a max."""
    excluded = sections._excluded(table_labels)
    found: list[tuple[int, Line, str, str]] = []
    for line in lines:
        heading = sections._heading(line, excluded)
        if heading is None:
            continue
        value = sections.cn_number(heading[0])
        if found and value <= found[-1][0]:
            continue
        found.append((value, line, heading[0], heading[1]))
    last = max((ln.number for ln in lines if not ln.blank and not ln.chrome), default=0)
    return [(number, title, line.number,
             max((found[i + 1][1].number - 1 if i + 1 < len(found) else last), line.number))
            for i, (_, line, number, title) in enumerate(found)]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_sections_shortcuts_find_the_plain_sections(text: str) -> None:
    lines = split_lines(text)
    labels = ("一、本年新收政府信息公开申请数量", "总体情况")
    got = [(s.number, s.title, s.line, s.end_line) for s in sections.find_sections(lines, labels)]
    assert got == _plain_find_sections(lines, labels)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_first_character_and_length_tests_never_skip_a_match(text: str) -> None:
    for line in split_lines(text):
        if sections._HEADING.match(line.text.strip()):
            assert line.text.lstrip()[:1] in sections._HEADING_STARTS
        if meta._DATE_LABEL.search(line.text):
            assert "日期" in line.text or "时间" in line.text
        long_line = Line(1, line.text * 9, line.text * 9, False, not line.text, None, False)
        for candidate in (line, long_line):
            if reflow._may_run_together(candidate):
                assert len(candidate.text) > reflow.SHORT_TABLE_LINE


def _table_specs() -> list[TableSpec]:
    return [table for template in all_templates() for table in template.tables if table.layout != "flat"]


def test_row_plans_are_each_rows_plain_keys_floors_and_checks() -> None:
    for table in _table_specs():
        matcher = matcher_for(table)
        columns = {block.label: list(block.columns) for block in table.blocks}
        plans = _row_plans(table, matcher, columns)
        assert _row_plans(table, matcher, columns) is plans  # made once
        for label in matcher.labels:
            block = columns[label.block.label]
            keys = [cell_key(label.row.key, c.key) for c in block]
            plan = plans[label.index]
            assert list(plan.keys) == keys
            assert list(plan.floors) == _column_floors(block)
            plain = tables._new_prefix_check(table, tuple(keys))
            assert (plan.prune is None) == (plain is None)
            if plan.prune is not None and plain is not None:
                for width in range(len(keys) + 1):
                    for cut in ((0,) * width, tuple(range(width)), tuple(range(width, 0, -1))):
                        assert plan.prune(cut) == plain(cut)
            assert _prefix_check(table, keys) is plan.prune


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["一、本年新收", "政府信息公开申请数量", "三、本年度办理结果", "(一)予以公开",
                                 "1.", "不予公开", "其他", "予以公开", "属于国家秘密"]), max_size=6),
       st.integers(-1, 40))
def test_cached_choice_is_the_plain_choice(parts: list[str], after: int) -> None:
    buffer = "".join(parts)
    for table in _table_specs():
        fresh = LabelMatcher(table)  # nothing cached yet
        plain_hits = fresh.hits(buffer)
        plain = LabelMatcher._choose(plain_hits, after)
        matcher = matcher_for(table)
        for _ in range(2):  # once made, once from the cache
            chosen, hits = matcher.choose(buffer, after)
            assert chosen == plain and hits == plain_hits


def _token(kind: str, raw: str, line: int, fused: bool = False) -> Token:
    return Token(kind, raw, line, "", int(raw) if raw.isdigit() else None, None, fused)  # type: ignore[arg-type]


TOKENS = st.lists(st.tuples(st.sampled_from(["text", "num", "blank"]), st.sampled_from(["7", "12", "305", "", "-"]),
                            st.integers(1, 4), st.booleans()), max_size=14).map(
    lambda rows: [_token(kind, raw or "0", line, fused and kind == "num") for kind, raw, line, fused in
                  sorted(rows, key=lambda r: r[2])])


def _plain_consume(tokens: list[Token], i: int, width: int) -> tuple[list[Token], int]:
    numbers: list[Token] = []
    cells = 0
    while i < len(tokens) and tokens[i].kind != "text":
        line = tokens[i].line
        while i < len(tokens) and tokens[i].kind != "text" and tokens[i].line == line:
            numbers.append(tokens[i])
            cells += _capacity([tokens[i]])
            i += 1
        if cells >= width:
            break
    return numbers, i


@settings(max_examples=300, deadline=None)
@given(TOKENS, st.integers(0, 8))
def test_consume_is_the_plain_consume(tokens: list[Token], width: int) -> None:
    for start in range(len(tokens) + 1):
        assert _consume(tokens, start, width) == _plain_consume(tokens, start, width)


@settings(max_examples=200, deadline=None)
@given(TOKENS, st.integers(0, 8))
def test_trimming_never_changes_a_group_no_longer_than_the_row(tokens: list[Token], expected: int) -> None:
    if len(tokens) <= expected:
        assert _trim_blanks(tokens, expected) is tokens


@given(st.one_of(st.none(), st.integers(-10**12, 10**12),
                 st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6)))
def test_counts_skip_to_plain_with_the_same_result(value: int | Decimal | None) -> None:
    shortcut = value if value is None or type(value) is int else to_plain(value)
    plain = None if value is None else to_plain(value)
    assert shortcut == plain and type(shortcut) is type(plain)


def test_surrogates_are_still_replaced() -> None:
    assert safe_text("a\udc80b\ud800") == "a\ufffdb\ufffd"
    assert re.fullmatch("[\ud800-\udfff]", chr(0xDABC))  # the class the pattern was written as


@settings(max_examples=200, deadline=None)
@given(TEXT, st.integers(0, 12))
def test_last_content_lines_read_from_the_end_are_the_plain_tail(text: str, after: int) -> None:
    lines = split_lines(text)
    plain = [ln for ln in lines if ln.number > after and not ln.blank and not ln.chrome][-3:]
    assert meta._last_content_lines(lines, after, 3) == list(reversed(plain))
