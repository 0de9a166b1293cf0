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
    """The workbook, streamed row by row (openpyxl's write-only mode): time and memory grow
    linearly with the number of findings."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("审核意见")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fills = {"error": PatternFill("solid", fgColor="FBD5D5"), "warning": PatternFill("solid", fgColor="FFF1C2")}
    wrap = Alignment(wrap_text=True, vertical="top")

    def row(values: tuple[object, ...], severity: str | None = None, header: bool = False) -> list[Any]:
        cells = []
        for column, value in enumerate(values, start=1):
            cell = WriteOnlyCell(sheet, value=_safe(value))
            if isinstance(value, str):
                cell.data_type = "s"  # text from a report is never a formula, even when it starts with "="
            if header:
                cell.font = bold
            elif column == 5 and severity in fills:
                cell.fill = fills[severity]
            elif column == len(COLUMNS):
                cell.alignment = wrap
            cells.append(cell)
        return cells

    sheet.append(row(COLUMNS, header=True))
    count = 1
    for report in batch.reports:
        for finding in report.findings:
            sheet.append(row((report.meta.agency, report.meta.year, report.meta.template, report.source.path,
                              SEVERITY_NAMES[finding.severity], finding.rule, finding.line, finding.place,
                              "、".join(finding.keys), finding.message), finding.severity))
            count += 1
    for failure in batch.failures:
        sheet.append(row((None, None, None, failure.path, "无法读取", "input.unusable", None, None, None,
                          failure.reason)))
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe(value: object) -> object:
    """Control characters (which a workbook may not hold) shown as ``\\xNN``."""
    return safe_text(value) if isinstance(value, str) else value
