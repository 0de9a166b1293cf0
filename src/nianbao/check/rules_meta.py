"""Year and metadata rules: the year in the title vs the statistics period, the template
generation vs the year, and publication after the legal deadline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from nianbao.check.labels import is_government
from nianbao.check.registry import Context, rule, this_rule
from nianbao.models import Finding

# 统计期限自2023年1月1日起至2023年12月31日止 / 统计期限为2023年1月1日至12月31日
_PERIOD = re.compile(r"(?:统计期限|统计时限|统计期间|统计时间)[^。；\d]{0,8}?(\d{4})\s*年\s*1\s*月\s*1\s*日"
                     r"[^。；\d]{0,6}(?:(\d{4})\s*年\s*)?12\s*月\s*31\s*日")


@rule("meta.year_mismatch", "error", "标题年度与统计期限不一致",
      "《政府信息公开条例》第四十九条：年度报告报告的是上一年度的工作；标题中的年度应与正文所述统计期限"
      "（某年1月1日至12月31日）为同一年。")
def year_mismatch(context: Context) -> Iterator[Finding]:
    report = context.report
    year = report.meta.year
    if year is None:
        return
    this = this_rule("meta.year_mismatch")
    for line in context.lines:
        if line.chrome or "统计" not in line.text:
            continue
        found = _PERIOD.search(line.text)
        if not found:
            continue
        years = {int(y) for y in found.groups() if y}
        if years != {year}:
            stated = "、".join(str(y) for y in sorted(years))
            yield this.finding(f"标题为 {year} 年度报告，统计期限写的是 {stated} 年", line=line.number)
        return


@rule("structure.wrong_template", "error", "报告年度与所用模板版本不符",
      "2021 年度起应使用国办公开办函〔2021〕30号的格式；2019、2020 年度使用 2019 年版格式；"
      "2019 年度起不应再用 2008—2018 年的统计表。")
def wrong_template(context: Context) -> Iterator[Finding]:
    meta = context.report.meta
    if meta.year is None or meta.template is None:
        return
    this = this_rule("structure.wrong_template")
    names = {"2021": "2021 年版格式", "2019": "2019 年版格式", "legacy": "2008—2018 年统计表"}
    if meta.year >= 2021 and meta.template != "2021":
        yield this.finding(f"{meta.year} 年度报告使用了{names[meta.template]}，应使用 2021 年版格式")
    elif 2019 <= meta.year <= 2020 and meta.template == "legacy":
        yield this.finding(f"{meta.year} 年度报告使用了{names['legacy']}，应使用 2019 年版格式")
    elif 2019 <= meta.year <= 2020 and meta.template == "2021":
        yield this.finding(f"{meta.year} 年度报告已使用 2021 年版格式（当年应为 2019 年版）", severity="info")


@rule("meta.late_publication", "warning", "报告发布晚于法定期限",
      "《政府信息公开条例》第四十九条：部门的年度报告应于每年 1 月 31 日前向本级政府信息公开工作主管部门报送"
      "并向社会公布，县级以上人民政府的年度报告应于 3 月 31 日前公布（2008—2018 年为 3 月 31 日前）。"
      "只在已知发布日期时核对。")
def late_publication(context: Context) -> Iterator[Finding]:
    meta = context.report.meta
    if meta.year is None or meta.published is None:
        return
    try:
        published = date.fromisoformat(meta.published)
    except ValueError:
        return
    government = is_government(meta.agency)
    if meta.template == "legacy" or government:
        deadline, who = date(meta.year + 1, 3, 31), "人民政府" if government else "2019 年以前的报告"
    else:
        deadline, who = date(meta.year + 1, 1, 31), "部门"
    if published > deadline:
        yield this_rule("meta.late_publication").finding(
            f"发布日期 {published.isoformat()} 晚于{who}年度报告的期限 {deadline.isoformat()}",
            line=meta.title_line)
