"""The legacy 统计表's two value columns (this year, cumulative since 2008): the cumulative figure
is at least this year's, and it grows from last year's by exactly this year's."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from nianbao.check.labels import DOUBT_NOTE, cell_name, doubted
from nianbao.check.registry import Context, pair_rule, rule, this_rule
from nianbao.models import Finding, Report
from nianbao.templates import load_template

SUFFIX = ".cumulative"


def _pairs(values: dict[str, int | float | None]) -> Iterator[tuple[str, Decimal, Decimal]]:
    """(key, this year, cumulative) for every key that has both figures."""
    for key, cumulative in values.items():
        if not key.endswith(SUFFIX) or cumulative is None:
            continue
        base = key.removesuffix(SUFFIX)
        year = values.get(base)
        if year is not None:
            yield base, Decimal(str(year)), Decimal(str(cumulative))


def _doubted(report: Report, keys: list[str]) -> bool:
    return any(doubted(c) for c in report.cells if c.key in keys)


@rule("legacy.cumulative_bound", "error", "统计表：累计数小于本年数",
      "部分省份的统计表印有“本年度”和“历年累计”两列；累计数包含本年，不可能小于本年数。"
      "表中数为推算或拆分所得时至多为警告并注明。")
def cumulative_bound(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template != "legacy":
        return
    this = this_rule("legacy.cumulative_bound")
    for key, year, cumulative in _pairs(report.values):
        if cumulative >= year:
            continue
        keys = [key, key + SUFFIX]
        uncertain = _doubted(report, keys)
        cell = context.cells.get(key)
        yield this.finding(f"{cell_name(context.template, key)}累计 {cumulative:f} 小于本年 {year:f}"
                           + (DOUBT_NOTE if uncertain else ""),
                           keys=keys, line=cell.line if cell else None, severity="warning" if uncertain else None)


@pair_rule("continuity.cumulative", "warning", "统计表：累计数与上年累计数不衔接",
           "印有“历年累计”列的统计表，本年累计数应等于同一机关上年报告的累计数加本年数。统计口径调整可能合理地"
           "打破这一关系，故为警告。需同一批次或数据库中有该机关上一年度的报告。")
def cumulative_continuity(report: Report, previous: Report) -> Iterator[Finding]:
    if report.meta.template != "legacy" or previous.meta.template != "legacy":
        return
    this = this_rule("continuity.cumulative")
    template = load_template("legacy")
    for key, year, cumulative in _pairs(report.values):
        before = previous.values.get(key + SUFFIX)
        if before is None:
            continue
        expected = Decimal(str(before)) + year
        if cumulative == expected:
            continue
        keys = [key + SUFFIX, key]
        note = DOUBT_NOTE if _doubted(report, keys) else ""
        line = next((c.line for c in report.cells if c.key == key + SUFFIX), None)
        yield this.finding(
            f"{cell_name(template, key)}累计 {cumulative:f} ≠ {previous.meta.year} 年累计 {Decimal(str(before)):f}"
            f" ＋ 本年 {year:f} = {expected:f}（上年报告：{previous.source.path}）{note}", keys=keys, line=line)
