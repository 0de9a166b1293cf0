"""Structure rules: sections, rows, cell counts, labels and units, from the parser's facts."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from nianbao.check.labels import cell_name, row_name
from nianbao.check.registry import Context, rule, this_rule
from nianbao.layout.tokens import printed_cells
from nianbao.models import Fact, Finding
from nianbao.normalize import squeeze
from nianbao.templates import TableSpec, TemplateId, load_template

IMPLAUSIBLE_WAN = 100_000  # 万元: ten billion yuan of administrative fees in one agency


def _facts(context: Context, kind: str) -> Iterator[Fact]:
    return (fact for fact in context.report.facts if fact.kind == kind)


@rule("structure.missing_section", "error", "缺少模板规定的部分",
      "《政府信息公开条例》第五十条规定年度报告的内容，年报格式将其固定为一至六部分；"
      "标题或其表格都找不到的部分视为缺失（格式要求“不能遗漏”）。缺失须有正面依据：本报告的其他标题都已读出，"
      "且正文中找不到该部分的标题字样；否则可能只是标题的写法或版式未能识别，至多为警告并予说明。")
def missing_section(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template in (None, "legacy"):
        return
    template = load_template(report.meta.template)
    printed = {s.template_number for s in report.sections}
    unprinted = [spec for spec in template.sections if spec.number not in printed]
    if not unprinted:
        return
    tables_found = {t.section for t in template.tables
                    if t.section and any(v is not None for k, v in report.values.items()
                                         if k.split(".")[0] == t.id)}
    this = this_rule("structure.missing_section")
    text = squeeze(context.content_view.text)
    headings_read = len(printed & {spec.number for spec in template.sections})
    for spec in unprinted:
        if spec.number in tables_found:
            continue
        message = f"缺少第{spec.number}部分“{spec.title}”"
        wording = next((t for t in (spec.title, *spec.variants) if squeeze(t) in text), None)
        if wording is not None:
            yield this.finding(f"{message}：未读出该部分的标题，但正文中有“{wording}”字样，可能是标题写法不同，请核对",
                               severity="warning")
        elif 2 * headings_read < len(template.sections):
            yield this.finding(f"{message}：本报告只读出 {headings_read} 个部分的标题，可能是标题版式未能识别，请核对",
                               severity="warning")
        else:
            yield this.finding(message)


@rule("structure.extra_section", "warning", "部分的划分或编号与模板不一致",
      "年报格式规定六个部分及其顺序（“不宜泛化”）；多出、拆分或改名的部分会使“其他需要报告的事项”等错位。")
def extra_section(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template in (None, "legacy"):
        return
    this = this_rule("structure.extra_section")
    for section in report.sections:
        if section.template_number is None:
            yield this.finding(f"多出的部分“{section.number}、{section.title}”不在模板的六个部分之内",
                               line=section.line)
        elif section.template_number != section.number:
            yield this.finding(f"“{section.number}、{section.title}”在模板中应为第{section.template_number}部分",
                               line=section.line)


@rule("structure.missing_row", "error", "表格缺行或缺表",
      "年报格式的三张统计表有固定的行；缺行的数据无法核对，也无法汇总。缺行须有正面依据：表格其余各行都已读出、"
      "且没有无法归行的数字；否则可能只是行名未能识别（如版式特殊），至多为警告并予说明。")
def missing_row(context: Context) -> Iterator[Finding]:
    template = context.template
    this = this_rule("structure.missing_row")
    for fact in _facts(context, "missing_table"):
        yield _missing_table(context, fact)
    missing = [fact for fact in _facts(context, "missing_row") if fact.keys]
    if not missing:
        return
    tables = _tables_by_row(template.id)
    by_table: dict[str, int] = {}
    for fact in missing:
        table = tables.get(fact.keys[0])
        if table is not None:
            by_table[table.id] = by_table.get(table.id, 0) + 1
    loose = any(fact.detail.get("reason") != "no_key" for fact in _facts(context, "unmapped_values"))
    unread: set[str] = set()  # tables most of whose rows were not read: one finding for the table
    for fact in missing:
        message = f"表格缺少“{row_name(template, fact.keys[0])}”一行"
        table = tables.get(fact.keys[0])
        rows = sum(1 for _, row in table.rows() if not row.extra and not row.unmapped) if table is not None else 0
        if table is not None and 2 * by_table[table.id] > rows:
            if table.id not in unread:
                unread.add(table.id)
                keys = [f.keys[0] for f in missing if tables.get(f.keys[0]) is table]
                names = "、".join(f"“{row_name(template, k)}”" for k in keys[:3])
                yield this.finding(f"表格“{table.title}”有 {len(keys)} 行未能读出（{names} 等），"
                                   "可能是表格版式未能识别或文本不完整，请核对", keys=keys, severity="warning")
        elif loose:
            yield this.finding(f"{message}（表中有无法归行的数字，可能是该行的名称未能识别，请核对）",
                               keys=fact.keys, severity="warning")
        else:
            yield this.finding(message, keys=fact.keys)


@cache
def _tables_by_row(template_id: TemplateId) -> dict[str, TableSpec]:
    """Each row key of the template with its table (made once per template, not per report)."""
    return {row.key: table for table in load_template(template_id).tables for _, row in table.rows()}


def _missing_table(context: Context, fact: Fact) -> Finding:
    """A table is missing for certain only when its section was read and prints no table rows."""
    this = this_rule("structure.missing_row")
    message = f"缺少表格“{fact.detail.get('title')}”"
    table = context.template.table(fact.keys[0]) if fact.keys else None
    section = context.section(table.section) if table is not None and table.section else None
    if section is None:
        return this.finding(f"{message}（未读出该表所在部分的标题，可能是版式未能识别，请核对）", keys=fact.keys,
                            severity="warning")
    rows = [line for line in context.lines[section.line: section.end_line]
            if not line.chrome and printed_cells(line.text) > 1]
    if rows:
        return this.finding(f"{message}（该部分有 {len(rows)} 行表格样的文字未能读出，请核对）", keys=fact.keys,
                            line=rows[0].number, severity="warning")
    return this.finding(message, keys=fact.keys, line=section.line)


@rule("structure.cell_count", "info", "某行印出的数字个数与模板不符",
      "一行数字多于或少于模板的列数时，只有表格的勾稽关系能确定各数所在的列；不能确定的留空，不作猜测。")
def cell_count(context: Context) -> Iterator[Finding]:
    template = context.template
    this = this_rule("structure.cell_count")
    for fact in _facts(context, "cell_count"):
        name = row_name(template, fact.keys[0]) if fact.keys else "该行"
        if fact.detail.get("split"):
            message = f"“{name}”一行的数字连在一起（{fact.detail.get('raw')}），已按表格勾稽关系拆分"
        else:
            message = (f"“{name}”一行印有 {fact.detail.get('printed')} 个数，模板为 "
                       f"{fact.detail.get('expected')} 个（{fact.detail.get('raw')}）")
        yield this.finding(message, keys=fact.keys, line=fact.line)
    for fact in _facts(context, "ambiguous_split"):
        names = "、".join(cell_name(template, k) for k in fact.keys[:4])
        yield this.finding(f"无法确定 {names} 的数值（有 {fact.detail.get('readings')} 种读法），已置空",
                           keys=fact.keys, line=fact.line, severity="warning")
    for fact in _facts(context, "label_lost"):
        yield this.finding(f"一行数字未印行名，按模板行序（前后两行之间只有这一行）归入“{fact.detail.get('label')}”，"
                           "请核对",
                           keys=fact.keys, line=fact.line, severity="warning")
    for fact in _facts(context, "reading_order"):
        yield this.finding(f"“{fact.detail.get('label')}”之后的数字（{fact.detail.get('raw')} …）不止一行，"
                           "文字与数字的顺序已打乱（如未保留版式的 PDF 转文字），无法确定哪些属于该行，已置空",
                           keys=fact.keys, line=fact.line, severity="warning")
    for fact in _facts(context, "unmapped_values"):
        if fact.detail.get("reason") == "no_key":  # a provincial indicator the template has no field for
            yield this.finding(f"“{fact.detail.get('label')}”不是模板指标，其数字（{fact.detail.get('raw')}）未计入",
                               keys=fact.keys, line=fact.line, severity="info")
            continue
        yield this.finding(f"无法归入任何一行的数字：{fact.detail.get('raw')}", keys=fact.keys, line=fact.line,
                           severity="warning")


@rule("structure.label_variant", "info", "行或列的名称与模板措辞不同",
      "统计表的行列名称应照录年报格式原文；错字或改写（如“本年度止件数”）使读者和汇总程序难以对应。")
def label_variant(context: Context) -> Iterator[Finding]:
    this = this_rule("structure.label_variant")
    for fact in _facts(context, "label_variant"):
        yield this.finding(f"“{fact.detail.get('printed')}”与模板措辞“{fact.detail.get('expected')}”不一致",
                           keys=fact.keys, line=fact.line)


@rule("active.fee_unit", "warning", "行政事业性收费金额的单位不是万元或数额不合理",
      "年报格式表二第二十条第（八）项的单位为“万元”；以“元”填报会把金额放大一万倍。")
def fee_unit(context: Context) -> Iterator[Finding]:
    this = this_rule("active.fee_unit")
    for fact in _facts(context, "unit_converted"):
        if fact.keys and fact.keys[0].startswith("active."):
            yield this.finding(f"收费金额“{fact.detail.get('raw')}”以元填报，模板单位为万元（已折算）",
                               keys=fact.keys, line=fact.line)
    amount = context.report.values.get("active.admin_fees.amount_wan")
    converted = any(f.keys == ["active.admin_fees.amount_wan"] for f in _facts(context, "unit_converted"))
    if isinstance(amount, int | float) and amount > IMPLAUSIBLE_WAN and not converted:
        cell = next((c for c in context.report.cells if c.key == "active.admin_fees.amount_wan"), None)
        yield this.finding(f"收费金额 {amount} 万元不合常理，可能误以元填报",
                           keys=["active.admin_fees.amount_wan"], line=cell.line if cell else None)


@rule("input.low_confidence", "warning", "扫描件中有识别不可靠的数字",
      "扫描件经 OCR 识别；置信度低的数字不予采信，该格按空白处理（能由表内勾稽关系推出的会标为推算），"
      "请对照原件核实。")
def low_confidence(context: Context) -> Iterator[Finding]:
    this = this_rule("input.low_confidence")
    for fact in _facts(context, "low_confidence"):
        yield this.finding(str(fact.detail.get("note")), line=fact.line)
