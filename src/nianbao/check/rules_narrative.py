"""Prose vs tables: a number or a "none" in the text that restates a table value must agree.

The statements are read by meaning with the phrasings in ``templates/data/phrasings.toml``
(check/prose.py); a figure is a contradiction only when no reading the template allows
matches it, and figures of another scope are compared with what they scope or not at all,
because a false alarm costs a reviewer more than a missed restatement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import cache

from nianbao.check.labels import DOUBT_NOTE, doubted
from nianbao.check.phrasings import Measure, Phrasings, families, load_phrasings
from nianbao.check.prose import Statement, read_statements
from nianbao.check.registry import Context, rule, this_rule
from nianbao.check.rules_text import percent_tolerance
from nianbao.layout.lines import Line
from nianbao.models import Finding

_UNITS = {"legacy_proactive": "条"}


def _reading_value(context: Context, keys: tuple[str, ...]) -> Decimal | None:
    """The sum of the keys, or None when one is absent or blank."""
    total = Decimal(0)
    for key in keys:
        value = context.numbers.get(key)
        if value is None:
            return None
        total += value
    return total


def _doubt(context: Context, keys: list[str]) -> str:
    return DOUBT_NOTE if any(doubted(context.cells.get(k)) for k in keys) else ""


def _readings(context: Context, measure: Measure, suffix: str = "") -> list[tuple[str, Decimal, list[str]]]:
    out = []
    for reading in measure.readings:
        keys = tuple(k + suffix for k in reading.keys)
        value = _reading_value(context, keys)
        if value is not None:
            out.append((reading.name, value, list(keys)))
    return out


def _label(measure: Measure) -> str:
    return measure.name.removesuffix("件数").removesuffix("数量").removesuffix("数")


def _explanation() -> str:
    return ("正文复述表格数据时应与统计表一致。按含义读取：计量对象（受理/收到/办结、现行有效/制发/废止、"
            "予以公开及部分公开、无法提供、不予处理、复议/诉讼及其纠错/败诉）、范围（本机关；“全区”“全市”等更大"
            "范围的数字不比较；“其中”之后的数字只须不超过其总数；“历年累计”对应统计表累计列）、单位和否定"
            "（“未发生……纠错”不等于“未发生复议”）。依申请公开件数可对应本年新收、新收加上年结转或办理结果总计，"
            "任一相符即不报告；约数（“余”“多”）不比较；表中数为推算或拆分所得时注明。能读懂的说法："
            + "；".join(families()) + "。")


@rule("narrative.mismatch", "warning", "正文所述数字与统计表不一致", _explanation(), tuple(families()))
def narrative_mismatch(context: Context) -> Iterator[Finding]:
    template = context.report.meta.template
    if template is None:
        return
    data = load_phrasings()
    measures = _measures(template)
    cued = context.running_view.indices_matching(_cues(template))
    if not cued:
        return
    lines = _with_next_lines(context.running_text, cued)
    this = this_rule("narrative.mismatch")
    reported: set[tuple[str, Decimal | None, str]] = set()
    for statement in read_statements(lines, measures, data):
        if statement.scope == "area" and statement.value is not None:
            continue  # a wider area's figure: the table may be the agency's own
        once = (statement.measure.id, statement.value, statement.scope)
        if once in reported:
            continue
        finding = _compare(context, statement, data)
        if finding is not None:
            reported.add(once)
            yield this.finding(*finding, line=statement.line)


def _with_next_lines(lines: list[Line], indices: list[int]) -> list[Line]:
    """The lines at these indices (ascending), each with the line after it when that is the next
    line of the report (a sentence wrapped across two lines); in order, each once."""
    chosen: dict[int, None] = {}
    for index in indices:
        chosen[index] = None
        if index + 1 < len(lines) and lines[index + 1].number == lines[index].number + 1:
            chosen[index + 1] = None
    return [lines[index] for index in sorted(chosen)]


@cache
def _measures(template: str) -> tuple[Measure, ...]:
    """The measures of the template's phrasings (the same tuple for every report)."""
    return load_phrasings().for_template(template)


@cache
def _cues(template: str) -> re.Pattern[str]:
    """A cheap filter: lines with none of the words the template's phrasings need are skipped."""
    return load_phrasings().cues(template)


def _compare(context: Context, statement: Statement, data: Phrasings) -> tuple[str, list[str]] | None:
    measure = statement.measure
    unit = _UNITS.get(measure.id, "件")
    label = _label(measure)
    if statement.value is None:
        value = _reading_value(context, measure.none_keys)
        if value is None or value == 0:
            return None
        keys = list(measure.none_keys)
        return (f"正文称{label}为零（“{statement.phrase}”），表中为 {value:f} {unit}" + _doubt(context, keys), keys)
    suffix = ".cumulative" if statement.scope == "cumulative" else ""
    readings = _readings(context, measure, suffix)
    if not readings:
        return None
    stated = statement.value
    where = "累计" if suffix else ""
    if statement.scope == "part":
        if not stated > max(v for _, v, _ in readings):
            return None
        said = f"正文称其中{label} {stated:f} {unit}，多于表中{where}"
    elif any(v == stated for _, v, _ in readings):
        if statement.share is not None and measure.id != data.share_denominators:
            return _share(context, statement, data, label)
        return None
    else:
        said = f"正文称{where}{label} {stated:f} {unit}，而表中{where}"
    # the table's figures are written out only for a finding (most statements agree with a reading)
    keys = list(dict.fromkeys(k for _, _, ks in readings for k in ks))
    table = "、".join(f"{name} {value:f} {unit}" for name, value, _ in readings)
    return (said + table + _doubt(context, keys), keys)


def _share(context: Context, statement: Statement, data: Phrasings, label: str) -> tuple[str, list[str]] | None:
    assert statement.share is not None and statement.value is not None
    denominators = _readings(context, data.measure(data.share_denominators))
    printed = f"{statement.share.normalize():f}"
    shares = [(name, v, ks, statement.value / v * 100) for name, v, ks in denominators if v > 0]
    if not shares or any(abs(share - statement.share) <= percent_tolerance(printed) for *_, share in shares):
        return None
    name, total, keys, share = shares[-1]
    return (f"正文称{label} {statement.value:f} 件占 {printed}%，按表中{name} {total:f} 件计为 {share:.2f}%"
            + _doubt(context, keys), keys)


@rule("fees.fee_row_story", "warning", "表三有“逾期未缴费”的申请，正文却未说明信息处理费",
      "表三“申请人逾期未按收费通知要求缴纳费用”大于 0，说明本年发出过收费通知；"
      "第六部分应说明信息处理费的收取情况（国办函〔2020〕109号）。")
def fee_row_story(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template != "2021":
        return
    unpaid = context.numbers.get("requests.other_fee_unpaid.total")
    if unpaid is None or unpaid <= 0:
        return
    section = context.section("六")
    text = "" if section is None else section.title + section.text
    if "信息处理费" not in text and "收费" not in text:
        cell = context.cells.get("requests.other_fee_unpaid.total")
        yield this_rule("fees.fee_row_story").finding(
            f"表三有 {unpaid:f} 件申请因逾期未缴费不再处理，第六部分却未提及信息处理费",
            keys=["requests.other_fee_unpaid.total"], line=cell.line if cell else None)
