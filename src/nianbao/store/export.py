"""Exports: one row per report, one column per key (CSV, XLSX, Parquet, JSON Lines), and one
report's three tables in the template layout (``--official``).

CSV is UTF-8 with a BOM and XLSX has Chinese headers, so both open cleanly in Excel and WPS;
numbers are written as numbers and an unknown cell is empty, never 0. Parquet and JSON Lines
keep the keys as column names (for programs).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from nianbao.check.labels import cell_name
from nianbao.models import Number
from nianbao.store.queries import Filters, query_rows, select_reports
from nianbao.templates import TemplateId, all_templates, load_template

ExportFormat = Literal["csv", "xlsx", "parquet", "jsonl"]
META = (("agency", "机关"), ("printed", "报告所署机关"), ("province", "省"), ("city", "市"), ("county", "县（区）"),
        ("level", "层级"), ("year", "年度"), ("template", "模板"), ("version", "版本"), ("errors", "错误"),
        ("warnings", "警告"), ("path", "文件"))


def _keys(templates: list[TemplateId]) -> list[str]:
    keys: list[str] = []
    seen: set[str] = set()
    for template_id in templates:
        for key in load_template(template_id).required_keys:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    return keys


def _headers(keys: list[str], templates: list[TemplateId]) -> list[str]:
    """Chinese column names; a name two keys share gets its key added."""
    names = []
    for key in keys:
        template = next(load_template(t) for t in templates if key in load_template(t).required_keys)
        names.append(cell_name(template, key).replace("“", "").replace("”", " "))
    taken = [n for n in names]
    return [f"{n}（{k}）" if taken.count(n) > 1 else n for n, k in zip(names, keys, strict=True)]


Selection = sa.Select[tuple[object, ...]]


def _templates(conn: sa.Connection, query: Selection) -> list[TemplateId]:
    used = set(conn.execute(sa.select(query.subquery().c.template).distinct()).scalars())
    return [t.id for t in all_templates() if t.id in used]


def _rows(conn: sa.Connection, query: Selection, keys: list[str]) -> Iterator[list[Any]]:
    for meta, values in query_rows(conn, query):
        yield [getattr(meta, name) for name, _ in META] + [values.get(k) for k in keys]


def export(conn: sa.Connection, filters: Filters, fmt: ExportFormat, out: Path) -> int:
    """Write the reports ``filters`` select to ``out``; returns how many."""
    return export_query(conn, select_reports(conn, filters), fmt, out)


def export_query(conn: sa.Connection, query: Selection, fmt: ExportFormat, out: Path) -> int:
    """Write the reports a ``select_reports`` query selects to ``out`` (the web narrows the query
    further for its list); returns how many."""
    templates = _templates(conn, query)
    keys = _keys(templates)
    rows = _rows(conn, query, keys)
    if fmt == "csv":
        return _csv(out, [h for _, h in META] + _headers(keys, templates), rows)
    if fmt == "xlsx":
        return _xlsx(out, [h for _, h in META] + _headers(keys, templates), rows)
    if fmt == "jsonl":
        return _jsonl(out, [n for n, _ in META] + keys, rows)
    return _parquet(out, [n for n, _ in META] + keys, rows)


def _csv(out: Path, headers: list[str], rows: Iterator[list[Any]]) -> int:
    count = 0
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    return count


def _xlsx(out: Path, headers: list[str], rows: Iterator[list[Any]]) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("报告")
    sheet.append(headers)
    count = 0
    for row in rows:
        sheet.append(row)  # None stays an empty cell
        count += 1
    book.save(out)
    return count


def _jsonl(out: Path, names: list[str], rows: Iterator[list[Any]]) -> int:
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n")
            count += 1
    return count


def _parquet(out: Path, names: list[str], rows: Iterator[list[Any]]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = {"agency", "printed", "province", "city", "county", "level", "template", "path"}
    fields = [pa.field(n, pa.string() if n in text else pa.int64() if n in ("year", "version", "errors", "warnings")
                       else pa.float64()) for n in names]
    schema = pa.schema(fields)
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        chunk: list[list[Any]] = []
        for row in rows:
            chunk.append(row)
            count += 1
            if len(chunk) >= 5000:
                writer.write_table(_table(pa, schema, names, chunk))
                chunk = []
        if chunk or count == 0:
            writer.write_table(_table(pa, schema, names, chunk))
    return count


def _table(pa: Any, schema: Any, names: list[str], chunk: list[list[Any]]) -> Any:
    columns = [[row[i] for row in chunk] for i in range(len(names))]
    return pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
                                schema=schema)


def official_workbook(template_id: TemplateId, values: dict[str, Number | None], title: str) -> bytes:
    """The report's three tables as the template draws them, one sheet each, merged cells kept."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from nianbao.render.layout import table_grid

    book = Workbook()
    book.remove(book.active)
    for table in load_template(template_id).tables:
        sheet = book.create_sheet(table.title[:31].replace("/", "／"))
        sheet.cell(row=1, column=1, value=f"{title}　{table.title}").font = Font(bold=True)
        grid = table_grid(table, values)
        for top, left, cell in grid.origins():
            target = sheet.cell(row=top + 2, column=left + 1)
            value = values.get(cell.key) if cell.key else cell.text
            target.value = value  # a number stays a number; an unknown value stays empty
            target.alignment = Alignment(wrap_text=True, vertical="center")
            if cell.header:
                target.font = Font(bold=True)
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(start_row=top + 2, start_column=left + 1, end_row=top + 1 + cell.rowspan,
                                  end_column=left + cell.colspan)
        sheet.column_dimensions["A"].width = 36
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
