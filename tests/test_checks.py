"""The checks: each rule fires on the defect it names, at the right place, and not otherwise;
the ``check`` and ``rules`` commands and their outputs (terminal, JSON, XLSX, HTML)."""

from __future__ import annotations

import json
import random

import pytest

from builder import consistent_values, report_text
from conftest import parse, rules
from nianbao.batch import parse_batch
from nianbao.check import RULES
from nianbao.render import ReportData, render
from nianbao.sample.corpus import report_data
from nianbao.sample.values import report_values
from nianbao.templates import load_template
from test_input_errors import run

OVERVIEW = "主动公开、依申请公开工作有序开展。"  # the builder's overview sentence, replaced by a test's


def findings_of(report, rule_id):
    return [f for f in report.findings if f.rule == rule_id]


def test_consistent_report_has_no_error_or_warning():
    report = parse(report_text(consistent_values()))
    assert [f for f in report.findings if f.severity != "info"] == []


def test_year_in_title_vs_statistics_period():
    text = report_text(consistent_values(), year=2023).replace("统计期限自2023年1月1日起至2023年12月31日止",
                                                             "统计期限自2022年1月1日起至2022年12月31日止")
    report = parse(text)
    [finding] = findings_of(report, "meta.year_mismatch")
    assert finding.severity == "error" and "2022" in finding.message and finding.line == 3


def test_wrong_template_for_the_year():
    early = report_text(consistent_values(), year=2023).replace("2023年", "2020年")
    [finding] = findings_of(parse(early), "structure.wrong_template")
    assert finding.severity == "info"  # a 2020 report already on the 2021 format: allowed, noted
    values = report_values(load_template("2019"), random.Random(1))
    data = ReportData.model_validate({"meta": {"year": 2023, "agency": "青川县示范局", "template": "2019"},
                                      "values": values})
    old_format = parse(render(data, "md").decode("utf-8"))
    assert old_format.meta.template == "2019"
    [finding] = findings_of(old_format, "structure.wrong_template")
    assert finding.severity == "error" and "2021 年版" in finding.message


@pytest.mark.parametrize(("agency", "published", "late"), [
    ("青川县示范局", "2024年2月3日", True),  # a department: 31 January
    ("青川县示范局", "2024年1月30日", False),
    ("青川县人民政府", "2024年3月20日", False),  # a government's own report: 31 March
    ("青川县人民政府", "2024年4月1日", True),
])
def test_late_publication(agency, published, late):
    text = report_text(consistent_values(), agency=agency, extra_bottom=["", agency, published])
    report = parse(text)
    assert report.meta.published is not None
    assert ("meta.late_publication" in rules(report)) is late


def test_narrative_contradicting_table_three():
    values = consistent_values()
    text = report_text(values).replace("主动公开、依申请公开工作有序开展。", "全年共受理政府信息公开申请15件。")
    report = parse(text)
    [finding] = findings_of(report, "narrative.mismatch")
    assert "15" in finding.message and "12" in finding.message
    same = report_text(values).replace("主动公开、依申请公开工作有序开展。", "全年共受理政府信息公开申请12件。")
    assert "narrative.mismatch" not in rules(parse(same))


def test_narrative_says_no_requests_but_table_has_some():
    text = report_text(consistent_values()).replace(OVERVIEW, "本年度未收到政府信息公开申请。")
    [finding] = findings_of(parse(text), "narrative.mismatch")
    assert finding.keys == ["requests.new_received.total"]


def test_narrative_review_count():
    text = report_text(consistent_values()).replace(OVERVIEW, "发生政府信息公开行政复议3件。")
    [finding] = findings_of(parse(text), "narrative.mismatch")
    assert "行政复议 3 件" in finding.message and "2 件" in finding.message


def test_fee_row_without_fee_story():
    values = consistent_values()
    values["requests.other_fee_unpaid.natural_person"] = 1
    values["requests.other_fee_unpaid.total"] = 1
    values["requests.unable_not_held.natural_person"] -= 1
    values["requests.unable_not_held.total"] -= 1
    report = parse(report_text(values, section_six="无。"))
    assert "fees.fee_row_story" in rules(report)
    report = parse(report_text(values, section_six="本年度收取信息处理费0元。"))
    assert "fees.fee_row_story" not in rules(report)


def test_negative_and_fractional_counts():
    values = consistent_values()
    values["appeals.review.other"] = "1.5"
    values["appeals.review.total"] = "3.5"
    report = parse(report_text(values))
    [finding] = findings_of(report, "requests.bad_number")  # one row: one finding naming both cells
    assert finding.keys == ["appeals.review.other", "appeals.review.total"] and "总计列" in finding.message


def test_in_force_zero_after_issuing():
    values = consistent_values()
    values["active.rules.issued"], values["active.rules.repealed"], values["active.rules.in_force"] = 3, 1, 0
    [finding] = findings_of(parse(report_text(values)), "active.in_force_implausible")
    assert finding.keys == ["active.rules.in_force"]


def test_blank_cells_are_noted_not_guessed():
    values = consistent_values()
    for key in ("granted.business", "granted.total", "unable_not_held.business", "unable_not_held.total"):
        values[f"requests.{key}"] = "—"  # two unknowns in every identity: nothing is forced
    report = parse(report_text(values))
    assert report.values["requests.granted.business"] is None
    [finding] = findings_of(report, "requests.blank_cells")
    assert finding.severity == "info" and "requests.granted.business" in finding.keys


def _pair(tmp_path, carried: int, forward: int):
    last = consistent_values()
    last["requests.carried_forward.natural_person"] = forward
    last["requests.carried_forward.total"] = forward
    last["requests.total.natural_person"] -= forward
    last["requests.total.total"] -= forward
    last["requests.unable_not_held.natural_person"] -= forward
    last["requests.unable_not_held.total"] -= forward
    this = consistent_values()
    this["requests.carried_over.natural_person"] = carried
    this["requests.carried_over.total"] = carried
    this["requests.total.natural_person"] += carried
    this["requests.total.total"] += carried
    this["requests.granted.natural_person"] += carried
    this["requests.granted.total"] += carried
    (tmp_path / "2022.txt").write_text(report_text(last, year=2022), encoding="utf-8")
    (tmp_path / "2023.txt").write_text(report_text(this, year=2023), encoding="utf-8")
    return parse_batch([tmp_path])


def test_carry_over_checked_across_a_batch(tmp_path):
    batch = _pair(tmp_path, carried=1, forward=2)
    this_year = next(r for r in batch.reports if r.meta.year == 2023)
    [found] = findings_of(this_year, "continuity.carry_over")  # one row, two columns: one finding
    assert found.keys == ["requests.carried_over.natural_person", "requests.carried_over.total"]
    assert "上年结转 1 ≠ 2022 年报告的结转下年度继续办理 2" in found.message and "另有 1 处" in found.message
    assert "总计列" in found.message
    assert "continuity.carry_over" not in rules(next(r for r in batch.reports if r.meta.year == 2022))


def test_carry_over_that_matches_is_silent(tmp_path):
    batch = _pair(tmp_path, carried=2, forward=2)
    assert all("continuity.carry_over" not in rules(r) for r in batch.reports)


def test_every_rule_has_a_chinese_title_and_explanation():
    for rule in RULES.values():
        assert rule.severity in ("error", "warning", "info")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.title + rule.explanation), rule.id
        assert len(rule.explanation) >= 20, rule.id


# --- the commands ---------------------------------------------------------------------------

def _write(tmp_path, name, values, **kwargs):
    path = tmp_path / name
    path.write_text(report_text(values, **kwargs), encoding="utf-8")
    return path


def test_check_exit_status_follows_errors(tmp_path):
    good = _write(tmp_path, "good.txt", consistent_values())
    assert run("check", str(good)).returncode == 0
    values = consistent_values()
    values["requests.total.total"] = 13
    bad = _write(tmp_path, "bad.txt", values)
    result = run("check", str(bad))
    assert result.returncode == 1
    assert "requests.results_total" in result.stdout and "错误" in result.stdout
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run("check", str(tmp_path))
    assert result.returncode == 2 and "empty.txt: 文件为空" in result.stderr
    assert "requests.results_total" in result.stdout  # the other files were still checked


def test_check_json_and_workbook(tmp_path):
    from openpyxl import load_workbook

    values = consistent_values()
    values["appeals.review.total"] = 5
    path = _write(tmp_path, "r.txt", values)
    book = tmp_path / "out" / "findings.xlsx"
    result = run("check", "--format", "json", "--xlsx", str(book), str(path))
    assert result.returncode == 1
    record = json.loads(result.stdout)
    assert record["meta"]["year"] == 2023
    [finding] = [f for f in record["findings"] if f["rule"] == "appeals.total"]
    assert finding["keys"][0] == "appeals.review.total" and finding["line"]
    sheet = load_workbook(book).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("机关", "年度", "模板", "文件", "级别", "规则")
    assert len(rows) - 1 == len(record["findings"])
    assert any(row[5] == "appeals.total" and row[4] == "错误" for row in rows[1:])


def test_check_html_page_is_written(tmp_path):
    values = consistent_values()
    values["requests.total.total"] = 13
    path = _write(tmp_path, "r.txt", values)
    page = tmp_path / "review.html"
    run("check", "--html", str(page), str(path))
    html = page.read_text(encoding="utf-8")
    assert "审核意见" in html and "requests.results_total" in html
    assert 'data-key="requests.total.total" class="flag-error' in html
    assert "<script" not in html


def test_rules_catalogue(tmp_path):
    result = run("rules", "--format", "json")
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    ids = {e["id"] for e in entries}
    assert {"requests.balance", "narrative.mismatch", "continuity.carry_over", "meta.year_mismatch"} <= ids
    assert all(e["explanation"] for e in entries)
    mismatch = next(e for e in entries if e["id"] == "narrative.mismatch")
    assert any("予以公开及部分公开" in p and "例：" in p for p in mismatch["phrasings"])
    assert any("未收取信息公开处理费" in p for p in next(e for e in entries if e["id"] == "fees.statement_missing")
               ["phrasings"])
    assert {"legacy.cumulative_bound", "continuity.cumulative"} <= ids
    text = run("rules").stdout
    assert "requests.results_total" in text and "错误" in text and "无法提供 N 件" in text


# --- what the prose must cover ---------------------------------------------------------------

SECOND_OVERVIEW_LINE = "政府信息管理规范，政府信息公开平台建设稳步推进，监督保障有力。"


def test_overview_topics():
    text = report_text(consistent_values()).replace(SECOND_OVERVIEW_LINE, "")
    [finding] = findings_of(parse(text), "content.overview_topics")
    assert "政府信息管理" in finding.message and "监督保障" in finding.message
    assert "content.overview_topics" not in rules(parse(report_text(consistent_values())))


def test_government_report_must_cover_article_50_items():
    government = parse(report_text(consistent_values(), agency="青川县人民政府"))
    [finding] = findings_of(government, "content.art50_items")
    assert "工作考核、社会评议、责任追究" in finding.message
    covered = report_text(consistent_values(), agency="青川县人民政府").replace(
        SECOND_OVERVIEW_LINE, SECOND_OVERVIEW_LINE + "年度考核、社会评议均已开展，未发生责任追究。")
    assert "content.art50_items" not in rules(parse(covered))
    assert "content.art50_items" not in rules(parse(report_text(consistent_values())))  # a bureau: not asked


def test_problems_without_measures():
    text = report_text(consistent_values())
    start = text.index("存在问题：")
    short = text[:start] + "存在问题：公开质量有待提升。" + text[text.index("\n", start):]
    [finding] = findings_of(parse(short), "content.problems_measures")
    assert "改进措施" in finding.message


def test_numbering_gap_and_stale_year_and_garbled_words():
    text = report_text(consistent_values(), year=2023).replace(
        SECOND_OVERVIEW_LINE, "（一）主动公开情况。\n（三）依申请公开情况。\n2021年，本局疫情疫情防控有力。")
    report = parse(text)
    assert "跳到（三）" in findings_of(report, "narrative.numbering")[0].message
    assert "2021年" in findings_of(report, "narrative.stale_year")[0].message
    assert "疫情疫情" in findings_of(report, "narrative.garbled")[0].message


@pytest.mark.parametrize(("sentence", "rule_id", "fires"), [
    ("本局规则 and 标准不断完善。", "narrative.garbled", True),
    ("本局落实 rules and 标准。", "narrative.garbled", False),
    ("本局规则and标准不断完善。", "narrative.garbled", False),
    ("本局于XX年完成整改。", "structure.template_residue", True),
    ("本局在此报告有关情况。", "structure.template_residue", True),
    ("本局采购了 XXL 码服装。", "structure.template_residue", False),
    ("全年主动公开政府信息200条，其中政策文件50条，占30%。", "narrative.internal_contradiction", True),
    ("全年主动公开政府信息200条，其中政策文件50条，占25%。", "narrative.internal_contradiction", False),
    # a share printed to whole percent is read to half a percent: 1822/3460 = 52.7% is "53%"
    ("全年主动公开政府信息3460条，其中区直各部门1822条，占53%。", "narrative.internal_contradiction", False),
    ("全年主动公开政府信息3460条，其中区直各部门1822条，占52%。", "narrative.internal_contradiction", True),
    ("全年主动公开政府信息200条，其中政策文件50条，占25.2%。", "narrative.internal_contradiction", True),
])
def test_prose_patterns_searched_over_the_whole_text(sentence, rule_id, fires):
    """These rules search the running text as one string; each match must still land on its line."""
    report = parse(report_text(consistent_values(), section_six=sentence))
    found = findings_of(report, rule_id)
    assert bool(found) is fires
    if fires:
        lines = report_text(consistent_values(), section_six=sentence).split("\n")
        assert sentence in lines[found[0].line - 1]


def test_period_missing():
    text = report_text(consistent_values()).replace("本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。", "")
    assert findings_of(parse(text), "meta.period_missing")[0].severity == "info"
    assert "meta.period_missing" not in rules(parse(report_text(consistent_values())))


@pytest.mark.parametrize(("sentence", "fires"), [("本年度收取信息处理费120。", True),
                                                 ("本年度收取信息处理费120元。", False),
                                                 ("本年度未收取信息处理费。", False)])
def test_fee_amount_needs_a_unit(sentence, fires):
    report = parse(report_text(consistent_values(), section_six=sentence))
    assert ("fees.amount_format" in rules(report)) is fires


@pytest.mark.parametrize(("agency", "fires"), [("青川县示范局", True), ("青川市示范局", False),
                                               ("大兴安岭地区行政公署", False)])
def test_rules_power(agency, fires):
    values = consistent_values()
    values["active.rules.issued"] = 2
    values["active.rules.in_force"] = 6
    report = parse(report_text(values, agency=agency))
    assert ("active.rules_power" in rules(report)) is fires


def test_prose_copied_from_last_year(tmp_path):
    (tmp_path / "2022.txt").write_text(report_text(consistent_values(), year=2022), encoding="utf-8")
    (tmp_path / "2023.txt").write_text(report_text(consistent_values(), year=2023), encoding="utf-8")
    batch = parse_batch([tmp_path])
    this_year = next(r for r in batch.reports if r.meta.year == 2023)
    [finding] = findings_of(this_year, "continuity.copied_text")
    assert "2022 年报告" in finding.message and "相似度为 1.00" in finding.message


def test_rewritten_prose_is_not_a_copy(tmp_path):
    (tmp_path / "2022.txt").write_text(report_text(consistent_values(), year=2022), encoding="utf-8")
    fresh = report_text(consistent_values(), year=2023)
    start = fresh.index("存在问题：")
    rewritten = ("存在问题：今年新设的网上申请平台运行初期故障较多，个别答复超过法定期限，人员变动导致衔接不畅。"
                 "改进情况：明年将委托第三方全面排查平台缺陷，建立答复期限预警，编写岗位交接手册并组织专题轮训。")
    fresh = fresh[:start] + rewritten + fresh[fresh.index("\n", start):]
    (tmp_path / "2023.txt").write_text(fresh, encoding="utf-8")
    batch = parse_batch([tmp_path])
    assert all("continuity.copied_text" not in rules(r) for r in batch.reports)


def test_prose_copied_from_another_agency(tmp_path):
    for agency in ("青川县示范局", "白水县示范局"):
        text = report_text(consistent_values(), agency=agency)
        (tmp_path / f"{agency}.txt").write_text(text, encoding="utf-8")
    batch = parse_batch([tmp_path])
    assert all(len(findings_of(r, "corpus.copied_text")) == 1 for r in batch.reports)
    alone = parse_batch([tmp_path / "青川县示范局.txt"])
    assert "corpus.copied_text" not in rules(alone.reports[0])


def test_government_items():
    report = parse(report_text(consistent_values(), agency="青川县人民政府"))
    assert "content.government_items" in rules(report)
    covered = report_text(consistent_values(), agency="青川县人民政府",
                          section_six="本年度未收取信息处理费。人大代表建议和政协提案办理结果均已公开，年度工作要点全部落实。")
    assert "content.government_items" not in rules(parse(covered))


def test_legacy_unit_column():
    values = report_values(load_template("legacy"), random.Random(2))
    data = report_data("西苑区示范局", 2016, load_template("legacy"), values, random.Random(2))
    text = render(data, "md").decode("utf-8")
    assert "legacy.unit" not in rules(parse(text))
    wrong = text.replace("| 举报投诉数量 | 件 |", "| 举报投诉数量 | 次 |")
    [finding] = findings_of(parse(wrong), "legacy.unit")
    assert finding.keys == ["legacy.complaints"] and "“次”" in finding.message


def test_another_agency_named_in_the_prose(tmp_path):
    copied = report_text(consistent_values(), agency="青川县示范局").replace(OVERVIEW, "白水县示范局工作有序。")
    (tmp_path / "qingchuan.txt").write_text(copied, encoding="utf-8")
    (tmp_path / "baishui.txt").write_text(report_text(consistent_values(), agency="白水县示范局", year=2022),
                                          encoding="utf-8")
    batch = parse_batch([tmp_path])
    qingchuan = next(r for r in batch.reports if r.meta.agency == "青川县示范局")
    [finding] = findings_of(qingchuan, "narrative.foreign_entity")
    assert "白水县" in finding.message
    assert "narrative.foreign_entity" not in rules(next(r for r in batch.reports if r.meta.agency == "白水县示范局"))
    alone = parse_batch([tmp_path / "qingchuan.txt"])  # nothing to compare with: no finding
    assert "narrative.foreign_entity" not in rules(alone.reports[0])


def test_legacy_subcount_bounds_come_from_the_template():
    values = report_values(load_template("legacy"), random.Random(3))
    values["legacy.response.press_conf.by_principal"] = int(values["legacy.response.press_conf.total"] or 0) + 2
    data = report_data("西苑区示范局", 2016, load_template("legacy"), values, random.Random(3))
    [finding] = findings_of(parse(render(data, "md").decode("utf-8")), "legacy.subcount_exceeds")
    assert finding.keys == ["legacy.response.press_conf.by_principal", "legacy.response.press_conf.total"]


def test_per_column_repeats_of_one_row_are_one_finding():
    from nianbao.check.registry import merge_repeats
    from nianbao.models import Finding

    report = parse(report_text(consistent_values()))
    repeats = [Finding(rule="structure.cell_count", severity="info", message=f"第{i}列缺数",
                       keys=[f"requests.granted.{column}"], line=40 + i)
               for i, column in enumerate(["natural_person", "business", "total"])]
    other_row = Finding(rule="structure.cell_count", severity="info", message="另一行", keys=["requests.total.total"])
    [merged, alone] = merge_repeats([*repeats, other_row, other_row], report)
    assert merged.keys == [f.keys[0] for f in repeats] and merged.line == 40
    assert "另有 2 处" in merged.message and "商业企业、总计列" in merged.message
    assert alone == other_row  # an exact repeat is dropped, another row is its own finding


@pytest.mark.parametrize(("heading", "replacement", "severity"), [
    ("六、其他需要报告的事项", "", "error"),  # every other heading read, the section's words nowhere: missing
    ("六、其他需要报告的事项", "其他需要报告的事项如下", "warning"),  # its words are there: a heading not read
])
def test_missing_section_needs_positive_evidence(heading, replacement, severity):
    report = parse(report_text(consistent_values()).replace(heading, replacement))
    [finding] = findings_of(report, "structure.missing_section")
    assert finding.severity == severity and "第六部分" in finding.message
    assert ("请核对" in finding.message) is (severity == "warning")


def test_a_table_most_of_whose_rows_were_not_read_is_one_warning():
    text = report_text(consistent_values())
    report = parse(text[: text.index("三、收到和处理")])
    missing = findings_of(report, "structure.missing_row")
    assert missing and all(f.severity == "warning" for f in missing)
    [requests] = [f for f in missing if "收到和处理政府信息公开申请情况" in f.message]
    assert len(requests.keys) > 20 and "未能读出" in requests.message
    sections = findings_of(report, "structure.missing_section")
    assert sections and all(f.severity == "warning" for f in sections)


def test_one_missing_row_in_a_table_read_whole_is_an_error():
    report = parse(report_text(consistent_values(), drop_rows=("requests.carried_forward",)))
    [finding] = findings_of(report, "structure.missing_row")
    assert finding.severity == "error" and finding.keys == ["requests.carried_forward"]


def _legacy_report(year: int, values: dict[str, int | float | None]):
    from builder import prose_context

    report = prose_context(values, [], template="legacy", year=year, agency="平潭综合实验区").report
    report.source.path = f"{year}.txt"
    return report


def test_cumulative_below_this_year_is_an_error():
    from builder import prose_context
    from nianbao.check.rules_cumulative import cumulative_bound

    context = prose_context({"legacy.proactive.items": 3460, "legacy.proactive.items.cumulative": 3000,
                             "legacy.review.total": 0, "legacy.review.total.cumulative": 2},
                            [], template="legacy", year=2016)
    [finding] = cumulative_bound(context)
    assert finding.severity == "error"
    assert finding.keys == ["legacy.proactive.items", "legacy.proactive.items.cumulative"]
    assert "3000" in finding.message and "3460" in finding.message
    context.cells["legacy.proactive.items"].split = True
    [doubted] = cumulative_bound(context)
    assert doubted.severity == "warning" and "拆分" in doubted.message


def test_cumulative_grows_by_this_year_across_a_batch():
    from nianbao.check.across import cross_report_findings

    before = _legacy_report(2015, {"legacy.proactive.items": 2000, "legacy.proactive.items.cumulative": 81916,
                                   "legacy.review.total": 0, "legacy.review.total.cumulative": 1})
    now = _legacy_report(2016, {"legacy.proactive.items": 3460, "legacy.proactive.items.cumulative": 85376,
                                "legacy.review.total": 0, "legacy.review.total.cumulative": 2})
    found = {id(r): fs for r, fs in cross_report_findings([before, now])}
    [finding] = [f for f in found[id(now)] if f.rule == "continuity.cumulative"]
    assert finding.keys == ["legacy.review.total.cumulative", "legacy.review.total"]
    assert "2 ≠ 2015 年累计 1 ＋ 本年 0 = 1" in finding.message  # 81916 + 3460 = 85376 holds: silent
    assert id(before) not in found or not [f for f in found[id(before)] if f.rule == "continuity.cumulative"]


def test_a_broken_identity_in_a_table_with_a_lost_label_is_a_warning_that_says_so():
    values = consistent_values()
    values["requests.granted.total"] += 1  # 总计 ≠ the applicants' sum in the 予以公开 row
    whole = findings_of(parse(report_text(values)), "requests.row_total")
    assert [f.severity for f in whole] == ["error"]
    lost = findings_of(parse(report_text(values, drop_rows=("requests.rejected_excessive",))), "requests.row_total")
    assert [f.severity for f in lost] == ["warning"] and "行名未能识别" in lost[0].message
