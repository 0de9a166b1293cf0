"""The prose rules read quantities by meaning: every phrasing in data reads its own example, and
a precision corpus of sentences that must fire and near misses that must not (negations,
scoped figures, other measures, estimates, changes) is run against a constructed table."""

from __future__ import annotations

import pytest

from builder import consistent_values, prose_context, report_text
from conftest import parse, rules
from nianbao.check.phrasings import families, load_phrasings
from nianbao.check.prose import example_statements
from nianbao.check.rules_narrative import _cues, narrative_mismatch
from nianbao.check.rules_text import states_fee

DATA = load_phrasings()
PHRASINGS = [(m, p) for m in DATA.measures for p in (*m.phrasings, *m.none)]


@pytest.mark.parametrize(("measure", "phrasing"), PHRASINGS, ids=[f"{m.id}:{p.family}" for m, p in PHRASINGS])
def test_each_phrasing_reads_its_example(measure, phrasing):
    [statement] = example_statements(phrasing, measure, DATA)
    assert statement.measure.id == measure.id
    if phrasing.reads is None:
        assert statement.value is None  # a "none" phrasing
    else:
        assert statement.value == phrasing.reads


def _table() -> dict[str, int | float | None]:
    """Table 三: 12 new, none carried, 9 granted, 3 not held; 四: 2 reviews (none corrected), 1 suit
    (not lost); 二: 行政规范性文件 2 issued, 3 repealed, 4 in force."""
    values: dict[str, int | float | None] = dict(consistent_values())
    values["appeals.suit_direct.upheld"], values["appeals.suit_direct.corrected"] = 1, 0
    return values


# (sentence, fires): each prose measure with sentences that contradict the table and near misses.
CORPUS_2021 = [
    ("全年共受理政府信息公开申请15件。", True),
    ("全年共受理政府信息公开申请12件。", False),
    ("2023年共办理依申请公开件 12 件。", False),
    ("区政府办代表区政府受理政府信息公开申请17件。", True),  # on behalf of the agency: the agency's own
    ("全区共受理政府信息公开申请17件。", False),  # a wider area: not comparable with the agency's table
    ("按照《全市政务公开工作要点》，本局受理政府信息公开申请17件。", True),  # an area only in a title
    ("共受理政府信息公开申请12件，其中本机关受理政府信息公开申请5件。", False),  # a part, not more than the whole
    ("共受理政府信息公开申请12件，其中本机关受理政府信息公开申请20件。", True),
    ("全年受理政府信息公开申请同比增长3件。", False),  # a change, not the count
    ("通过网络收到政府信息公开申请8件，当面申请4件。", False),  # a channel: a part of the whole
    ("通过网络收到政府信息公开申请20件。", True),  # a part larger than the whole
    ("受理政府信息公开申请10余件。", False),  # an estimate
    ("本年度政府信息公开申请共计15件。", True),
    ("本年度未收到政府信息公开申请。", True),
    ("全年未发生因依申请公开被行政复议纠错或行政诉讼败诉情形。", False),  # corrections, not reviews or requests
    ("予以公开及部分公开9件。", False),
    ("予以公开及部分公开12件。", True),
    ("其中予以公开9件。", False),
    ("予以公开8件。", True),
    ("部分公开0件。", False),
    ("因本机关不掌握等原因无法提供3件。", False),
    ("因本机关不掌握等原因无法提供5件。", True),
    ("本机关不掌握相关政府信息3件。", False),
    ("不予公开2件。", True),
    ("不予公开0件。", False),
    ("不予处理1件。", True),
    ("其他处理0件。", False),
    ("结转下年度继续办理0件。", False),
    ("另有2件顺延到下年度办理。", True),
    ("上年结转1件。", True),
    ("现行有效行政规范性文件4件。", False),
    ("现行有效行政规范性文件393件。", True),
    ("本年制发行政规范性文件2件。", False),
    ("本年印发行政规范性文件5件。", True),
    ("废止行政规范性文件3件。", False),
    ("废止行政规范性文件1件。", True),
    ("发生政府信息公开行政复议3件。", True),
    ("发生政府信息公开行政复议2件。", False),
    ("未发生政府信息公开行政复议。", True),
    ("未发生行政复议纠错情况。", False),
    ("行政诉讼1件。", False),
    ("行政诉讼2件。", True),
    ("全年未发生政府信息公开行政诉讼。", True),
    ("未收到行政复议申请，也未发生行政诉讼。", True),
    ("未经复议直接起诉的行政诉讼1件。", False),  # 未经 is not a negation of reviews
    ("共受理政府信息公开申请12件，其中予以公开9件（75%）。", False),
    ("共受理政府信息公开申请12件，其中予以公开9件（70%）。", True),  # a share that is not 9/12
    ("其中予以公开9件，占全部申请的75.0%。", False),
    ("公开各类信息1200条，其中政策解读12条。", False),  # other measures
    ("接待群众咨询300人次。", False),
]


@pytest.mark.parametrize(("sentence", "fires"), CORPUS_2021)
def test_precision_corpus_2021(sentence, fires):
    findings = list(narrative_mismatch(prose_context(_table(), [sentence])))
    assert bool(findings) is fires, [f.message for f in findings]
    assert all(f.line == 1 and f.keys for f in findings)


def test_negations_of_corrections_read_against_the_corrected_cells():
    values = _table()
    values["appeals.review.corrected"], values["appeals.review.upheld"] = 1, 0
    sentence = "全年未发生因依申请公开被行政复议纠错或行政诉讼败诉情形。"
    [finding] = narrative_mismatch(prose_context(values, [sentence]))
    assert finding.keys == ["appeals.review.corrected"] and "为零" in finding.message


def test_a_sentence_wrapped_across_lines_is_read_whole():
    context = prose_context(_table(), ["2023年，本局共受理政府信息公开申请", "15件，均按时答复。"])
    [finding] = narrative_mismatch(context)
    assert finding.line == 2 and "15" in finding.message


def test_the_same_wrong_figure_twice_is_one_finding():
    context = prose_context(_table(), ["全年共受理政府信息公开申请15件。", "综上，受理政府信息公开申请15件。"])
    assert len(list(narrative_mismatch(context))) == 1


def test_an_inferred_table_value_is_named_in_the_finding():
    context = prose_context(_table(), ["全年共受理政府信息公开申请15件。"])
    for cell in context.report.cells:
        if cell.key == "requests.new_received.total":
            cell.inferred = True
    [finding] = narrative_mismatch(context)
    assert finding.severity == "warning" and "推算或拆分" in finding.message


def _legacy() -> dict[str, int | float | None]:
    return {"legacy.proactive.items": 682, "legacy.proactive.items.cumulative": 5000,
            "legacy.request.received.total": 3, "legacy.request.closed.total": 3,
            "legacy.request.answered.total": 3, "legacy.review.total": 0, "legacy.suit.total": 1}


CORPUS_LEGACY = [
    ("2018年，我区主动公开各类政府信息1242条。", True),
    ("2018年，我区主动公开各类政府信息682条。", False),
    ("全区主动公开政府信息2069条。", False),  # a wider area
    ("全年主动公开政府信息682条，其中，区直各部门主动公开政府信息300条。", False),
    ("全年主动公开政府信息682条，其中，区直各部门主动公开政府信息900条。", True),
    ("自2008年以来主动公开政府信息5000条。", False),  # the cumulative column
    ("自2008年以来主动公开政府信息6000条。", True),
    ("网站发布信息650余条。", False),
    ("共受理政府信息公开申请3件。", False),
    ("共受理政府信息公开申请4件。", True),
    ("未收到政府信息公开申请。", True),
    ("没有发生因政府信息公开申请行政复议的情况。", False),
    ("没有发生因政府信息公开申请行政复议、提起行政诉讼的情况。", True),  # one suit in the table
]


@pytest.mark.parametrize(("sentence", "fires"), CORPUS_LEGACY)
def test_precision_corpus_legacy(sentence, fires):
    context = prose_context(_legacy(), [sentence], template="legacy", year=2018)
    findings = list(narrative_mismatch(context))
    assert bool(findings) is fires, [f.message for f in findings]


@pytest.mark.parametrize("sentence", DATA.fee_examples)
def test_fee_statements_accepted(sentence):
    assert states_fee(sentence)


@pytest.mark.parametrize("sentence", DATA.fee_near_misses)
def test_fee_mentions_without_a_statement_are_not_statements(sentence):
    assert not states_fee(sentence)


@pytest.mark.parametrize(("section_six", "missing"), [
    ("本机关未收取信息公开处理费。", False), ("2022年，无收取信息处理费情况。", False),
    ("本机关不涉及信息处理费。", False), ("无。", True),
])
def test_fee_statement_in_a_whole_report(section_six, missing):
    report = parse(report_text(consistent_values(), section_six=section_six))
    assert ("fees.statement_missing" in rules(report)) is missing


def test_the_catalogue_lists_every_phrasing_family():
    listed = families()
    assert all(any(p.family in entry for entry in listed) for _, p in PHRASINGS)
    assert any("予以公开及部分公开" in entry for entry in listed)


@pytest.mark.parametrize(("measure", "phrasing"), PHRASINGS, ids=[f"{m.id}:{p.family}" for m, p in PHRASINGS])
def test_each_example_passes_the_cheap_line_filter(measure, phrasing):
    assert any(cue in phrasing.example for cue in measure.cues)
    assert all(_cues(template).search(phrasing.example) for template in measure.templates)
