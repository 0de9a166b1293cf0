"""Arithmetic rules: the identities declared in the template data, checked per row and column."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import repeat
from operator import getitem
from typing import cast

from nianbao.check.labels import cell_name, column_name, doubted, row_name
from nianbao.check.registry import Context, rule, this_rule
from nianbao.extract.solve import Identity, known
from nianbao.models import Finding, Number
from nianbao.templates import load_template

Describe = Callable[[Identity, Decimal, Decimal], str]
NOT_ASSESSABLE = "无法核对：{cells} 为空"


def identity_findings(context: Context, rule_id: str, describe: Describe) -> Iterator[Finding]:
    """One finding per broken identity of ``rule_id``; one info when blanks leave it unassessed."""
    group = context.identities.get(rule_id)
    if group is None:
        return
    plain = context.report.values  # the JSON numbers: int sums are exact where all are int (ints_are_exact)
    values = _ints(list(map(plain.get, group.keys)))
    if values is not None and context.ints_are_exact:
        # No blank and all int (most reports): the sides summed in int, no decimals made.
        lefts, rights = _side_sums(values, group.lefts), _side_sums(values, group.rights)
        if lefts != rights:
            for identity, left, right in zip(group.identities, lefts, rights, strict=True):
                if left != right and (finding := _broken(context, rule_id, identity, describe)) is not None:
                    yield finding
        return
    blank: list[str] = []
    for identity in group.identities:
        left_values = known(list(map(plain.get, identity.left)))
        right_values = known(list(map(plain.get, identity.right)))
        if left_values is None or right_values is None:
            blank.extend(k for k in identity.keys if plain.get(k) is None and k not in blank)
            continue
        if (finding := _broken(context, rule_id, identity, describe)) is not None:
            yield finding
    if blank:
        names = "、".join(cell_name(context.template, k) for k in blank[:3]) + (" 等" if len(blank) > 3 else "")
        yield this_rule(rule_id).finding(NOT_ASSESSABLE.format(cells=names), keys=blank, severity="info")


def _side_sums(values: list[int], sides: tuple[slice, ...]) -> list[int]:
    """The sum of each side (a slice of the values), in passes chained in C: no Python step per identity."""
    return list(map(sum, map(getitem, repeat(values), sides)))


def _ints(values: list[Number | None]) -> list[int] | None:
    """The values when every one is an int (none blank, none a fraction), else None."""
    return cast(list[int], values) if set(map(type, values)) <= {int} else None


def _exact_sums(context: Context, identity: Identity) -> tuple[Decimal, Decimal]:
    """The identity's two sides as exact decimals (no key blank)."""
    numbers = context.numbers
    left_values = known([numbers.get(k) for k in identity.left])
    right_values = known([numbers.get(k) for k in identity.right])
    assert left_values is not None and right_values is not None  # the caller saw no blank
    return sum(left_values, Decimal(0)), sum(right_values, Decimal(0))


def _broken(context: Context, rule_id: str, identity: Identity, describe: Describe) -> Finding | None:
    """The finding for an identity whose exact sums differ; None when they agree."""
    left, right = _exact_sums(context, identity)
    return None if left == right else _finding(context, rule_id, identity, describe(identity, left, right))


def _finding(context: Context, rule_id: str, identity: Identity, message: str) -> Finding:
    template = context.template
    cells = context.cells
    this = this_rule(rule_id)
    doubtful = [k for k in identity.keys if doubted(cells.get(k))]
    severity = this.severity
    if doubtful:
        names = "、".join(cell_name(template, k) for k in doubtful)
        message += f"（其中 {names} 为推算或拆分所得，可能是解析误差）"
        severity = "warning" if severity == "error" else severity
    elif identity.keys and identity.keys[0].split(".")[0] in _lost_labels(context):
        message += "（该表有行名未能识别或无法归行的数字，可能是解析误差）"
        severity = "warning" if severity == "error" else severity
    lines = [line for k in identity.keys if k in cells and (line := cells[k].line) is not None]
    return this.finding(message, keys=list(identity.keys), line=min(lines) if lines else None, severity=severity)


def _lost_labels(context: Context) -> set[str]:
    """The tables whose reading the parser doubted: a row label not found (its numbers may have
    gone to a neighbour) or numbers it could not place (every table, when it cannot say whose)."""
    tables = {table.id for table in context.template.tables}
    lost: set[str] = set()
    for fact in context.report.facts:
        if fact.kind == "missing_row" and fact.keys:
            lost.add(fact.keys[0].split(".")[0])
        elif fact.kind == "unmapped_values" and fact.detail.get("reason") != "no_key":
            lost.update({k.split(".")[0] for k in fact.keys} if fact.keys else tables)
    return lost


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"


@rule("requests.row_total", "error", "表三：某行总计不等于各类申请人之和",
      "表三每一行的“总计”列应等于自然人与五类法人或其他组织之和（表格结构本身的要求）。")
def requests_row_total(context: Context) -> Iterator[Finding]:
    template = context.template
    yield from identity_findings(context, "requests.row_total", lambda i, left, right: (
        f"{row_name(template, i.anchor)}：总计 {_n(left)} ≠ 各类申请人之和 {_n(right)}"))


@rule("requests.results_total", "error", "表三：（七）总计不等于各办理结果之和",
      "表三“（七）总计”应等于（一）至（六）各项办理结果之和，每列分别核对（表格结构本身的要求）。")
def requests_results_total(context: Context) -> Iterator[Finding]:
    template = context.template
    yield from identity_findings(context, "requests.results_total", lambda i, left, right: (
        f"（七）总计 {_n(left)} ≠ 各办理结果之和 {_n(right)}（{column_name(template, 'requests', i.anchor)}列）"))


@rule("requests.balance", "error", "表三：勾稽关系不成立（一＋二 ≠ 三＋四）",
      "表三表头注明的勾稽关系：本年新收加上年结转，等于本年度办理结果总计加结转下年度继续办理"
      "（国办公开办函〔2021〕30号格式，每列分别核对）。")
def requests_balance(context: Context) -> Iterator[Finding]:
    template = context.template
    yield from identity_findings(context, "requests.balance", lambda i, left, right: (
        f"本年新收＋上年结转 {_n(left)} ≠ 办理结果总计＋结转下年度 {_n(right)}"
        f"（{column_name(template, 'requests', i.anchor)}列）"))


@rule("requests.subtotal", "error", "表三：印出的小计不等于其分项之和",
      "部分报告为（三）至（六）各类办理结果或“法人或其他组织”加印小计；小计应等于其分项之和。")
def requests_subtotal(context: Context) -> Iterator[Finding]:
    template = context.template
    yield from identity_findings(context, "requests.subtotal", lambda i, left, right: (
        f"{cell_name(template, i.left[0])} {_n(left)} ≠ 其分项之和 {_n(right)}"))


@rule("appeals.total", "error", "表四：总计不等于四项结果之和",
      "表四行政复议、未经复议直接起诉、复议后起诉的“总计”应等于结果维持、结果纠正、其他结果、尚未审结之和。")
def appeals_total(context: Context) -> Iterator[Finding]:
    template = context.template
    yield from identity_findings(context, "appeals.total", lambda i, left, right: (
        f"{row_name(template, i.anchor)}：总计 {_n(left)} ≠ 四项结果之和 {_n(right)}"))


def _legacy_sum(rule_id: str) -> Callable[[Context], Iterator[Finding]]:
    def check(context: Context) -> Iterator[Finding]:
        if context.report.meta.template != "legacy":
            return
        template = load_template("legacy")
        for finding in identity_findings(context, rule_id, lambda i, left, right: (
                f"{cell_name(template, i.left[0])} {_n(left)} ≠ "
                f"{'＋'.join(cell_name(template, k) for k in i.right)} = {_n(right)}")):
            if finding.severity != "info":  # blank legacy indicators are the norm, not news
                yield finding
    return check


rule("legacy.staff_total", "error", "统计表：从事人员数不等于专职与兼职之和",
     "2008—2018 年统计表中“从事政府信息公开工作人员数”应等于其下“专职人员数”加“兼职人员数”（指标的层级关系）。")(
    _legacy_sum("legacy.staff_total"))
rule("legacy.channels_total", "error", "统计表：收到申请数不等于各渠道之和",
     "2008—2018 年统计表中“收到申请数”应等于其下当面、传真、网络、信函四种渠道的申请数之和。")(
    _legacy_sum("legacy.channels_total"))
rule("legacy.closed_total", "error", "统计表：申请办结数不等于按时与延期办结之和",
     "2008—2018 年统计表中“申请办结数”应等于其下“按时办结数”加“延期办结数”。")(
    _legacy_sum("legacy.closed_total"))
rule("legacy.answers_total", "error", "统计表：申请答复数不等于各类答复之和",
     "2008—2018 年统计表中“申请答复数”应等于其下八类答复（已主动公开、同意公开、同意部分公开、不同意公开、"
     "不属于本机关、信息不存在、告知更改补充、告知其他途径）之和。")(
    _legacy_sum("legacy.answers_total"))
rule("legacy.appeals_total", "error", "统计表：行政复议或行政诉讼数量不等于各结果之和",
     "2008—2018 年统计表中行政复议数量、行政诉讼数量应分别等于其下维持具体行政行为、被依法纠错、"
     "其他情形之和。")(
    _legacy_sum("legacy.appeals_total"))


@rule("legacy.requests_balance", "warning", "统计表：答复或办结多于收到的申请",
      "答复、办结的申请不可能多于收到的申请（上年结转除外）；收到申请数为空而有答复，说明数据不完整。")
def legacy_requests_balance(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template != "legacy":
        return
    this = this_rule("legacy.requests_balance")
    values = report.values
    received = values.get("legacy.request.received.total")
    for group, name in (("answered", "申请答复数"), ("closed", "申请办结数")):
        total = values.get(f"legacy.request.{group}.total")
        handled = total if total is not None else sum(values[k] or 0 for k in _parts(values, group))
        if not handled or (received is not None and not handled > received):
            continue  # no finding: the parts' keys are not gathered (a pass over every value)
        keys = [f"legacy.request.{group}.total", *_parts(values, group), "legacy.request.received.total"]
        cells = context.cells
        line = next((cells[k].line for k in keys if k in cells and cells[k].line), None)
        if received is None:
            yield this.finding(f"{name}为 {handled}，但收到申请数为空", keys=keys, line=line)
        elif handled > received:
            yield this.finding(f"{name} {handled} 多于收到申请数 {received}（上年结转除外）", keys=keys, line=line)


def _parts(values: dict[str, Number | None], group: str) -> list[str]:
    """The printed keys under ``legacy.request.<group>``: its items and the refusals' total."""
    return [k for k, v in values.items() if v is not None and k.startswith(f"legacy.request.{group}.")
            and ((k.count(".") == 3 and not k.endswith(".total")) or k.endswith(".refused.total"))]
