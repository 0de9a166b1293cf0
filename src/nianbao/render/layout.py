"""Report data → the blocks of a report in the template's layout (headings, prose, tables).

Everything about the layout comes from the template description: section titles, each
table's ``style`` and ``corner``, column ``group``s, row ``groups`` and ``heading``s. The
writers (HTML, Markdown, DOCX, PDF) only draw the blocks.
"""

from __future__ import annotations

from decimal import Decimal

from nianbao.models import Number
from nianbao.render.model import Block, Grid, GridCell, ReportData
from nianbao.templates import (
    BlockSpec,
    ColumnSpec,
    RowSpec,
    TableSpec,
    Template,
    cell_key,
    load_template,
    template_for_year,
)

DEFAULT_PROSE = "本年度无相关情况。"


def report_title(data: ReportData) -> str:
    return data.meta.title or f"{data.meta.agency}{data.meta.year}年政府信息公开工作年度报告"


def template_of(data: ReportData) -> Template:
    return load_template(data.meta.template or template_for_year(data.meta.year))


def build_blocks(data: ReportData) -> list[Block]:
    template = template_of(data)
    blocks = [Block(kind="title", text=report_title(data))]
    if data.intro:
        blocks.extend(_paragraphs(data.intro))
    if not template.sections:  # legacy: prose, then the statistics table
        blocks.extend(_paragraphs(data.prose.get("一") or DEFAULT_PROSE))
        for table in template.tables:
            blocks.append(Block(kind="heading", text=table.title))
            blocks.append(Block(kind="table", grid=table_grid(table, data.values)))
        return blocks
    for section in template.sections:
        blocks.append(Block(kind="heading", text=f"{section.number}、{section.title}"))
        tables = [t for t in template.tables if t.section == section.number]
        for table in tables:
            blocks.append(Block(kind="table", grid=table_grid(table, data.values)))
        text = data.prose.get(section.number)
        if section.number == "六" and template.id == "2021":
            text = _with_fee_sentence(text, data)
        if text:
            blocks.extend(_paragraphs(text))
        elif not tables:
            blocks.append(Block(kind="paragraph", text=DEFAULT_PROSE))
    return blocks


def _with_fee_sentence(text: str | None, data: ReportData) -> str:
    """Section 六 of the 2021 template must state the 信息处理费 (国办函〔2020〕109号)."""
    if text and "信息处理费" in text:
        return text
    if data.fee_wan:
        sentence = f"本年度{data.meta.agency}共收取信息处理费{format_number(data.fee_wan)}万元。"
    else:
        sentence = f"本年度{data.meta.agency}未收取信息处理费。"
    return f"{text}\n\n{sentence}" if text else sentence


def _paragraphs(text: str) -> list[Block]:
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return [Block(kind="paragraph", text=" ".join(p.split("\n"))) for p in parts if p]


def format_number(value: Number | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{Decimal(repr(value)).normalize():f}"
    return str(value)


def table_grid(table: TableSpec, values: dict[str, Number | None]) -> Grid:
    if table.style == "matrix":
        return _matrix(table, values)
    if table.style == "flat":
        return _flat(table, values)
    if table.style == "list":
        return _list(table, values)
    return _blocks(table, values)


def _value(row: RowSpec, column: ColumnSpec, values: dict[str, Number | None]) -> GridCell:
    key = cell_key(row.key, column.key)
    return GridCell(text=format_number(values.get(key)), key=key)


def _blocks(table: TableSpec, values: dict[str, Number | None]) -> Grid:
    """表二: each block under its own title row and header row."""
    width = 1 + max(len(block.columns) for block in table.blocks)
    rows: list[list[GridCell]] = []
    for block in table.blocks:
        rows.append([GridCell(text=block.label, colspan=width, header=True)])
        rows.append([GridCell(text=table.corner or "", header=True),
                     *_stretched(block, [GridCell(text=c.label, header=True) for c in block.columns], width)])
        for row in block.rows:
            rows.append([GridCell(text=row.label, header=True),
                         *_stretched(block, [_value(row, c, values) for c in block.columns], width)])
    return Grid(width=width, rows=rows)


def _stretched(block: BlockSpec, cells: list[GridCell], width: int) -> list[GridCell]:
    """A block with fewer columns than the table: its last column spans the rest."""
    spare = width - 1 - len(block.columns)
    if spare and cells:
        cells[-1] = cells[-1].model_copy(update={"colspan": 1 + spare})
    return cells


def _matrix(table: TableSpec, values: dict[str, Number | None]) -> Grid:
    """表三: merged header groups over the columns, merged group labels beside the rows."""
    block = table.blocks[0]
    columns = list(block.columns)
    printed = [row for row in block.rows if not row.extra]
    depth = 1 + max(len(row.groups) for row in printed)
    grouped = any(c.group for c in columns)
    header_rows = 2 + grouped
    width = depth + len(columns)
    top = [GridCell(text=table.note or table.corner or "", rowspan=header_rows, colspan=depth, header=True),
           GridCell(text=block.label, colspan=len(columns), header=True)]
    second: list[GridCell] = []
    third: list[GridCell] = []
    index = 0
    while index < len(columns):
        column = columns[index]
        if column.group and grouped:
            run = [c for c in columns[index:]]
            size = next((i for i, c in enumerate(run) if c.group != column.group), len(run))
            second.append(GridCell(text=column.group, colspan=size, header=True))
            third.extend(GridCell(text=c.label, header=True) for c in run[:size])
            index += size
        else:
            second.append(GridCell(text=column.label, rowspan=1 + grouped, header=True))
            index += 1
    rows = [top, second] + ([third] if grouped else [])
    for position, row in enumerate(printed):
        cells: list[GridCell] = []
        for level, group in enumerate(row.groups):
            previous = printed[position - 1] if position else None
            if previous is not None and previous.groups[:level + 1] == row.groups[:level + 1]:
                continue  # covered by the merged cell above
            span = 1
            while (position + span < len(printed)
                   and printed[position + span].groups[:level + 1] == row.groups[:level + 1]):
                span += 1
            cells.append(GridCell(text=group, rowspan=span, header=True))
        cells.append(GridCell(text=row.label, colspan=depth - len(row.groups), header=True))
        cells.extend(_value(row, c, values) for c in columns)
        rows.append(cells)
    return Grid(width=width, rows=rows, label_columns=depth)


def _flat(table: TableSpec, values: dict[str, Number | None]) -> Grid:
    """表四: the rows are column groups of a single line of numbers."""
    block = table.blocks[0]
    columns = list(block.columns)
    n = len(columns)
    depth = max(len(row.groups) for row in block.rows)
    header_rows = depth + 2
    levels: list[list[GridCell]] = [[] for _ in range(header_rows)]
    index = 0
    rows_spec = list(block.rows)
    while index < len(rows_spec):
        row = rows_spec[index]
        if row.groups:
            run = [r for r in rows_spec[index:] if r.groups[:1] == row.groups[:1]]
            levels[0].append(GridCell(text=row.groups[0], colspan=n * len(run), header=True))
            for member in run:
                levels[1].append(GridCell(text=member.label, colspan=n, header=True))
                levels[2].extend(GridCell(text=c.label, header=True) for c in columns)
            index += len(run)
        else:
            levels[0].append(GridCell(text=row.label, colspan=n, header=True))
            levels[1].extend(GridCell(text=c.label, rowspan=header_rows - 1, header=True) for c in columns)
            index += 1
    body = [_value(row, c, values) for row in rows_spec for c in columns]
    return Grid(width=n * len(rows_spec), rows=[*[lv for lv in levels if lv], body], label_columns=0)


def _list(table: TableSpec, values: dict[str, Number | None]) -> Grid:
    """The legacy 统计表: indicator, unit, number; group headings as rows of their own."""
    block = table.blocks[0]
    # a printed extra column (累计) when the data has it
    columns = [*block.columns, *(extra for extra in block.extra_columns
                                 if any(cell_key(row.key, extra.key) in values for row in block.rows))]
    width = 2 + len(columns)
    rows = [[GridCell(text=table.corner or "", header=True), GridCell(text="单位", header=True),
             *(GridCell(text=c.label, header=True) for c in columns)]]
    for row in block.rows:
        if row.unmapped:
            continue
        if row.heading:
            rows.append([GridCell(text=row.heading, colspan=width, header=True)])
        rows.append([GridCell(text=row.label, header=True), GridCell(text=row.unit or "", header=True),
                     *(_value(row, c, values) for c in columns)])
    return Grid(width=width, rows=rows, label_columns=2)
