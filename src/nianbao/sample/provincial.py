"""The 2008–2018 统计表 as provinces printed it: ``指标名称 | 计量单位 | 本年度 | 历年累计``.

Two value columns (the report year and the total since 2008, never smaller), a unit column,
and indicator labels of the province's own wording. Labels are keyed here by the canonical
``legacy.*`` key (domain.md §3.5); an indicator with no key (信函、传真申请数 merged, 其他类型答复数,
…) is printed with its numbers and never enters the gold.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from nianbao.models import Number
from nianbao.render.layout import format_number
from nianbao.render.model import Grid, GridCell

Values = dict[str, Number | None]
Derived = Callable[[Values], Number]


def _sum(*keys: str) -> Derived:
    def total(values: Values) -> Number:
        return sum(int(values.get(k) or 0) for k in keys)
    return total


def _zero(values: Values) -> Number:
    return 0


@dataclass(frozen=True)
class Indicator:
    label: str
    unit: str
    key: str | None = None  # None: printed, but no key of the template means it
    derived: Derived | None = None  # the value of an indicator without a key


@dataclass(frozen=True)
class Style:
    name: str
    year_header: str  # "{year}年度" or "本年度"
    cumulative_header: str
    indicators: tuple[Indicator, ...]


_OTHER_ANSWERS = ("legacy.request.answered.already_public", "legacy.request.answered.not_this_agency",
                  "legacy.request.answered.nonexistent", "legacy.request.answered.to_amend",
                  "legacy.request.answered.other_channel")

STYLES = (
    Style("fujian", "{year}年度", "历年累计", (
        Indicator("主动公开文件数", "条", "legacy.proactive.items"),
        Indicator("其中：1、政府网站公开数", "条", "legacy.proactive.channel.website"),
        Indicator("2、政府公报公开数", "条", "legacy.proactive.channel.gazette"),
        Indicator("受理依申请公开信息总数", "条", "legacy.request.received.total"),
        Indicator("其中：1、当面申请数", "条", "legacy.request.received.in_person"),
        Indicator("2、网上申请数", "条", "legacy.request.received.online"),
        Indicator("3、信函、传真申请数", "条", None, _sum("legacy.request.received.fax",
                                                    "legacy.request.received.letter")),
        Indicator("对申请的答复总数", "条", "legacy.request.answered.total"),
        Indicator("其中：1、同意公开答复数", "条", "legacy.request.answered.granted"),
        Indicator("2、同意部分公开答复数", "条", "legacy.request.answered.partial"),
        Indicator("3、不予公开答复数", "条", "legacy.request.answered.refused.total"),
        Indicator("4、其他类型答复数", "条", None, _sum(*_OTHER_ANSWERS)),
        Indicator("政府信息公开收费减免金额", "元", None, _zero),
        Indicator("接受行政诉讼、举报数", "件", None, _sum("legacy.suit.total", "legacy.complaints")),
        Indicator("行政复议数", "件", "legacy.review.total"),
        Indicator("行政诉讼数", "件", "legacy.suit.total"),
    )),
    Style("central-plain", "本年度", "累计", (
        Indicator("主动公开政府信息数", "条", "legacy.proactive.items"),
        Indicator("其中：主动公开规范性文件数", "件", "legacy.proactive.normative_docs_published"),
        Indicator("通过政府网站公开数", "条", "legacy.proactive.channel.website"),
        Indicator("通过政府公报公开数", "条", "legacy.proactive.channel.gazette"),
        Indicator("通过政务微博公开数", "条", "legacy.proactive.channel.weibo"),
        Indicator("通过政务微信公开数", "条", "legacy.proactive.channel.wechat"),
        Indicator("收到政府信息公开申请数", "件", "legacy.request.received.total"),
        Indicator("其中：当面申请数", "件", "legacy.request.received.in_person"),
        Indicator("网络申请数", "件", "legacy.request.received.online"),
        Indicator("信函、传真等其他形式申请数", "件", None, _sum("legacy.request.received.fax",
                                                          "legacy.request.received.letter")),
        Indicator("申请答复数", "件", "legacy.request.answered.total"),
        Indicator("其中：同意公开数", "件", "legacy.request.answered.granted"),
        Indicator("同意部分公开数", "件", "legacy.request.answered.partial"),
        Indicator("不同意公开数", "件", "legacy.request.answered.refused.total"),
        Indicator("其他答复数", "件", None, _sum(*_OTHER_ANSWERS)),
        Indicator("行政复议案件数", "件", "legacy.review.total"),
        Indicator("行政诉讼案件数", "件", "legacy.suit.total"),
        Indicator("举报投诉案件数", "件", "legacy.complaints"),
        Indicator("依申请公开收费金额", "万元", "legacy.fees"),
        Indicator("政府信息公开专职人员数", "人", "legacy.org.staff.full_time"),
        Indicator("政府信息公开兼职人员数", "人", "legacy.org.staff.part_time"),
        Indicator("召开政府信息公开工作会议数", "次", "legacy.training.meetings"),
        Indicator("举办政府信息公开培训班数", "次", "legacy.training.courses"),
        Indicator("接受培训人员数", "人次", "legacy.training.trainees"),
    )),
)


def cumulative(values: Values, history: Values) -> Values:
    """This year plus every year since 2008 (``history`` is a consistent earlier total)."""
    out: Values = {}
    for key, value in values.items():
        past = history.get(key) or 0
        if isinstance(value, float) or isinstance(past, float):
            out[key] = round(float(value or 0) + float(past), 1)
        else:
            out[key] = int(value or 0) + int(past)
    return out


def provincial_grid(style: Style, year: int, values: Values, totals: Values) -> Grid:
    """The province's table: indicator, unit, this year, cumulative."""
    rows = [[GridCell(text="指标名称", header=True), GridCell(text="计量单位", header=True),
             GridCell(text=style.year_header.format(year=year), header=True),
             GridCell(text=style.cumulative_header, header=True)]]
    for item in style.indicators:
        if item.key is not None:
            now, since = values.get(item.key), totals.get(item.key)
            cells = [GridCell(text=format_number(now), key=item.key),
                     GridCell(text=format_number(since), key=f"{item.key}.cumulative")]
        else:
            assert item.derived is not None
            cells = [GridCell(text=format_number(item.derived(values))),
                     GridCell(text=format_number(item.derived(totals)))]
        rows.append([GridCell(text=item.label, header=True), GridCell(text=item.unit, header=True), *cells])
    return Grid(width=4, rows=rows, label_columns=2)


def provincial_gold(style: Style, values: Values, totals: Values) -> Values:
    """The gold of the printed indicators that have a key: the year's and the cumulative."""
    gold: Values = {}
    for item in style.indicators:
        if item.key is not None:
            gold[item.key] = values.get(item.key)
            gold[f"{item.key}.cumulative"] = totals.get(item.key)
    return gold


def choose_style(rng: random.Random) -> Style:
    return rng.choice(STYLES)


def labels_by_key() -> dict[str, list[str]]:
    """Every provincial label printed for a key (for the lead's template data)."""
    found: dict[str, list[str]] = {}
    for style in STYLES:
        for item in style.indicators:
            if item.key is not None:
                found.setdefault(item.key, []).append(item.label)
    return found
