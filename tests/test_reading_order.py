"""Text whose reading order was scrambled (pdftotext without -layout): null, never a guess (#10)."""

from __future__ import annotations

from builder import consistent_values, report_text
from conftest import parse, rules


def test_labels_then_numbers_in_a_block_are_not_attributed():
    values = consistent_values()
    block = "\n".join(["行政许可", "行政处罚", "行政强制", "行政事业性收费", "12", "34", "5", "6.5"])
    text = report_text(values)
    start = text.index("行政许可")
    end = text.index("三、收到和处理")
    report = parse(text[:start] + block + "\n" + text[end:])
    for key in ("active.licensing.decisions", "active.penalties.decisions", "active.coercive_measures.decisions",
                "active.admin_fees.amount_wan"):
        assert report.values[key] is None, key
    assert "structure.cell_count" in rules(report)
    assert any("顺序已打乱" in f.message for f in report.findings)


def test_flat_table_read_in_pieces_between_header_words_is_null():
    values = consistent_values()
    text = report_text(values)
    start = text.index("四、政府信息公开行政复议")
    end = text.index("五、")
    scrambled = "\n".join(["四、政府信息公开行政复议、行政诉讼情况", "行政复议", "结果", "维持", "1", "0", "2",
                           "结果", "纠正", "0", "0", "3", "1", "总计", *["0"] * 8, ""])
    report = parse(text[:start] + scrambled + text[end:])
    assert all(report.values[k] is None for k in report.values if k.startswith("appeals."))
    assert any("顺序已打乱" in f.message for f in report.findings)
