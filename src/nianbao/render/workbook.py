"""The template as an Excel workbook to fill in, and a filled workbook back as report data.

One sheet per table, laid out as the template draws it (merged header cells included). A cell
that an identity defines as the sum of others (a row's 总计, （七）总计, a 表四 总计) holds a live
``SUM`` formula, so an agency sees its totals as it types. A sheet 报告信息 takes the agency,
the year and the prose; a hidden sheet ``_keys`` maps every value cell to its field key, which
is how a filled workbook is read back (``nianbao render --from-excel``).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from nianbao.extract.solve import Identity, bind_identities
from nianbao.models import Number
from nianbao.render.layout import table_grid
from nianbao.render.model import ReportData
from nianbao.templates import Template, load_template, template_for_year

INFO_SHEET = "报告信息"
KEYS_SHEET = "_keys"
INFO_FIELDS = (("机关名称", "agency"), ("报告年度", "year"), ("一、总体情况（文字）", "一"),
               ("五、存在的主要问题及改进情况（文字）", "五"), ("六、其他需要报告的事项（文字）", "六"),
               ("本年收取信息处理费（万元）", "fee_wan"))


def _sums(template: Template) -> dict[str, Identity]:
    """Keys that are the sum of other keys (one key on the left of an identity)."""
    defined: dict[str, Identity] = {}
    for table in template.tables:
        keys = set(template.required_keys)
        for identity in bind_identities(table, keys):
            if len(identity.left) == 1 and identity.left[0] not in defined and identity.infer:
                defined[identity.left[0]] = identity
    return defined


def blank_workbook(year: int, agency: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    template = load_template(template_for_year(year))
    book = Workbook()
    info = book.active
    assert info is not None
    info.title = INFO_SHEET
    info.append(("项目", "填写"))
    for label, name in INFO_FIELDS:
        info.append((label, agency if name == "agency" else year if name == "year" else None))
    info.column_dimensions["A"].width = 36
    info.column_dimensions["B"].width = 90
    keys_sheet = book.create_sheet(KEYS_SHEET)
    keys_sheet.sheet_state = "hidden"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="F2F2F2")
    formula_fill = PatternFill("solid", fgColor="E8F0FE")
    sums = _sums(template)
    for table in template.tables:
        sheet = book.create_sheet(table.title[:31])
        grid = table_grid(table, {})
        places: dict[str, str] = {}
        for r, c, cell in grid.origins():
            target = sheet.cell(row=r + 1, column=c + 1)
            if cell.key:
                places[cell.key] = target.coordinate
            else:
                target.value = cell.text
                target.fill = header_fill
                target.font = Font(bold=False)
            target.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(start_row=r + 1, start_column=c + 1, end_row=r + cell.rowspan,
                                  end_column=c + cell.colspan)
        for row in sheet.iter_rows(min_row=1, max_row=len(grid.rows), max_col=grid.width):
            for target in row:
                target.border = border
        for key, coordinate in places.items():
            identity = sums.get(key)
            if identity is not None and all(k in places for k in identity.right):
                sheet[coordinate] = "=SUM(" + ",".join(places[k] for k in identity.right) + ")"
                sheet[coordinate].fill = formula_fill
            keys_sheet.append((key, sheet.title, coordinate))
        for index in range(1, grid.width + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 22 if index <= grid.label_columns else 11
    book.move_sheet(KEYS_SHEET, offset=len(book.sheetnames))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class WorkbookError(ValueError):
    """A workbook that is not one of ours, or holds something that is not a number."""


def read_workbook(data: bytes, blanks: list[str] | None = None) -> ReportData:
    """The report data of a filled workbook; ``blanks`` (when given) receives the places
    (``表三!C7``) of the value cells left empty, so a half-filled workbook is never taken silently."""
    from openpyxl import load_workbook

    from nianbao.errors import UnusableInput
    from nianbao.ingest.limits import check_package

    try:
        check_package("", data, "Excel")  # size before unpacking, damaged data, no entity declarations
    except UnusableInput as exc:
        raise WorkbookError(exc.reason) from None
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a file that is not a workbook
        raise WorkbookError(f"不是有效的 Excel 文件（{type(exc).__name__}）") from None
    if KEYS_SHEET not in book.sheetnames or INFO_SHEET not in book.sheetnames:
        raise WorkbookError("不是 nianbao template --xlsx 生成的工作簿（缺少 _keys 或 报告信息 工作表）")
    info = {label: row[1] for row in book[INFO_SHEET].iter_rows(min_row=2, values_only=True)
            for label in [row[0]] if label}
    fields = {name: info.get(label) for label, name in INFO_FIELDS}
    if not fields["agency"] or not fields["year"]:
        raise WorkbookError("“报告信息”表中缺少机关名称或报告年度")
    try:
        year = int(str(fields["year"]).strip().rstrip("年"))
    except ValueError:
        raise WorkbookError(f"报告年度“{fields['year']}”不是年份") from None
    template = load_template(template_for_year(year))
    values: dict[str, Number | None] = {}
    places: dict[str, str] = {}
    for key, sheet_name, coordinate in book[KEYS_SHEET].iter_rows(values_only=True):
        if str(sheet_name) not in book.sheetnames:
            raise WorkbookError(f"工作簿缺少工作表“{sheet_name}”")
        places[str(key)] = f"{sheet_name}!{coordinate}"
        try:
            cell = book[str(sheet_name)][str(coordinate)]
        except (ValueError, KeyError, TypeError):
            raise WorkbookError(f"_keys 表中的单元格地址“{coordinate}”无效") from None
        values[str(key)] = _number(cell.value, places[str(key)])
    _fill_uncalculated_sums(values, template)
    if blanks is not None:
        blanks.extend(places[key] for key, value in values.items() if value is None)
    prose = {n: str(fields[n]) for n in ("一", "五", "六") if fields.get(n)}
    fee = _number(fields.get("fee_wan"), "信息处理费")
    return ReportData.model_validate({"meta": {"year": year, "agency": str(fields["agency"]).strip()},
                                      "values": values, "prose": prose, "fee_wan": fee})


def _number(value: Any, where: str) -> Number | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise WorkbookError(f"{where} 的值“{value}”不是数字")
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else float(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except ArithmeticError:
        raise WorkbookError(f"{where} 的值“{value}”不是数字") from None
    return int(number) if number == number.to_integral_value() else float(number)


def _fill_uncalculated_sums(values: dict[str, Number | None], template: Template) -> None:
    """A workbook saved by a program that does not calculate has formulas without results:
    their values are the sums the formulas stand for (sums of sums included)."""
    sums = _sums(template)
    changed = True
    while changed:
        changed = False
        for key, identity in sums.items():
            if key in values and values[key] is None and all(values.get(k) is not None for k in identity.right):
                total = sum((Decimal(str(values[k])) for k in identity.right), Decimal(0))
                values[key] = int(total) if total == total.to_integral_value() else float(total)
                changed = True
