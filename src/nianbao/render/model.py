"""What the renderer reads (report data) and what its layout stage hands to the writers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nianbao.models import Number
from nianbao.templates import TemplateId


class ReportMeta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    year: int
    agency: str
    template: TemplateId | None = None  # from the year when absent
    title: str | None = None
    published: str | None = None


class ReportData(BaseModel):
    """A report as data: the contract's ``meta`` and ``values`` plus the prose to print.

    ``prose`` maps a section number (一 … 七) to its text, paragraphs separated by blank lines;
    ``intro`` is the paragraph before section 一. ``fee_wan`` is the 信息处理费 collected in
    the year (万元): section 六 of a 2021-template report states it.
    """

    model_config = ConfigDict(extra="ignore")

    meta: ReportMeta
    values: dict[str, Number | None] = Field(default_factory=dict)
    intro: str | None = None
    prose: dict[str, str] = Field(default_factory=dict)
    fee_wan: Number | None = None


class GridCell(BaseModel):
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    key: str | None = None  # the field key of a value cell


class Grid(BaseModel):
    """A table as an HTML author sees it: each cell listed once, at its top-left position."""

    width: int
    rows: list[list[GridCell]]
    label_columns: int = 1  # how many leading columns hold labels (for column widths)

    def expanded(self) -> list[list[GridCell | None]]:
        """Every position of the table: the cell that starts there, or None where a merged cell
        from above or the left covers it."""
        height = len(self.rows)
        board: list[list[GridCell | None]] = [[None] * self.width for _ in range(height)]
        taken = [[False] * self.width for _ in range(height)]
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while c < self.width and taken[r][c]:
                    c += 1
                if c >= self.width:
                    raise ValueError(f"row {r + 1} of a rendered table is wider than {self.width} columns")
                board[r][c] = cell
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        if r + dr < height and c + dc < self.width:
                            taken[r + dr][c + dc] = True
                c += cell.colspan
        return board

    def origins(self) -> list[tuple[int, int, GridCell]]:
        """(row, column, cell) for every cell, in reading order."""
        return [(r, c, cell) for r, row in enumerate(self.expanded()) for c, cell in enumerate(row)
                if cell is not None]


class Block(BaseModel):
    kind: Literal["title", "heading", "paragraph", "table"]
    text: str = ""
    grid: Grid | None = None
