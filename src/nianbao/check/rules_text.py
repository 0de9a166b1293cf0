"""Rules on the report's prose: empty sections, the fee statement, template residue, numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from itertools import islice

from nianbao.check.phrasings import load_phrasings
from nianbao.check.registry import Context, rule, this_rule
from nianbao.models import Finding, Section
from nianbao.normalize import has_cjk

RESIDUE = re.compile(
    # every branch starts with a literal, so the scan skips ahead fast (no branch opens with a lookbehind)
    r"文字描述|在此报告|填写说明|请填写|这一项报告本机关|（此处|\(此处|某某|××|XX(?<=[\u4e00-\u9fff]XX)|XX(?=[\u4e00-\u9fff])")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*条[^。；]{0,20}?占[^。；%]{0,15}?(\d+(?:\.\d+)?)\s*%")
_PERCENT_SIGN = re.compile("%")
_TOTAL = re.compile(r"公开[^。；，]{0,12}?(\d+)\s*条")


def _content(context: Context, section: Section) -> list[tuple[int, str]]:
    return [(ln.number, ln.text.strip()) for ln in context.lines[section.line: section.end_line]
            if not ln.chrome and not ln.blank]


def _has_prose(context: Context, section: Section) -> bool:
    """Whether a content line of the section holds a Chinese character (stops at the first)."""
    return any(has_cjk(line.text) for line in islice(context.lines, section.line, section.end_line)
               if not line.chrome and not line.blank)  # islice: no copy of the section's lines


@rule("structure.empty_section", "warning", "某部分没有内容",
      "标题之后直接是下一部分或网页页脚，等于未报告该部分（“无。”是“其他需要报告的事项”的有效回答）。")
def empty_section(context: Context) -> Iterator[Finding]:
    this = this_rule("structure.empty_section")
    for section in context.report.sections:
        if not _has_prose(context, section):
            yield this.finding(f"“{section.number}、{section.title}”下没有内容", line=section.line)


@rule("fees.statement_missing", "warning", "“其他需要报告的事项”未说明信息处理费收取情况",
      "2021 年版格式要求在第六部分报告依《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"
      "收取信息处理费的情况：写明金额，或写明未收取。接受的写法如："
      + "、".join(f"“{e}”" for e in load_phrasings().fee_examples) + "。",
      tuple(f"信息处理费：{e}" for e in load_phrasings().fee_examples))
def fee_statement(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template != "2021":
        return
    this = this_rule("fees.statement_missing")
    section = context.section("六")
    if section is None:
        yield this.finding("未找到“其他需要报告的事项”部分，无从说明信息处理费收取情况")
        return
    text = "".join(t for _, t in _content(context, section))
    if not states_fee(text):
        yield this.finding(f"“{section.number}、{section.title}”未说明是否收取信息处理费", line=section.line)


def states_fee(text: str) -> bool:
    """Whether the text mentions the information-processing fee and says what was charged."""
    data = load_phrasings()
    return bool(data.fee_mention.search(text) and data.fee_statement.search(text))


@rule("structure.template_residue", "warning", "正文留有模板的填写说明或占位符",
      "照抄格式说明或留下“XX”“在此报告”等占位文字，说明报告未经认真编校。")
def template_residue(context: Context) -> Iterator[Finding]:
    this = this_rule("structure.template_residue")
    reported: set[int] = set()
    for line, found in context.content_view.finditer(RESIDUE):
        if line.number not in reported:  # the first residue of a line names it
            reported.add(line.number)
            snippet = line.text.strip()[:40]
            yield this.finding(f"留有模板说明或占位文字“{found.group(0)}”：{snippet}", line=line.number)


@rule("narrative.internal_contradiction", "warning", "正文数字自相矛盾",
      "同一数量在正文中前后不一，或所述百分比与其分子分母不符（容差 0.1 个百分点）。")
def internal_contradiction(context: Context) -> Iterator[Finding]:
    this = this_rule("narrative.internal_contradiction")
    # the running lines with 条 (table rows are checked by the arithmetic rules) and "%": a line
    # without "%" holds no _PERCENT (and "%" is the rarer: fewer lines looked at)
    for line in context.running_view.lines_matching(_PERCENT_SIGN):
        if "条" not in line.text:
            continue
        whole: Decimal | None = None
        for sentence in line.text.split("。"):
            total = _TOTAL.search(sentence)
            if not sentence.lstrip().startswith("其中") or whole is None:
                if total is None:
                    continue
                whole = Decimal(total.group(1))
                rest = sentence[total.end():]
            else:
                rest = sentence  # 其中… refers to the total of the sentence before
            for part, percent in _PERCENT.findall(rest):
                if whole == 0:
                    continue
                actual = Decimal(part) / whole * 100
                if abs(actual - Decimal(percent)) > percent_tolerance(percent):
                    yield this.finding(f"{part}/{whole} = {actual:.1f}%，正文写作 {percent}%", line=line.number)


def percent_tolerance(printed: str) -> Decimal:
    """0.1 percentage points, or half a unit of the last digit printed ("53%" is 52.5–53.5)."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return max(Decimal("0.1"), Decimal(5) / Decimal(10) ** (decimals + 1))
