"""Plausibility rules on single values: impossible numbers, stocks that cannot be, blanks,
sub-counts larger than their parents (legacy)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from itertools import repeat

from nianbao.check.labels import cell_name
from nianbao.check.registry import Context, rule, this_rule
from nianbao.models import Finding, Number
from nianbao.templates import TemplateId, cell_key, load_template


def _count_keys(context: Context, table_id: str) -> Iterator[str]:
    """The keys of a table whose column holds counts (no decimals, no sign), in the report."""
    values = context.report.values
    return (key for key in _template_count_keys(context.template.id, table_id) if key in values)


@cache
def _template_count_keys(template_id: TemplateId, table_id: str) -> tuple[str, ...]:
    table = load_template(template_id).table(table_id)
    if table is None:
        return ()
    return tuple(cell_key(row.key, column.key) for block, row in table.rows()
                 for column in (*block.columns, *block.extra_columns) if not column.decimals and not column.signed)


def whole_counts(values: dict[str, Number | None], keys: tuple[str, ...]) -> bool:
    """Whether every value of these keys is blank, absent or a non-negative int: a quick yes for
    most reports, in C-level passes over the keys instead of a Python loop."""
    printed = list(filter(None, map(values.get, keys)))  # None and 0 can never be bad
    return set(map(type, printed)) <= {int} and min(printed, default=0) >= 0


def _bad_numbers(context: Context, rule_id: str, table_ids: tuple[str, ...]) -> Iterator[Finding]:
    this = this_rule(rule_id)
    plain = context.report.values  # the JSON numbers: cheaper to test than their exact decimals
    for table_id in table_ids:
        if whole_counts(plain, _template_count_keys(context.template.id, table_id)):
            continue
        for key in _count_keys(context, table_id):
            number = plain.get(key)
            if number is not None and (number < 0 or (isinstance(number, float) and not number.is_integer())):
                value = context.numbers[key]
                assert value is not None
                cell = context.cells.get(key)
                yield this.finding(f"{cell_name(context.template, key)} 为 {value.normalize():f}，件数应为非负整数",
                                   keys=[key], line=cell.line if cell else None)


@rule("active.bad_number", "error", "表二：件数为负数或小数",
      "表二的件数、决定数量只能是非负整数（金额列除外）。")
def active_bad_number(context: Context) -> Iterator[Finding]:
    if context.report.meta.template in ("2019", "2021"):
        yield from _bad_numbers(context, "active.bad_number", ("active",))


@rule("requests.bad_number", "error", "表三、表四：件数为负数或小数",
      "依申请公开和行政复议、行政诉讼的件数只能是非负整数。")
def requests_bad_number(context: Context) -> Iterator[Finding]:
    if context.report.meta.template in ("2019", "2021"):
        yield from _bad_numbers(context, "requests.bad_number", ("requests", "appeals"))


@rule("active.in_force_implausible", "warning", "表二：现行有效件数不合常理",
      "本年制发了规章或行政规范性文件、且废止的少于制发的，现行有效件数就不可能为 0。")
def in_force_implausible(context: Context) -> Iterator[Finding]:
    if context.report.meta.template != "2021":
        return
    this = this_rule("active.in_force_implausible")
    for row, name in (("active.rules", "规章"), ("active.normative_docs", "行政规范性文件")):
        issued = context.numbers.get(f"{row}.issued")
        repealed = context.numbers.get(f"{row}.repealed")
        in_force = context.numbers.get(f"{row}.in_force")
        if issued is None or repealed is None or in_force is None:
            continue
        if in_force == 0 and issued > 0 and repealed < issued:
            cell = context.cells.get(f"{row}.in_force")
            yield this.finding(f"{name}本年制发 {issued:f} 件、废止 {repealed:f} 件，现行有效件数却为 0",
                               keys=[f"{row}.in_force"], line=cell.line if cell else None)


@rule("requests.over_answered", "info", "表三：办理结果多于可办理的申请",
      "每件申请只计一次，本年办理结果总计不应超过本年新收加上年结转（即结转下年度不应为负数）。")
def over_answered(context: Context) -> Iterator[Finding]:
    if context.report.meta.template not in ("2019", "2021"):
        return
    this = this_rule("requests.over_answered")
    plain = context.report.values
    for new_key, carried_key, key in _OVER_ANSWERED_KEYS:
        new_count, carried_count, total_count = plain.get(new_key), plain.get(carried_key), plain.get(key)
        if new_count is None or carried_count is None or total_count is None:
            continue
        if type(new_count) is int and type(carried_count) is int and type(total_count) is int \
                and context.ints_are_exact and total_count <= new_count + carried_count:
            continue  # holds, told in int (ints_are_exact): no decimals made
        new, carried, total = context.numbers.get(new_key), context.numbers.get(carried_key), context.numbers.get(key)
        if new is None or carried is None or total is None:
            continue
        if total > new + carried:
            cell = context.cells.get(key)
            yield this.finding(f"{cell_name(context.template, key)} {total:f} 多于新收 {new:f} ＋ 上年结转 {carried:f}",
                               keys=[key], line=cell.line if cell else None)


_OVER_ANSWERED_KEYS = tuple(
    (f"requests.new_received.{column}", f"requests.carried_over.{column}", f"requests.total.{column}")
    for column in ("natural_person", "business", "research", "social_org", "legal_service", "other_org", "total"))


@rule("requests.blank_cells", "info", "表三：有空白单元格",
      "年报格式要求每格都填数（没有就填 0）；空白格无法核对，也无法汇总。缺整行的情况由 structure.missing_row 报告。")
def blank_cells(context: Context) -> Iterator[Finding]:
    if context.report.meta.template not in ("2019", "2021"):
        return
    values = context.report.values  # a blank is None in the plain values too: no decimals made
    keys = _template_count_keys(context.template.id, "requests")
    if None not in map(values.get, keys, repeat(0)):  # no blank (absent keys read as 0): the common case
        return
    missing_rows = {key for fact in context.report.facts if fact.kind == "missing_row" for key in fact.keys}
    blank = [key for key in keys if key in values and values[key] is None and key.rsplit(".", 1)[0] not in missing_rows]
    if blank:
        names = "、".join(cell_name(context.template, k) for k in blank[:3]) + (" 等" if len(blank) > 3 else "")
        yield this_rule("requests.blank_cells").finding(f"表三有 {len(blank)} 个空白单元格：{names}", keys=blank)


@rule("legacy.subcount_exceeds", "error", "统计表：“其中”项大于其总数",
      "“其中：主要负责同志参加……”不能多于总次数，主动公开的规范性文件数不能多于主动公开的政府信息数。")
def subcount_exceeds(context: Context) -> Iterator[Finding]:
    if context.report.meta.template != "legacy":
        return
    this = this_rule("legacy.subcount_exceeds")
    bounds = [b for table in context.template.tables for b in table.bounds if b.rule == "legacy.subcount_exceeds"]
    for bound in bounds:
        part, whole = bound.part, bound.whole
        a, b = context.numbers.get(part), context.numbers.get(whole)
        if a is not None and b is not None and a > b:
            cell = context.cells.get(part)
            names = cell_name(context.template, part), cell_name(context.template, whole)
            yield this.finding(f"{names[0]} {a:f} 大于 {names[1]} {b:f}",
                               keys=[part, whole], line=cell.line if cell else None)


_CHANNELS = tuple(f"legacy.proactive.channel.{c}" for c in ("gazette", "website", "weibo", "wechat", "other"))


@rule("legacy.dedup_bounds", "warning", "统计表：主动公开信息数超出各渠道数的范围",
      "同一信息在多个渠道公开只计 1 条，所以主动公开政府信息数应不小于任一渠道的数，且不大于各渠道之和。")
def dedup_bounds(context: Context) -> Iterator[Finding]:
    if context.report.meta.template != "legacy":
        return
    items = context.numbers.get("legacy.proactive.items")
    channels = [v for k in _CHANNELS if (v := context.numbers.get(k)) is not None]
    if items is None or not channels:
        return
    low, high = max(channels), sum(channels, Decimal(0))
    if not low <= items <= high:
        cell = context.cells.get("legacy.proactive.items")
        yield this_rule("legacy.dedup_bounds").finding(
            f"主动公开政府信息数 {items:f} 不在各渠道数的范围 [{low:f}, {high:f}] 之内",
            keys=["legacy.proactive.items", *_CHANNELS], line=cell.line if cell else None)


_REFUSALS = tuple(f"legacy.request.answered.refused.{c}" for c in
                  ("state_secret", "trade_secret", "privacy", "security_stability", "not_gov_info", "other_law"))


@rule("legacy.refusals_breakdown", "warning", "统计表：不同意公开的分项之和与总数不符",
      "“不同意公开答复数”下的“其中”各项是其细分；分项之和大于总数必有错误，小于总数可能是只列了部分情形。")
def refusals_breakdown(context: Context) -> Iterator[Finding]:
    if context.report.meta.template != "legacy":
        return
    total = context.numbers.get("legacy.request.answered.refused.total")
    parts = [v for k in _REFUSALS if (v := context.numbers.get(k)) is not None]
    if total is None or not parts:
        return
    listed = sum(parts, Decimal(0))
    if listed > total:
        cell = context.cells.get("legacy.request.answered.refused.total")
        yield this_rule("legacy.refusals_breakdown").finding(
            f"不同意公开答复数 {total:f} 小于其各分项之和 {listed:f}",
            keys=["legacy.request.answered.refused.total", *_REFUSALS], line=cell.line if cell else None)
