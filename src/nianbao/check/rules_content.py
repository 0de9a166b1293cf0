"""What the prose must cover and how it reads (domain.md §4.1, §4.2, §4.3, §4.6, §4.7):
the five topics of 总体情况, the items of 条例 art. 50(4) for a government, problems with
measures, numbering, stale years, garbled text, the period sentence, the fee amount, rule-making
power and the legacy unit column."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from nianbao.check.labels import cell_name, is_government
from nianbao.check.registry import Context, rule, this_rule
from nianbao.layout.lines import Line
from nianbao.layout.sections import cn_number
from nianbao.layout.tokens import split_cells
from nianbao.models import Finding, Section
from nianbao.normalize import cjk_count
from nianbao.templates import TemplateId, load_template

OVERVIEW_TOPICS = (("主动公开", ("主动公开",)), ("依申请公开", ("依申请公开", "政府信息公开申请")),
                   ("政府信息管理", ("政府信息管理", "信息管理")), ("平台建设", ("平台建设", "平台")),
                   ("监督保障", ("监督保障", "监督", "保障")))
ART50_ITEMS = (("工作考核", ("考核", "考评")), ("社会评议", ("评议",)), ("责任追究", ("责任追究", "问责")))
PROBLEM_CUES = ("存在", "问题", "不足", "有待", "差距", "薄弱")
MEASURE_CUES = ("下一步", "将", "改进", "措施", "打算", "加强", "推进")
MIN_CJK = 80  # Chinese characters a 第五部分 needs not to be boilerplate
# Matches where the text holds MIN_CJK Chinese characters at least: stops at the 80th instead of
# counting them all (the characters cjk_count counts).
_ENOUGH_CJK = re.compile(r"(?:[^\u4e00-\u9fff]*[\u4e00-\u9fff]){" + str(MIN_CJK) + "}")
_SUB_ENUM = re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]")
_PERIOD = re.compile(r"统计(?:期限|时限|期间|时间|数据)")
_DOUBLED = re.compile(r"([\u4e00-\u9fff]{2,4})\1")
# An English function word between spaces, then a Chinese character. The pattern opens with a
# plain space (a literal: the scan skips ahead to the next one; running text has no tabs, they
# would make it a table row); the Chinese character before the spaces is checked apart.
_LATIN_WORD = re.compile(r" ((?i:and|or|the|of|to|in))[^\S\n]+[\u4e00-\u9fff]")
_YEAR_START = re.compile(r"^(?:[（(][一二三四五六七八九十]+[）)])?\s*(\d{4})\s*年[，,]")
_FEE_AMOUNT = re.compile(r"信息处理费[^。；\d]{0,20}?(\d+(?:\.\d+)?)(?![\d.]|\s*(?:元|万元|件|次|年|个|项|%))")
# The place units an agency's name starts with (青川县 / 北京市 朝阳区): a short name and its level.
_PLACE_UNIT = re.compile(r"[\u4e00-\u9fff]{1,4}?(省|自治区|自治州|地区|市|州|盟|县|区|旗|镇|(?<!城)乡|街道)")
_LOCAL_LEVELS = frozenset({"县", "区", "旗", "镇", "乡", "街道"})
# Repeated words that are ordinary Chinese, not garbling.
_NORMAL_DOUBLES = frozenset({"常常", "天天", "年年", "人人", "处处", "时时", "事事", "层层", "步步", "个个",
                             "逐步逐步", "一一"})


def _lines(context: Context, section: Section) -> list[Line]:
    return [ln for ln in context.lines[section.line: section.end_line] if not ln.chrome and not ln.blank]


def _text(section: Section | None) -> str:
    """The section's prose (computed once by the pipeline)."""
    return "" if section is None else section.text.replace("\n", "")


def _prose_of(context: Context, numbers: tuple[str, ...]) -> str:
    """The prose of these template sections, run together."""
    return "".join(_text(context.section(number)) for number in numbers)


def _not_covered(text: str, topics: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    """The topics none of whose cue words the text mentions."""
    return [name for name, cues in topics if not any(cue in text for cue in cues)]


@rule("content.overview_topics", "warning", "总体情况缺少规定的方面",
      "2021 年版格式要求“总体情况”分别报告主动公开、依申请公开、政府信息管理、政府信息公开平台建设、"
      "监督保障五个方面；缺少的方面逐一列出。")
def overview_topics(context: Context) -> Iterator[Finding]:
    if context.report.meta.template not in ("2019", "2021"):
        return
    section = context.section("一")
    if section is None:
        return
    text = _text(section)
    missing = _not_covered(text, OVERVIEW_TOPICS)
    if missing:
        yield this_rule("content.overview_topics").finding(f"“总体情况”未涉及：{'、'.join(missing)}",
                                                           line=section.line)


@rule("content.art50_items", "warning", "人民政府报告未说明考核、评议和责任追究情况",
      "《政府信息公开条例》第五十条第（四）项：县级以上人民政府的年度报告应包括政府信息公开工作考核、"
      "社会评议和责任追究结果情况。只核对以“人民政府”署名的报告。")
def art50_items(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template not in ("2019", "2021") or not is_government(report.meta.agency):
        return
    text = _prose_of(context, ("一", "五", "六"))
    missing = _not_covered(text, ART50_ITEMS)
    if missing:
        yield this_rule("content.art50_items").finding(f"未说明{'、'.join(missing)}情况（条例第五十条第（四）项）")


@rule("content.problems_measures", "warning", "“存在的主要问题及改进情况”不完整",
      "第五部分应既写问题、又写改进措施（条例第五十条第（四）项），并有具体内容；"
      "只有问题或只有措施，或不足 80 个汉字的套话，均需补充。")
def problems_measures(context: Context) -> Iterator[Finding]:
    if context.report.meta.template not in ("2019", "2021"):
        return
    section = context.section("五")
    if section is None:
        return
    text = _text(section)
    this = this_rule("content.problems_measures")
    if not text:
        return  # structure.empty_section says so
    if not any(cue in text for cue in PROBLEM_CUES):
        yield this.finding("第五部分未写明存在的问题", line=section.line)
    elif not any(cue in text for cue in MEASURE_CUES):
        yield this.finding("第五部分未写明改进措施", line=section.line)
    elif not _ENOUGH_CJK.match(text) and (count := cjk_count(text)) < MIN_CJK:
        yield this.finding(f"第五部分只有 {count} 个汉字，内容过于简略", line=section.line)


@rule("narrative.numbering", "info", "正文小标题编号跳号或重复",
      "同一部分内的（一）（二）……编号应连续不重复，跳号多为删改后遗留。")
def numbering(context: Context) -> Iterator[Finding]:
    this = this_rule("narrative.numbering")
    table_sections = {t.section for t in context.template.tables if t.section}
    for section in context.report.sections:
        if section.template_number in table_sections:
            continue  # a table's own (一)…(七) labels, however the layout cut them, are not prose numbering
        previous = 0
        for line in context.running_text_of(section):
            if "\t" in line.text:
                continue  # a table row, one of its cells left (table rows carry their own enumerators)
            found = _SUB_ENUM.match(line.text.strip())
            if not found:
                continue
            value = cn_number(found.group(1))
            if previous and value != previous + 1:
                where = f"“{section.number}、{section.title}”"
                yield this.finding(f"{where}中编号由（{_cn(previous)}）跳到（{found.group(1)}）", line=line.number)
            previous = value


def _cn(value: int) -> str:
    digits = "一二三四五六七八九十"
    return digits[value - 1] if 1 <= value <= 10 else str(value)


@rule("narrative.stale_year", "warning", "正文把往年当作本年",
      "正文段首写“某年，……”时应为报告年度；明显沿用往年报告的年份，是照抄上年文本的迹象。")
def stale_year(context: Context) -> Iterator[Finding]:
    year = context.report.meta.year
    if year is None:
        return
    this = this_rule("narrative.stale_year")
    for number in ("一",):
        section = context.section(number)
        if section is None:
            continue
        for line in _lines(context, section):
            found = _YEAR_START.match(line.text.strip())
            if found and int(found.group(1)) < year:
                yield this.finding(f"{year} 年度报告的正文以“{found.group(1)}年，”开头", line=line.number)


@rule("meta.period_missing", "info", "未写明统计期限",
      "年度报告通常在开头写明“本报告中所列数据的统计期限自某年1月1日起至12月31日止”，"
      "以说明数据口径为完整的自然年度。")
def period_missing(context: Context) -> Iterator[Finding]:
    if not context.content_view.contains(_PERIOD):
        yield this_rule("meta.period_missing").finding("正文未写明数据的统计期限")


@rule("narrative.garbled", "info", "正文有重复或夹杂的字词",
      "重复的词（如“疫情疫情”）、夹在中文里的英文单词（如“规则 and 标准”）多为编辑错误。")
def garbled(context: Context) -> Iterator[Finding]:
    this = this_rule("narrative.garbled")
    findings = []
    for line, found in context.running_view.finditer(_DOUBLED):
        if found.group(0) not in _NORMAL_DOUBLES and len(set(found.group(1))) > 1:
            findings.append(this.finding(f"重复的字词“{found.group(0)}”", line=line.number))
    for line, found in context.running_view.finditer(_LATIN_WORD):
        if _after_chinese(found.string, found.start() + 1):
            findings.append(this.finding(f"中文里夹有英文单词“{found.group(1)}”", line=line.number))
    yield from sorted(findings, key=lambda finding: finding.line or 0)


def _after_chinese(text: str, index: int) -> bool:
    """Whether spaces (one at least) and then a Chinese character come before ``index``, on the same line."""
    start = index
    while index > 0 and text[index - 1] != "\n" and text[index - 1].isspace():
        index -= 1
    return start > index > 0 and "\u4e00" <= text[index - 1] <= "\u9fff"


@rule("fees.amount_format", "warning", "信息处理费金额没有单位",
      "第六部分说明收取信息处理费时，金额应带单位（元）。")
def fee_amount_format(context: Context) -> Iterator[Finding]:
    if context.report.meta.template != "2021":
        return
    section = context.section("六")
    if section is None:
        return
    for line in _lines(context, section):
        found = _FEE_AMOUNT.search(line.text)
        if found:
            yield this_rule("fees.amount_format").finding(f"信息处理费金额“{found.group(1)}”未写单位",
                                                          line=line.number)


@rule("active.rules_power", "warning", "无规章制定权的机关填报了制发规章",
      "《立法法》规定省级人民政府和设区的市、自治州人民政府可以制定地方政府规章；县、区、乡镇、"
      "街道及其部门没有规章制定权，表二“规章 本年制发件数”应为 0。")
def rules_power(context: Context) -> Iterator[Finding]:
    report = context.report
    issued = context.numbers.get("active.rules.issued")
    agency = report.meta.agency or ""
    if report.meta.template != "2021" or not issued or issued <= 0:
        return
    if _lowest_level(agency) in _LOCAL_LEVELS:
        cell = context.cells.get("active.rules.issued")
        yield this_rule("active.rules_power").finding(
            f"{agency}（县、区或乡镇一级）填报本年制发规章 {issued:f} 件", keys=["active.rules.issued"],
            line=cell.line if cell else None)


def place_units(agency: str) -> list[tuple[str, str]]:
    """The place units the name starts with, with their levels: 北京市朝阳区教育委员会 →
    [(北京市, 市), (朝阳区, 区)]."""
    units = []
    position = 0
    while (found := _PLACE_UNIT.match(agency, position)) is not None:
        units.append((found.group(0), found.group(1)))
        position = found.end()
    return units


def _lowest_level(agency: str) -> str | None:
    """The level of the last place unit at the start of the name (区 for 北京市朝阳区教育委员会)."""
    units = place_units(agency)
    return units[-1][1] if units else None


GOVERNMENT_ITEMS = (("人大代表建议和政协提案办理结果公开", ("建议", "提案")),
                    ("年度政务公开工作要点落实情况", ("工作要点", "要点")))


@rule("content.government_items", "info", "人民政府报告未提及建议提案办理结果公开或工作要点落实",
      "2021 年版格式在“其他需要报告的事项”等处要求人民政府报告人大代表建议和政协提案办理结果公开情况、"
      "年度政务公开工作要点落实情况。只核对以“人民政府”署名的 2021 年版报告。")
def government_items(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template != "2021" or not is_government(report.meta.agency):
        return
    text = _prose_of(context, ("一", "五", "六"))
    missing = _not_covered(text, GOVERNMENT_ITEMS)
    if missing:
        yield this_rule("content.government_items").finding(f"未提及：{'、'.join(missing)}")


_UNIT_CELLS = frozenset({"条", "件", "次", "篇", "人", "个", "项", "人次", "万元", "元"})
_NO_FEES = re.compile(r"未[^。；\n]{0,10}收取[^。；\n]{0,10}费")


@rule("legacy.unit", "info", "统计表的单位与规定不符",
      "2008—2018 年统计表每项指标有规定的计量单位（条、件、次、人、万元……）；单位写错会让数值无法比较，"
      "收费以“元”填在“万元”项下尤其常见。正文称未收取费用而统计表有收费金额，也一并提示。")
def legacy_unit(context: Context) -> Iterator[Finding]:
    report = context.report
    if report.meta.template != "legacy":
        return
    this = this_rule("legacy.unit")
    units = _row_units(context.template.id)
    for key, cell in context.cells.items():
        if cell.line is None or key not in units:
            continue
        printed = next(filter(_UNIT_CELLS.__contains__, split_cells(context.lines[cell.line - 1].text)), None)
        if printed is not None and printed != units[key]:  # the first unit cell of the row
            yield this.finding(f"“{_label(context, key)}”的单位印为“{printed}”，规定为“{units[key]}”",
                               keys=[key], line=cell.line)
    fees = context.numbers.get("legacy.fees")
    if fees and fees > 0:
        stated = context.content_view.search(_NO_FEES)
        if stated is not None:
            yield this.finding(f"正文称未收取费用，统计表收费为 {fees:f} 万元", keys=["legacy.fees"],
                               line=stated[0].number)


@cache
def _row_units(template_id: TemplateId) -> dict[str, str]:
    """The unit of each row of the template's first table that has one (made once per template)."""
    return {row.key: row.unit for _, row in load_template(template_id).tables[0].rows() if row.unit}


def _label(context: Context, key: str) -> str:
    return cell_name(context.template, key)

