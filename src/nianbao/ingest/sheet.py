"""Spreadsheets (.xlsx, .xls, WPS .et, .ods): each sheet a grid, each row one line of cells.

Agencies attach or publish the three tables as a workbook, on one sheet or one per sheet.
python-calamine reads every one of these formats (and only the cached results of formulas,
never evaluating them). A merged cell's value stands in its first cell, the cells it covers are
empty; a row keeps all its fields, so blank cells stay blanks in their column (``row_line``
marks the row as a grid row for the tokenizer).
"""

from __future__ import annotations

import datetime as dt
import io

from nianbao.errors import UnusableInput
from nianbao.ingest.blocks import SourceLine, cell_text, row_line

# An OLE2 file is a Word document or a workbook: the name of its main stream tells (UTF-16LE).
_WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))


def is_ole_workbook(data: bytes) -> bool:
    """An .xls / .et workbook rather than a .doc / .wps document (both are OLE2 files)."""
    head = data[:1 << 20]
    return any(stream in head for stream in _WORKBOOK_STREAMS) and "WordDocument".encode("utf-16-le") not in head


def read_sheets(name: str, data: bytes) -> list[SourceLine]:
    from python_calamine import CalamineError, CalamineWorkbook  # only for workbooks: keeps start-up light

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        raise UnusableInput(name, f"Excel 工作簿已损坏或无法读取（{type(exc).__name__}）") from None
    except Exception as exc:  # the Rust reader raises its own errors (zip, xml, password)
        raise UnusableInput(name, f"Excel 工作簿无法读取（{type(exc).__name__}: {str(exc)[:80]}）") from None
    lines: list[SourceLine] = []
    for sheet_name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except Exception:  # one unreadable sheet (a chart sheet, a damaged part) does not lose the rest
            continue
        for number, row in enumerate(rows, start=1):
            # every field kept, the empty ones at the end too: a blank last column is a blank
            # cell (the table reader drops empty fields beyond the template's columns)
            cells = [cell_text(_text(value)) for value in row]
            if any(cells):
                lines.append(row_line(cells, f"工作表“{sheet_name}”第{number}行"))
    return lines


def _text(value: object) -> str:
    """A cell as the report printed it: whole numbers without ``.0``; dates as dates."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value)
