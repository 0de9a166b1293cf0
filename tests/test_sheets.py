"""Spreadsheets (#10): .xlsx / .xls / WPS .et, each sheet a grid through the same mapping."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest

from nianbao.errors import UnusableInput
from nianbao.ingest.reader import sniff_format
from nianbao.pipeline import parse_file
from nianbao.render.layout import table_grid
from nianbao.sample.values import report_values
from nianbao.templates import load_template

YEARS = {"2021": 2023, "2019": 2020, "legacy": 2016}


def _rows(template_id: str, blank_zeros: bool) -> tuple[dict[str, int | float | None], list[list[list[object]]]]:
    """The template's tables as rows of cell values (one list of rows per table); merged
    cells as a spreadsheet holds them: the value in the first cell, the covered ones empty."""
    template = load_template(template_id)
    values = report_values(template, random.Random(YEARS[template_id]), size=120)
    tables = []
    for table in template.tables:
        rows: list[list[object]] = [[table.title]]
        for grid_row in table_grid(table, values).rows:
            out: list[object] = []
            for cell in grid_row:
                value: object = cell.text or None
                if cell.key is not None and values.get(cell.key) is not None:
                    value = None if blank_zeros and values[cell.key] == 0 else values[cell.key]
                out.extend([value, *[None] * (cell.colspan - 1)])
            rows.append(out)
        tables.append(rows)
    return values, tables


def _title(template_id: str) -> list[object]:
    return [f"青川县示范局{YEARS[template_id]}年度政府信息公开工作年度报告"]


def _xlsx(path: Path, template_id: str, *, per_sheet: bool, blank_zeros: bool) -> dict[str, int | float | None]:
    values, tables = _rows(template_id, blank_zeros)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(_title(template_id))
    for index, rows in enumerate(tables):
        if per_sheet and index:
            sheet = workbook.create_sheet(f"表{index + 2}")
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return values


def _assert_read(path: Path, values: dict[str, int | float | None], template_id: str, *, most: float) -> None:
    report = parse_file(path)
    assert report.meta.template == template_id and report.meta.year == YEARS[template_id]
    assert report.meta.agency == "青川县示范局"
    wrong = {k: (v, report.values.get(k)) for k, v in values.items()
             if report.values.get(k) is not None and report.values.get(k) != v}
    assert not wrong
    assert sum(report.values.get(k) is not None for k in values) >= most * len(values)
    assert all(c.place and c.place.startswith("工作表") for c in report.cells if c.line and not c.inferred)


@pytest.mark.parametrize("template_id", ["2021", "2019", "legacy"])
@pytest.mark.parametrize("per_sheet", [False, True])
def test_xlsx_tables_read_exactly(tmp_path, template_id, per_sheet):
    path = tmp_path / "report.xlsx"
    values = _xlsx(path, template_id, per_sheet=per_sheet, blank_zeros=False)
    assert sniff_format(path.read_bytes()) == "xlsx"
    _assert_read(path, values, template_id, most=1.0)


def test_xlsx_blank_cells_are_decided_by_the_identities(tmp_path):
    path = tmp_path / "report.xlsx"
    values = _xlsx(path, "2021", per_sheet=False, blank_zeros=True)
    _assert_read(path, values, "2021", most=0.99)


def test_xls_workbook_is_read(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    values, tables = _rows("2021", blank_zeros=False)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("年报")
    rows = [_title("2021"), *(row for table in tables for row in table)]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    path = tmp_path / "report.xls"
    book.save(str(path))
    assert sniff_format(path.read_bytes()) == "xls"
    _assert_read(path, values, "2021", most=1.0)


def test_damaged_workbook_is_one_clear_error(tmp_path):
    path = tmp_path / "report.xlsx"
    _xlsx(path, "2021", per_sheet=False, blank_zeros=False)
    data = bytearray(path.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    path.write_bytes(bytes(data))
    with pytest.raises(UnusableInput) as refused:
        parse_file(path)
    assert "Excel" in refused.value.reason or "损坏" in refused.value.reason


def test_a_folder_batch_takes_workbooks(tmp_path):
    from nianbao.batch import expand

    for name in ("a.xlsx", "b.xls", "c.et", "d.ods", "e.csv"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in expand([tmp_path])] == ["a.xlsx", "b.xls", "c.et", "d.ods"]
