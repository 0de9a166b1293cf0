"""Every layout trait of issue #2 on small reports the tests write themselves."""

from __future__ import annotations

import opencc
import pytest

from builder import T3_COLUMNS, consistent_values, report_text
from conftest import parse, rules


def cells_of(report, key):
    return next(c for c in report.cells if c.key == key)


@pytest.mark.parametrize("layout", ["tab", "cell", "spaced"])
def test_consistent_report_round_trips_in_every_layout(layout):
    values = consistent_values()
    report = parse(report_text(values, layout=layout))
    assert {k: report.values[k] for k in values} == values
    assert len(report.values) == 200
    assert not [f for f in report.findings if f.severity == "error"]


def test_every_value_keeps_its_source_line():
    text = report_text(consistent_values())
    report = parse(text)
    lines = text.split("\n")
    cell = cells_of(report, "requests.new_received.natural_person")
    assert cell.raw == "9" and "本年新收" in lines[cell.line - 1]


def test_vanished_blank_is_solved_from_the_row_total():
    values = consistent_values()
    # a browser copy: the 0 of 科研机构 vanished from the 本年新收 row
    row = "一、本年新收政府信息公开申请数量\t9\t2\t0\t1\t0\t12"
    report = parse(report_text(values, row_text={"requests.new_received": row}))
    assert report.values["requests.new_received.research"] == 0
    assert report.values["requests.new_received.total"] == 12
    assert "structure.cell_count" in rules(report)


def test_blank_cell_forced_by_identities_is_inferred():
    values = consistent_values()
    values["requests.granted.total"] = ""  # printed blank in its column
    report = parse(report_text(values))
    assert report.values["requests.granted.total"] == 9
    assert cells_of(report, "requests.granted.total").inferred


def test_blank_cell_not_forced_stays_null():
    values = consistent_values()
    text = report_text(values, row_text={"requests.granted": "（一）予以公开\t7\t1\t\t\t1\t\t"})
    report = parse(text)
    # two blanks in the middle with row total missing too: only the identities of the whole
    # table can settle them; here they do (every other row is known)
    assert report.values["requests.granted.research"] == 0
    assert report.values["requests.granted.total"] == 9


def test_missing_cell_placed_by_the_column_sums_of_the_whole_table():
    values = consistent_values()
    # six numbers for seven columns, and the (七)总计 row is missing: the row's own total allows
    # several placements; only the balance of the other rows' columns settles it
    text = report_text(values, row_text={"requests.unable_not_held": "1.本机关不掌握相关政府信息\t2\t1\t0\t0\t0\t3"},
                       drop_rows=("requests.total",))
    report = parse(text)
    assert [report.values[f"requests.unable_not_held.{c}"] for c in T3_COLUMNS] == [2, 1, 0, 0, 0, 0, 3]
    assert "structure.cell_count" in rules(report)


def test_extra_cell_in_flat_table():
    values = consistent_values()
    flat = "\t".join(["1", "0", "0", "1", "2", "0", "1", "0", "0", "1", "0", "0", "0", "0", "0", "0"])
    report = parse(report_text(values, row_text={"appeals": flat}))
    assert report.values["appeals.review.total"] == 2
    assert report.values["appeals.suit_direct.corrected"] == 1
    assert "structure.cell_count" in rules(report)


def test_run_together_digits_split_by_row_total():
    values = consistent_values([64, 0, 0, 2, 0, 4, 70])
    text = report_text(values, row_text={"requests.new_received": "一、本年新收政府信息公开申请数量640020470"})
    report = parse(text)
    assert [report.values[f"requests.new_received.{c}"] for c in T3_COLUMNS] == [64, 0, 0, 2, 0, 4, 70]
    assert cells_of(report, "requests.new_received.natural_person").split
    assert any("连在一起" in f.message for f in report.findings)


def test_run_together_digits_with_no_identity_are_null_plus_finding():
    text = report_text(consistent_values(), row_text={"active.normative_docs": "行政规范性文件693665"})
    report = parse(text)
    assert report.values["active.normative_docs.issued"] is None
    assert report.values["active.normative_docs.in_force"] is None
    assert any(f.rule == "structure.cell_count" and f.severity == "warning" for f in report.findings)


def test_fullwidth_digits_thousands_and_units():
    values = consistent_values()
    text = report_text(values, row_text={
        "active.licensing": "行政许可\t１,２３４",
        "active.admin_fees": "行政事业性收费\t1077980元",
        "active.penalties": "行政处罚\t０",
    })
    report = parse(text)
    assert report.values["active.licensing.decisions"] == 1234
    assert report.values["active.penalties.decisions"] == 0
    assert report.values["active.admin_fees.amount_wan"] == pytest.approx(107.798)
    assert "active.fee_unit" in rules(report)


def test_amount_in_wan_is_kept():
    text = report_text(consistent_values(), row_text={"active.admin_fees": "行政事业性收费\t0.5万元"})
    report = parse(text)
    assert report.values["active.admin_fees.amount_wan"] == 0.5
    assert "active.fee_unit" not in rules(report)


def test_label_variants_are_matched_and_reported():
    values = consistent_values()
    text = report_text(values).replace("2.其他法律行政法规禁止公开", "2.其他法律法规禁止公开")
    text = text.replace("本年废止件数", "本年度止件数")
    report = parse(text)
    assert report.values["requests.withheld_prohibited.total"] == 0
    messages = [f.message for f in report.findings if f.rule == "structure.label_variant"]
    assert any("其他法律法规禁止公开" in m for m in messages)
    assert any("本年度止件数" in m for m in messages)


def test_label_typo_inside_wrapped_cell_is_not_a_variant():
    values = consistent_values()
    wrapped = "（二）部分公开（区分处理的，只计这一情\n0   0   0   0   0   0   0\n形，不计其他情形）"
    report = parse(report_text(values, layout="spaced", row_text={"requests.partly_granted": wrapped}))
    assert report.values["requests.partly_granted.total"] == 0
    assert "structure.label_variant" not in rules(report)


def test_stray_fragment_of_a_vertical_label():
    values = consistent_values()
    text = report_text(values).replace("2.重复申请", "理\t2.重复申请")
    report = parse(text)
    assert {k: report.values[k] for k in values} == values


def test_pdftotext_layout_with_page_number_inside_table():
    values = consistent_values()
    text = report_text(values, layout="spaced")
    text = text.replace("      3.补正后申请内容仍不明确", "\n                 -4-\n\f      3.补正后申请内容仍不明确")
    report = parse(text)
    assert {k: report.values[k] for k in values} == values


def test_missing_row_solved_by_balance_and_reported():
    values = consistent_values()
    report = parse(report_text(values, drop_rows=("requests.carried_forward",)))
    assert report.values["requests.carried_forward.total"] == 0
    assert cells_of(report, "requests.carried_forward.total").inferred
    assert "structure.missing_row" in rules(report)


def test_web_chrome_is_ignored_and_empty_section_found():
    chrome = ["【上一篇】 【下一篇】", "主办单位:示范县政府 联系电话:1234567", "网站标识码:000 ICP备案号:X ICP备1号"]
    report = parse(report_text(consistent_values(), section_six="", extra_bottom=chrome))
    assert {"structure.empty_section", "fees.statement_missing"} <= rules(report)


def test_traditional_characters():
    values = consistent_values()
    text = opencc.OpenCC("s2t").convert(report_text(values))
    assert "資訊" in text or "條" in text or "處" in text
    report = parse(text)
    assert {k: report.values[k] for k in values} == values


def test_report_year_agency_and_publication_date():
    text = report_text(consistent_values(), year=2022, agency="示范市人民政府办公室",
                       extra_top=["2023/1/20 09:00:00 来源:市政府办"])
    report = parse(text)
    assert (report.meta.year, report.meta.agency, report.meta.published) == (2022, "示范市人民政府办公室",
                                                                                 "2023-01-20")


def test_title_on_two_lines():
    text = report_text(consistent_values()).replace("青川县示范局2023年政府信息公开工作年度报告",
                                                   "青川县示范镇人民政府\n\n2023 年度政府信息公开工作报告")
    report = parse(text)
    assert report.meta.agency == "青川县示范镇人民政府"
    assert report.meta.year == 2023


def test_sections_whatever_the_numbering_style():
    text = report_text(consistent_values())
    text = text.replace("五、存在的主要问题及改进情况", "五．存在的主要问题及改进情况")
    report = parse(text)
    assert [s.number for s in report.sections] == ["一", "二", "三", "四", "五", "六"]
    assert not {"structure.missing_section", "structure.extra_section"} & rules(report)


def test_extra_section_maps_the_fee_section_by_title():
    extra = "六、下步工作打算\n\n加强培训。\n\n七、其他需要报告的事项"
    text = report_text(consistent_values()).replace("六、其他需要报告的事项", extra)
    report = parse(text)
    assert "structure.extra_section" in rules(report)
    assert "fees.statement_missing" not in rules(report)


def test_2021_report_printing_the_2019_single_other_row():
    values = consistent_values()
    text = report_text(values, row_text={
        "requests.other_no_correction": "（六）其他处理\t0\t0\t0\t0\t0\t0\t0",
        "requests.other_fee_unpaid": "", "requests.other_misc": "",
    })
    report = parse(text)
    assert report.meta.template == "2021"
    assert report.values["requests.other_subtotal.total"] == 0
    assert report.values["requests.other_misc.total"] == 0  # forced by the printed subtotal 0
    assert "structure.missing_row" in rules(report)


def test_results_total_error_names_the_column():
    values = consistent_values()
    values["requests.total.natural_person"] = 10
    values["requests.total.total"] = 13
    report = parse(report_text(values))
    messages = [f.message for f in report.findings if f.rule == "requests.results_total"]
    assert "（七）总计 10 ≠ 各办理结果之和 9（自然人列）" in messages
