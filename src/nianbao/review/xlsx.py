"""The findings of a batch as a workbook: one row per finding, ready to sort, filter and send."""

from __future__ import annotations

import io
from typing import Any

from nianbao.batch import BatchResult
from nianbao.review.html import SEVERITY_NAMES

COLUMNS = ("机关", "年度", "模板", "文件", "级别", "规则", "行", "位置", "涉及单元格", "意见")
WIDTHS = (24, 7, 7, 36, 7, 30, 6, 18, 36, 80)


def findings_workbook(batch: BatchResult) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "审核意见"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    fills = {"error": PatternFill("solid", fgColor="FBD5D5"), "warning": PatternFill("solid", fgColor="FFF1C2")}
    for report in batch.reports:
        for finding in report.findings:
            sheet.append((report.meta.agency, report.meta.year, report.meta.template, report.source.path,
                          SEVERITY_NAMES[finding.severity], finding.rule, finding.line, finding.place,
                          "、".join(finding.keys), finding.message))
            _as_text(sheet[sheet.max_row])
            if finding.severity in fills:
                sheet.cell(sheet.max_row, 5).fill = fills[finding.severity]
    for failure in batch.failures:
        sheet.append((None, None, None, failure.path, "无法读取", "input.unusable", None, None, None,
                      failure.reason))
        _as_text(sheet[sheet.max_row])
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _as_text(row: Any) -> None:
    """Text from a report is never a formula, even when it starts with ``=``."""
    for cell in row:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
