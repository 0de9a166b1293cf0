"""The findings of a batch as a workbook: one row per finding, ready to sort, filter and send."""

from __future__ import annotations

import io
from typing import Any

from nianbao.batch import BatchResult
from nianbao.normalize import safe_text
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
    wrap = Alignment(wrap_text=True, vertical="top")
    # Rows are written by number: ``sheet.max_row`` scans every cell, which made this quadratic.
    row = 1
    for report in batch.reports:
        for finding in report.findings:
            row += 1
            _put(sheet, row, (report.meta.agency, report.meta.year, report.meta.template, report.source.path,
                              SEVERITY_NAMES[finding.severity], finding.rule, finding.line, finding.place,
                              "、".join(finding.keys), finding.message))
            if finding.severity in fills:
                sheet.cell(row, 5).fill = fills[finding.severity]
            sheet.cell(row, len(COLUMNS)).alignment = wrap
    for failure in batch.failures:
        row += 1
        _put(sheet, row, (None, None, None, failure.path, "无法读取", "input.unusable", None, None, None,
                          failure.reason))
        sheet.cell(row, len(COLUMNS)).alignment = wrap
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _put(sheet: Any, row: int, values: tuple[object, ...]) -> None:
    """One row of values. Text from a report is made safe for a workbook: control characters
    (which openpyxl refuses) shown as ``\\xNN``, and never a formula, even when it starts with ``=``."""
    for column, value in enumerate(values, start=1):
        if value is None:
            continue
        cell = sheet.cell(row, column)
        if isinstance(value, str):
            cell.value = safe_text(value)
            cell.data_type = "s"
        else:
            cell.value = value
