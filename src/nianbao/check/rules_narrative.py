"""Prose vs tables: a number or a "none" in the text that restates a table value must agree.

Only sentences that unmistakably restate a table measure are compared (共受理政府信息公开申请
N件, 未收到依申请公开, 行政复议N件, 制发规章N件); anything looser is left alone, because a
false alarm costs a reviewer more than a missed restatement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from nianbao.check.registry import Context, rule, this_rule
from nianbao.models import Finding

_NO_REQUESTS = re.compile(r"(?:未|没有)(?:收到|受理|接到|发生)[^。；，]{0,8}?(?:依申请公开|政府信息公开申请)")
_REQUESTS = re.compile(r"(?:收到|受理|办理|接收|接到)[^。；\d]{0,12}?(?:政府信息公开申请|依申请公开)"
                       r"[^。；\d]{0,6}?(\d+)\s*件")
_NO_REVIEW = re.compile(r"(?:未|没有)(?:发生|收到|出现)[^。；]{0,12}?行政复议")
_NO_SUIT = re.compile(r"(?:未|没有)(?:发生|收到|出现)[^。；]{0,12}?行政诉讼")
_REVIEW = re.compile(r"行政复议(?:案件|申请)?(?:共)?\s*(\d+)\s*(?:件|起)")
_SUIT = re.compile(r"行政诉讼(?:案件)?(?:共)?\s*(\d+)\s*(?:件|起)")
_ISSUED = re.compile(r"(?:制发|出台|印发)(?:了)?(?:[^。；，\d]{0,4}?)(规章|行政规范性文件|规范性文件)\s*(\d+)\s*件")


# Every pattern above needs one of these words: lines without them are skipped cheaply.
_CUES = re.compile("申请|行政复议|行政诉讼|规章|规范性文件")


def _sum(context: Context, *keys: str) -> Decimal | None:
    values = [context.numbers.get(k) for k in keys]
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _doubt(context: Context, keys: list[str]) -> str:
    cells = [context.cells.get(k) for k in keys]
    if any(c is not None and (c.inferred or c.split) for c in cells):
        return "（表中该数为推算或拆分所得，可能是解析误差）"
    return ""


@rule("narrative.mismatch", "warning", "正文所述数字与统计表不一致",
      "正文复述表格数据（“共受理政府信息公开申请N件”“未收到依申请公开”“行政复议N件”“制发规章N件”）时，"
      "应与表二、表三、表四一致；依申请公开的件数可对应本年新收、新收加上年结转或办理结果总计。")
def narrative_mismatch(context: Context) -> Iterator[Finding]:
    if context.report.meta.template not in ("2019", "2021"):
        return
    this = this_rule("narrative.mismatch")
    new = context.numbers.get("requests.new_received.total")
    carried = context.numbers.get("requests.carried_over.total")
    handled = context.numbers.get("requests.total.total")
    accepted = {v for v in (new, handled, _sum(context, "requests.new_received.total",
                                                    "requests.carried_over.total")) if v is not None}
    review = context.numbers.get("appeals.review.total")
    direct = context.numbers.get("appeals.suit_direct.total")
    after = context.numbers.get("appeals.suit_after_review.total")
    suits = {v for v in (direct, after, _sum(context, "appeals.suit_direct.total", "appeals.suit_after_review.total"))
             if v is not None}
    for line in context.running_view.lines_matching(_CUES):
        text = line.text
        if _NO_REQUESTS.search(text) and new is not None and new > 0:
            yield this.finding(f"正文称未收到依申请公开，表三本年新收申请总计为 {new:f} 件"
                               + _doubt(context, ["requests.new_received.total"]),
                               keys=["requests.new_received.total"], line=line.number)
        for found in _REQUESTS.finditer(text):
            stated = Decimal(found.group(1))
            if accepted and stated not in accepted:
                parts = f"本年新收 {new:f} 件" if new is not None else ""
                if carried is not None and new is not None:
                    parts += f"、上年结转 {carried:f} 件"
                if handled is not None:
                    parts += f"、办理结果总计 {handled:f} 件"
                yield this.finding(f"正文称依申请公开 {stated:f} 件，表三为{parts}",
                                   keys=["requests.new_received.total", "requests.total.total"], line=line.number)
        if _NO_REVIEW.search(text) and review is not None and review > 0:
            yield this.finding(f"正文称未发生行政复议，表四行政复议总计为 {review:f} 件",
                               keys=["appeals.review.total"], line=line.number)
        if _NO_SUIT.search(text) and suits and max(suits) > 0:
            yield this.finding(f"正文称未发生行政诉讼，表四行政诉讼共 {max(suits):f} 件",
                               keys=["appeals.suit_direct.total", "appeals.suit_after_review.total"],
                               line=line.number)
        for found in _REVIEW.finditer(text):
            stated = Decimal(found.group(1))
            if review is not None and stated != review:
                yield this.finding(f"正文称行政复议 {stated:f} 件，表四为 {review:f} 件"
                                   + _doubt(context, ["appeals.review.total"]),
                                   keys=["appeals.review.total"], line=line.number)
        for found in _SUIT.finditer(text):
            stated = Decimal(found.group(1))
            if suits and stated not in suits:
                yield this.finding(f"正文称行政诉讼 {stated:f} 件，表四为 {max(suits):f} 件",
                                   keys=["appeals.suit_direct.total", "appeals.suit_after_review.total"],
                                   line=line.number)
        if context.report.meta.template == "2021":
            for found in _ISSUED.finditer(text):
                key = "active.rules.issued" if found.group(1) == "规章" else "active.normative_docs.issued"
                table = context.numbers.get(key)
                stated = Decimal(found.group(2))
                if table is not None and stated != table:
                    yield this.finding(f"正文称制发{found.group(1)} {stated:f} 件，表二本年制发件数为 {table:f}",
                                       keys=[key], line=line.number)


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
