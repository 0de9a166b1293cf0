"""Report writers the renderer does not have, for the layout families: an Excel workbook of
the tables, HTML whose tables are nested ``<div>``/``<span>`` (CMS themes), and the markdown a
PDF-to-markdown extractor gives (labels lost on some rows, numbers loose outside the table)."""

from __future__ import annotations

import html
import io
import random

from nianbao.render.model import Block, Grid, GridCell


def _numeric(cell: GridCell, as_text: bool) -> str | int | float | None:
    if not cell.text:
        return None
    if cell.header or as_text:
        return cell.text
    try:
        value = float(cell.text)
    except ValueError:
        return cell.text
    return int(value) if value.is_integer() and "." not in cell.text else value


def write_xlsx(blocks: list[Block], rng: random.Random) -> tuple[bytes, str]:
    """The tables as a workbook: one sheet per table, or all on one sheet under their
    headings; the report title on top. Some agencies type numbers as text."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    one_sheet = rng.random() < 0.5
    as_text = rng.random() < 0.25
    title = next((b.text for b in blocks if b.kind == "title"), "")
    sheet.title = "统计表" if one_sheet else "表1"
    row = 1
    sheet.cell(row=row, column=1, value=title)
    row += 2
    heading = ""
    tables = 0
    for block in blocks:
        if block.kind == "heading":
            heading = block.text
            continue
        if block.grid is None:
            continue
        if not one_sheet and tables:
            sheet = book.create_sheet(f"表{tables + 1}")
            row = 1
            sheet.cell(row=row, column=1, value=title)
            row += 2
        tables += 1
        if heading:
            sheet.cell(row=row, column=1, value=heading)
            row += 1
        row = _grid_to_sheet(sheet, block.grid, row, as_text) + 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), ("one sheet" if one_sheet else "sheet per table") + (", numbers as text" * as_text)


def _grid_to_sheet(sheet: object, grid: Grid, top: int, as_text: bool) -> int:
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(sheet, Worksheet)
    for r, c, cell in grid.origins():
        sheet.cell(row=top + r, column=c + 1, value=_numeric(cell, as_text))
        if cell.rowspan > 1 or cell.colspan > 1:
            sheet.merge_cells(start_row=top + r, start_column=c + 1,
                              end_row=top + r + cell.rowspan - 1, end_column=c + cell.colspan)
    return top + len(grid.rows)


def write_div_grid(blocks: list[Block], rng: random.Random) -> tuple[bytes, str]:
    """HTML with the tables drawn by nested divs: a CSS grid with explicit spans, or rows of
    cells with covered positions left as empty divs."""
    css_grid = rng.random() < 0.5
    title = next((b.text for b in blocks if b.kind == "title"), "")
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title></head><body>",
           '<div class="breadcrumb">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>',
           '<div class="article"><div class="article-content">']
    for block in blocks:
        if block.kind == "title":
            out.append(f'<div class="article-title"><span>{html.escape(block.text)}</span></div>')
        elif block.kind == "heading":
            out.append(f'<div class="h2"><strong>{html.escape(block.text)}</strong></div>')
        elif block.kind == "paragraph":
            out.append(f'<div class="p"><span>{html.escape(block.text)}</span></div>')
        elif block.grid is not None:
            out.append(_css_grid(block.grid) if css_grid else _div_rows(block.grid))
    out.append("</div></div><div class='footer'>【打印】【关闭】</div></body></html>")
    return "\n".join(out).encode("utf-8"), "css grid" if css_grid else "div rows"


def _css_grid(grid: Grid) -> str:
    parts = [f'<div class="tbl" style="display:grid;grid-template-columns:repeat({grid.width},1fr)">']
    for r, c, cell in grid.origins():
        style = (f"grid-row:{r + 1} / span {cell.rowspan};grid-column:{c + 1} / span {cell.colspan}")
        parts.append(f'<div class="td" style="{style}"><span>{html.escape(cell.text)}</span></div>')
    parts.append("</div>")
    return "\n".join(parts)


def _div_rows(grid: Grid) -> str:
    parts = ['<div class="tbl">']
    for row in grid.expanded():
        cells = "".join(f'<div class="td"><span>{html.escape(c.text)}</span></div>' if c is not None
                        else '<div class="td"></div>' for c in row)
        parts.append(f'<div class="tr">{cells}</div>')
    parts.append("</div>")
    return "\n".join(parts)


def write_pdf_markdown(blocks: list[Block], rng: random.Random) -> tuple[bytes, str]:
    """Markdown as a PDF-to-markdown extractor writes it: every table row a pipe row, the label
    of a few body rows lost (the row keeps its place), and a one-row table's numbers loose on
    a line of their own after its headers."""
    out: list[str] = []
    lost = 0
    for block in blocks:
        if block.kind == "title":
            out += [f"**{block.text}**", ""]
        elif block.kind in ("heading", "paragraph"):
            out += [block.text, ""]
        elif block.grid is not None:
            board = block.grid.expanded()
            body = [i for i, row in enumerate(board) if any(c is not None and c.key for c in row)]
            if len(body) == 1:  # 表四: headers as a table, the numbers loose below
                out += [*_pipe_rows(board[:body[0]]), ""]
                out += [" ".join(c.text for c in board[body[0]] if c is not None), ""]
                continue
            drop = _lost_label_rows(body, rng)
            lost += len(drop)
            rows = [[None if (i in drop and c is not None and c.header) else c for c in row]
                    for i, row in enumerate(board)]
            out += [*_pipe_rows(rows), ""]
    return "\n".join(out).encode("utf-8"), f"{lost} labels lost"


def _lost_label_rows(body: list[int], rng: random.Random) -> set[int]:
    """A few body rows, never the first or last, never two adjacent."""
    inner = body[1:-1]
    drop: set[int] = set()
    for index in rng.sample(inner, k=min(len(inner), rng.randint(0, 3))):
        if index - 1 not in drop and index + 1 not in drop:
            drop.add(index)
    return drop


def _pipe_rows(board: list[list[GridCell | None]]) -> list[str]:
    lines = []
    for index, row in enumerate(board):
        lines.append("| " + " | ".join((c.text if c else "").replace("|", "｜") for c in row) + " |")
        if index == 0:
            lines.append("|" + "---|" * len(row))
    return lines
