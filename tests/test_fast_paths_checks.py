"""The shortcuts the checks take for speed give exactly what the plain definitions give.

Each fast path of the rules on one report (the one-cell test of running text, the text view's
line search, values made exact on use, the cue index of the prose reader, the digit gate, the
identities summed in int, the count and blank gates) is compared with the obvious slow form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import accumulate

from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder import consistent_values, prose_context
from nianbao.check.labels import cell_name, doubted
from nianbao.check.phrasings import Measure, load_phrasings
from nianbao.check.prose import MeasureCues, _words
from nianbao.check.registry import Context, ExactNumbers, this_rule
from nianbao.check.rules_arithmetic import NOT_ASSESSABLE, identity_findings, legacy_requests_balance
from nianbao.check.rules_content import _ENOUGH_CJK, MIN_CJK
from nianbao.check.rules_narrative import _with_next_lines
from nianbao.check.rules_values import _OVER_ANSWERED_KEYS, over_answered, whole_counts
from nianbao.check.text_view import TextView, one_cell_at_most, running_lines
from nianbao.extract.solve import Identity, bind_identities, known
from nianbao.layout.lines import Line
from nianbao.layout.tokens import printed_cells
from nianbao.models import Finding, Section
from nianbao.normalize import cjk_count, clean_text

PIECES = st.sampled_from([
    "政府", "信息", "公开", "申请", "（", "）", "，", "。", "；", "０", "１", "9", "　", "\xa0", " ", "  ", "\t",
    "|", "\x1c", "\u2003", "e", "12", "-", "XX", "无", "/", "条", "件",
])
TEXT = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXT.map(lambda t: clean_text(t)))
def test_one_cell_at_most_is_printed_cells_at_most_one(text: str) -> None:
    assert one_cell_at_most(text) == (printed_cells(text) <= 1)


def _lines(texts: list[str]) -> list[Line]:
    return [Line(number, text, text, False) for number, text in enumerate(texts, start=1)]


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT.map(lambda t: t.replace("\n", " ")), max_size=8))
def test_text_view_offsets_contains_and_lines_matching(texts: list[str]) -> None:
    lines = _lines(texts)
    view = TextView.of(lines)
    assert view.text == "\n".join(texts)
    assert view.starts == list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))[:len(texts)]
    for pattern in (re.compile("公开|申请"), re.compile("条"), re.compile(r"\d+[^\S\n]*件"), re.compile("XX")):
        expected = [line for line in lines if pattern.search(line.text)]
        assert view.lines_matching(pattern) == expected
        assert view.contains(pattern) == bool(expected)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]),
                       st.none() | st.integers(-10**30, 10**30) | st.floats(allow_nan=False, allow_infinity=False)))
def test_exact_numbers_are_the_decimals_of_the_values(values: dict[str, int | float | None]) -> None:
    plain = {k: None if v is None else Decimal(v) if type(v) is int else Decimal(str(v)) for k, v in values.items()}
    numbers = ExactNumbers(values)
    for key in ("a", "b", "c", "d"):
        assert numbers.get(key) == plain.get(key)
        if key in plain:
            assert numbers[key] == plain[key]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["正文", "表\t1\t2", "", "  缩进的正文"]), max_size=20),
       st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=4))
def test_running_text_of_a_section_is_its_lines_after_the_heading(texts: list[str],
                                                                   spans: list[tuple[int, int]]) -> None:
    lines = [Line(n, t, t, chrome=n % 7 == 0, blank=not t.strip()) for n, t in enumerate(texts, start=1)]
    context = Context(report=prose_context({}, []).report, lines=lines)
    for start, length in spans:
        section = Section(number="一", title="总体情况", line=start, end_line=start + length)
        assert context.running_text_of(section) == [
            line for line in context.running_text if section.line < line.number <= section.end_line]


CUE_WORDS = sorted({cue for measure in load_phrasings().measures for cue in measure.cues})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*CUE_WORDS, "起", "诉", "讼", "部分", "公开", "，"]), max_size=12).map("".join),
       st.sampled_from(["2021", "2019", "legacy"]))
def test_cued_measures_are_those_with_a_cue_word(text: str, template: str) -> None:
    measures = load_phrasings().for_template(template)
    assert MeasureCues.of(measures).cued(text) == [m for m in measures if any(cue in text for cue in m.cues)]


def _number_phrasings() -> Iterator[tuple[Measure, re.Pattern[str], str]]:
    for measure in load_phrasings().measures:
        for phrasing in measure.phrasings:
            yield measure, phrasing.pattern, phrasing.example


def test_every_number_phrasing_needs_a_digit() -> None:
    """The prose reader searches figures only in sentences with a digit."""
    for _, pattern, sentence in _number_phrasings():
        assert pattern.search(sentence), sentence
        assert "(?P<n>" in pattern.pattern
        for stand_in in ("", "十七", "x"):
            digitless = re.sub(r"\d", stand_in, sentence)
            assert pattern.search(digitless) is None, (pattern.pattern, digitless)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*CUE_WORDS, "共", "件", "条", "为", "受理", "收到", "了", "全年", "，", "政府信息公开",
                                 "无", "未"]), max_size=14).map("".join))
def test_number_phrasings_never_match_without_a_digit(text: str) -> None:
    for _, pattern, _ in _number_phrasings():
        assert pattern.search(text) is None


def _plain_identity_findings(context: Context, rule_id: str,
                             describe: Callable[[Identity, Decimal, Decimal], str]) -> list[Finding]:
    """identity_findings as first written: every value a decimal, every identity summed."""
    template = context.template
    this = this_rule(rule_id)
    cells = context.cells
    values = context.report.values
    numbers = {k: None if v is None else Decimal(v) if type(v) is int else Decimal(str(v)) for k, v in values.items()}
    identities = [i for table in template.tables for i in bind_identities(table, set(values)) if i.rule == rule_id]
    out: list[Finding] = []
    blank: list[str] = []
    for identity in identities:
        left_values = known([numbers.get(k) for k in identity.left])
        right_values = known([numbers.get(k) for k in identity.right])
        if left_values is None or right_values is None:
            blank.extend(k for k in identity.keys if numbers.get(k) is None and k not in blank)
            continue
        left = sum(left_values, Decimal(0))
        right = sum(right_values, Decimal(0))
        if left == right:
            continue
        assert not any(doubted(cells.get(k)) for k in identity.keys)  # no cell inferred in these tests
        lines = [line for k in identity.keys if k in cells and (line := cells[k].line) is not None]
        out.append(this.finding(describe(identity, left, right), keys=list(identity.keys),
                                line=min(lines) if lines else None))
    if blank:
        names = "、".join(cell_name(template, k) for k in blank[:3]) + (" 等" if len(blank) > 3 else "")
        out.append(this.finding(NOT_ASSESSABLE.format(cells=names), keys=blank, severity="info"))
    return out


CHANGES = st.none() | st.integers(-5, 40) | st.integers(10**23, 10**30) | st.sampled_from([0.5, 2.0, -1.25, 1e20])


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(consistent_values())), CHANGES, max_size=6))
# int sums agree, but decimal sums round to 28 digits on the way and differ: a finding
@example({"requests.new_received.natural_person": 10**28 + 4, "requests.new_received.business": 10**28 + 3,
          "requests.new_received.total": 2 * 10**28 + 8})
def test_identities_summed_in_int_give_the_decimal_findings(changes: dict[str, int | float | None]) -> None:
    values: dict[str, int | float | None] = {**consistent_values(), **changes}
    context = prose_context(values, [])
    for rule_id in ("requests.row_total", "requests.results_total", "requests.balance", "appeals.total"):
        def describe(identity: Identity, left: Decimal, right: Decimal) -> str:
            return f"{identity.anchor} {left:f} {right:f}"
        fast = list(identity_findings(context, rule_id, describe))
        assert [(f.message, f.keys, f.line, f.severity) for f in fast] == [
            (f.message, f.keys, f.line, f.severity) for f in _plain_identity_findings(context, rule_id, describe)]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]),
                       st.none() | st.integers(-3, 3) | st.sampled_from([0.0, -0.0, 1.0, 2.5, -1.0, 3.25])))
def test_whole_counts_is_no_count_negative_or_fraction(values: dict[str, int | float | None]) -> None:
    keys = ("a", "b", "c", "d")
    bad = [k for k in keys
           if (n := values.get(k)) is not None and (n < 0 or (isinstance(n, float) and not n.is_integer()))]
    if whole_counts(values, keys):
        assert not bad


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["问题", "改进", "a", "1", "，", " ", "\n", "措施"]), max_size=70).map("".join))
def test_enough_chinese_is_a_count_of_eighty_at_least(text: str) -> None:
    assert (_ENOUGH_CJK.match(text) is not None) == (cjk_count(text) >= MIN_CJK)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 30), unique=True, max_size=15).map(sorted), st.data())
def test_cued_lines_with_the_line_after(numbers: list[int], data: st.DataObject) -> None:
    lines = _lines(["x"] * 31)
    running = [lines[n - 1] for n in numbers]
    cued = sorted(data.draw(st.sets(st.integers(0, max(len(running) - 1, 0)))) if running else [])
    cued_numbers = {running[i].number for i in cued}
    assert _with_next_lines(running, cued) == [
        line for line in running if line.number in cued_numbers or line.number - 1 in cued_numbers]


@settings(max_examples=200, deadline=None)
@given(TEXT, st.lists(st.sampled_from(["未", "没有", "无", "全区", "XX", "(", "|", ""]), max_size=4).map(tuple))
def test_words_pattern_is_any_word_in_the_text(text: str, words: tuple[str, ...]) -> None:
    assert (_words(words).search(text) is not None) == any(word in text for word in words)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT.map(lambda t: clean_text(t.replace("\n", " "))), max_size=10))
def test_running_lines_are_the_non_blank_lines_of_one_cell(texts: list[str]) -> None:
    lines = [Line(n, t, t, False, blank=not t.strip()) for n, t in enumerate(texts, start=1)]
    assert running_lines(TextView.of(lines)) == [
        line for line in lines if not line.blank and printed_cells(line.text) <= 1]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(k for keys in _OVER_ANSWERED_KEYS for k in keys)),
                       CHANGES | st.integers(10**27, 10**29), max_size=8))
# holds in int, but the decimal sum rounds (half even) below the total: a finding
@example({"requests.new_received.total": 10**28 + 4, "requests.carried_over.total": 1,
          "requests.total.total": 10**28 + 5})
def test_over_answered_told_in_int_is_told_in_decimals(changes: dict[str, int | float | None]) -> None:
    values: dict[str, int | float | None] = {**consistent_values(), **changes}
    context = prose_context(values, [])
    numbers = ExactNumbers(values)
    plain = []
    for new_key, carried_key, key in _OVER_ANSWERED_KEYS:
        new, carried, total = numbers.get(new_key), numbers.get(carried_key), numbers.get(key)
        if new is not None and carried is not None and total is not None and total > new + carried:
            plain.append(key)
    assert [f.keys[0] for f in over_answered(context)] == plain


LEGACY_REQUEST_KEYS = ["legacy.request.received.total", "legacy.request.answered.total", "legacy.request.closed.total",
                       "legacy.request.answered.granted", "legacy.request.answered.refused.total",
                       "legacy.request.answered.refused.privacy", "legacy.request.closed.on_time"]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(LEGACY_REQUEST_KEYS), st.none() | st.integers(0, 9)))
def test_legacy_requests_balance_gathers_keys_only_for_a_finding(values: dict[str, int | float | None]) -> None:
    context = prose_context(values, [], template="legacy")
    plain = []
    received = values.get("legacy.request.received.total")
    for group, name in (("answered", "申请答复数"), ("closed", "申请办结数")):
        total = values.get(f"legacy.request.{group}.total")
        parts = [k for k, v in values.items() if v is not None and k.startswith(f"legacy.request.{group}.")
                 and ((k.count(".") == 3 and not k.endswith(".total")) or k.endswith(".refused.total"))]
        handled = total if total is not None else sum(values[k] or 0 for k in parts)
        keys = [f"legacy.request.{group}.total", *parts, "legacy.request.received.total"]
        if handled and received is None:
            plain.append((f"{name}为 {handled}，但收到申请数为空", keys))
        elif handled and received is not None and handled > received:
            plain.append((f"{name} {handled} 多于收到申请数 {received}（上年结转除外）", keys))
    assert [(f.message, f.keys) for f in legacy_requests_balance(context)] == plain
