"""Crawled pages (issue #10): the whole report on one line, cells glued, read by its labels."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from builder import consistent_values, report_text
from conftest import parse, rules
from nianbao.layout.lines import split_lines
from nianbao.layout.reflow import reflow

CRAWLER_HEADER = ("标题: 示范县人民政府2023年度政府信息公开工作年度报告\n发布时间: 2024-01-20 15:07\n文号: \n"
                  "发布机构: \n栏目: 政府信息公开年报\n==================== 正文 ====================\n")


def crawl(text: str, glue: str = "") -> str:
    """What a crawler makes of a report: table cells glued with ``glue``, every line run into one."""
    lines = []
    for line in text.split("\n"):
        cells = [c.strip() for c in re.split(r"\t|\s{2,}", line) if c.strip()]
        label = [c for c in cells if not re.fullmatch(r"[\d.]+", c)]
        numbers = [c for c in cells if re.fullmatch(r"[\d.]+", c)]
        lines.append(" ".join(label) + (" " if label and glue else "") + glue.join(numbers))
    return CRAWLER_HEADER + " ".join(x for x in lines if x)


def test_one_line_page_is_cut_at_headings_rows_and_chrome():
    page = crawl(report_text(consistent_values())) + " 【打印】【关闭】"
    lines = reflow(split_lines(page))
    texts = [line.text for line in lines]
    assert "二、主动公开政府信息情况" in texts and "六、其他需要报告的事项" in texts
    assert any(t.startswith("一、本年新收政府信息公开申请数量") and t[-1].isdigit() for t in texts)
    assert lines[-1].chrome and lines[-2].chrome and lines[-2].text == "【打印】"
    assert all(line.place and line.place.startswith("原文第") for line in lines)


def test_glued_page_reads_the_numbers_its_identities_decide():
    values = consistent_values()
    report = parse(crawl(report_text(values)))
    assert report.meta.agency == "示范县人民政府" and report.meta.year == 2023
    assert report.meta.published == "2024-01-20"
    wrong = {k: (v, report.values[k]) for k, v in values.items()
             if report.values[k] is not None and report.values[k] != v}
    assert not wrong
    decided = [k for k in values if report.values[k] is not None]
    assert len(decided) >= 0.9 * len(values)
    t3 = [k for k in values if k.startswith("requests.")]
    assert all(report.values[k] == values[k] for k in t3)  # every T3 row has an identity: one split


def test_spaced_page_reads_every_number():
    values = consistent_values()
    report = parse(crawl(report_text(values), glue=" "))
    assert {k: report.values[k] for k in values} == values


def test_a_glued_run_with_several_splits_is_null_with_a_finding():
    values = consistent_values()
    page = crawl(report_text(values))
    row = re.search(r"行政规范性文件\s*(\d+)", page)
    assert row is not None
    report = parse(page)
    digits = row.group(1)
    if len(digits) > 3:  # 3 cells, no identity: cut several ways
        assert report.values["active.normative_docs.issued"] is None
        assert "structure.cell_count" in rules(report)


def test_prose_naming_table_rows_is_not_read_as_a_table():
    prose = ("二、主动公开政府信息情况 本年制发规章3件、行政规范性文件12件，行政许可办理45件，行政处罚8件，"
             "行政强制2件，均已公开。" * 3)
    lines = reflow(split_lines(CRAWLER_HEADER + "一、总体情况 " + "这是概述。" * 80 + prose))
    assert not any(line.text.startswith(("行政许可", "行政处罚")) for line in lines)


@pytest.mark.parametrize("name", sorted(p.name for p in resources.files("nianbao").joinpath("samples").iterdir()))
def test_bundled_report_crawled_never_gives_a_wrong_number(name):
    text = resources.files("nianbao").joinpath("samples", name).read_text("utf-8")
    truth = parse(text)
    crawled = parse(crawl(text))
    assert crawled.meta.template == truth.meta.template
    wrong = {k: (truth.values.get(k), v) for k, v in crawled.values.items()
             if v is not None and truth.values.get(k) is not None and v != truth.values[k]}
    assert not wrong
    known = [k for k, v in truth.values.items() if v is not None]
    assert sum(crawled.values.get(k) is not None for k in known) >= 0.6 * len(known)


LEGACY_PAGE = ("标题: 示范县2016年度政府信息公开工作年度报告\n发布时间: 2017-01-18 15:57\n"
               "==================== 正文 ====================\n"
               "示范县2016年度政府信息公开工作年度报告 根据《条例》要求编制本报告。"
               + "全县信息公开工作稳步推进。" * 30 +
               " 七、示范县政府信息公开情况统计表 指标名称计量单位2016年度历年累计主动公开文件数条{items}"
               "其中：1、政府网站公开数条{site}2、政府公报公开数条00受理依申请公开信息总数条{received}"
               "其中：1、当面申请数条002、网上申请数条{online}3、信函、传真申请数条00行政复议数件00行政诉讼数件00")


def test_crawled_legacy_table_reads_both_columns_where_they_split_one_way():
    report = parse(LEGACY_PAGE.format(items="346085376", site="346085376", received="00", online="12"))
    assert report.meta.template == "legacy"
    values = report.values
    assert values["legacy.request.received.total"] == 0 and values["legacy.request.received.total.cumulative"] == 0
    # 12 is 1 | 2, or 12 with the other cell blank and vanished (a blank legacy cell is "not reported")
    assert values["legacy.request.received.online"] is None
    assert values["legacy.request.received.online.cumulative"] is None
    assert values["legacy.proactive.channel.gazette.cumulative"] == 0
    # 346085376 cuts as 3|46085376, 34|6085376 or 3460|85376 (累计 ≥ 本年度): null, never a guess
    assert values["legacy.proactive.items"] is None and values["legacy.proactive.items.cumulative"] is None
    assert "legacy.unmapped.letter_fax" not in values  # a provincial indicator with no key is never stored
    assert any("不是模板指标" in f.message for f in report.findings)


def test_legacy_cumulative_printed_below_the_year_is_kept_as_printed():
    page = LEGACY_PAGE.replace("受理依申请公开信息总数条{received}", "受理依申请公开信息总数 条 5 3")
    report = parse(page.format(items="00", site="00", received="", online="12"))
    assert report.values["legacy.request.received.total"] == 5
    assert report.values["legacy.request.received.total.cumulative"] == 3
