"""Blocks → a file: HTML, Markdown, DOCX (python-docx) and PDF (reportlab).

Each writer draws the same blocks; none knows anything about the template. Merged cells are
real merges (``rowspan``/``colspan``, Word ``gridSpan``/``vMerge``, reportlab ``SPAN``);
Markdown cannot merge, so a merged cell is written once and the positions it covers stay empty.
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

from nianbao.render.model import Block, Grid

OutputFormat = Literal["html", "md", "docx", "pdf"]
FORMATS: tuple[OutputFormat, ...] = ("html", "md", "docx", "pdf")

_CSS = """
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", serif;
       max-width: 52em; margin: 2em auto; line-height: 1.7; }
h1 { text-align: center; font-size: 1.5em; }
h2 { font-size: 1.15em; margin-top: 1.5em; }
p { text-indent: 2em; margin: .4em 0; }
table { border-collapse: collapse; width: 100%; margin: .8em 0; font-size: .85em; }
td, th { border: 1px solid #000; padding: .2em .35em; text-align: center; vertical-align: middle; }
th { font-weight: normal; }
@media print { body { margin: 0; max-width: none; } table { page-break-inside: auto; }
               tr { page-break-inside: avoid; } }
"""


def write_html(blocks: list[Block]) -> bytes:
    title = next((b.text for b in blocks if b.kind == "title"), "政府信息公开工作年度报告")
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"]
    for block in blocks:
        if block.kind == "title":
            out.append(f"<h1>{html.escape(block.text)}</h1>")
        elif block.kind == "heading":
            out.append(f"<h2>{html.escape(block.text)}</h2>")
        elif block.kind == "paragraph":
            out.append(f"<p>{html.escape(block.text)}</p>")
        elif block.grid is not None:
            out.append(_html_table(block.grid))
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


def _html_table(grid: Grid) -> str:
    parts = ["<table>"]
    for row in grid.rows:
        cells = []
        for cell in row:
            tag = "th" if cell.header else "td"
            spans = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
                f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
            key = f' data-key="{html.escape(cell.key)}"' if cell.key else ""
            cells.append(f"<{tag}{spans}{key}>{html.escape(cell.text) or '&nbsp;'}</{tag}>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def _md(text: str) -> str:
    """Text for Markdown, which passes HTML through: markup from the data is shown, never run."""
    return html.escape(text, quote=False)


def write_markdown(blocks: list[Block]) -> bytes:
    out: list[str] = []
    for block in blocks:
        if block.kind == "title":
            out += [f"# {_md(block.text)}", ""]
        elif block.kind == "heading":
            out += [f"## {_md(block.text)}", ""]
        elif block.kind == "paragraph":
            out += [_md(block.text), ""]
        elif block.grid is not None:
            board = block.grid.expanded()
            for index, row in enumerate(board):
                out.append("| " + " | ".join(_md(c.text if c else "").replace("|", "｜") for c in row) + " |")
                if index == 0:
                    out.append("|" + "---|" * block.grid.width)
            out.append("")
    return "\n".join(out).encode("utf-8")


def write_docx(blocks: list[Block]) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, as the reports are printed
    section.left_margin = section.right_margin = Cm(2)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    for block in blocks:
        if block.kind == "title":
            paragraph = document.add_paragraph(block.text)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.kind in ("heading", "paragraph"):
            document.add_paragraph(block.text)
        elif block.grid is not None:
            _docx_table(document, block.grid)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(document: Any, grid: Grid) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    table = document.add_table(rows=len(grid.rows), cols=grid.width)
    table.style = "Table Grid"
    # Every cell fetched once, before any merge: ``table.cell()`` rescans the whole table on
    # each call. A merge keeps the corner cells of the other (non-overlapping) merges intact.
    board = [list(row.cells) for row in table.rows]
    widths = _column_widths(grid, 17.0)  # cm: A4 less the margins
    table.autofit = False
    for row in board:
        for cell, width in zip(row, widths, strict=True):
            cell.width = Cm(width)
    for r, c, cell in grid.origins():
        origin = board[r][c]
        if cell.rowspan > 1 or cell.colspan > 1:
            origin = origin.merge(board[r + cell.rowspan - 1][c + cell.colspan - 1])
        origin.text = cell.text
        for paragraph in origin.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for run in paragraph.runs:
                run.font.size = Pt(8)


def write_pdf(blocks: list[Block]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font(pdfmetrics, UnicodeCIDFont)
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, firstLineIndent=21)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=12)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=20, spaceBefore=8, spaceAfter=4)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, alignment=TA_CENTER)
    buffer = io.BytesIO()
    page = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                             topMargin=20 * mm, bottomMargin=20 * mm)
    story: list[Any] = []
    escape: Callable[[str], str] = html.escape
    for block in blocks:
        if block.kind == "title":
            story.append(Paragraph(escape(block.text), title))
        elif block.kind == "heading":
            story.append(Paragraph(escape(block.text), heading))
        elif block.kind == "paragraph":
            story.append(Paragraph(escape(block.text), body))
        elif block.grid is not None:
            grid = block.grid
            board = grid.expanded()
            data = [[Paragraph(escape(c.text), cell_style) if c else "" for c in row] for row in board]
            commands: list[Any] = [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            for r, c, cell in grid.origins():
                if cell.rowspan > 1 or cell.colspan > 1:
                    commands.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
            story.append(Table(data, colWidths=_column_widths(grid, page.width), repeatRows=0,
                               style=TableStyle(commands)))
            story.append(Spacer(1, 6))
    page.build(story)
    return buffer.getvalue()


# CJK fonts to embed, first usable one wins; NIANBAO_CJK_FONT names another (.ttf/.ttc). Only
# TrueType outlines can be embedded: Noto CJK's .ttc has CFF outlines, which reportlab refuses,
# so such a font is passed over (it stays listed for a future reportlab that takes it).
CJK_FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                  "/usr/share/fonts/truetype/arphic/uming.ttc",
                  "/usr/share/fonts/truetype/arphic/ukai.ttc",
                  "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def cjk_font_files() -> list[str]:
    """The CJK font files this machine has, NIANBAO_CJK_FONT first, then CJK_FONT_PATHS in order."""
    return [p for p in filter(None, [os.environ.get("NIANBAO_CJK_FONT", ""), *CJK_FONT_PATHS]) if os.path.isfile(p)]


def cjk_font_file() -> str | None:
    """The first CJK font file reportlab can embed (NIANBAO_CJK_FONT first), or None."""
    for path in cjk_font_files():
        if _embeddable(path, os.path.getmtime(path)):
            return path
    return None


def chart_font() -> str | None:
    """The first CJK font file for matplotlib charts, or None. Matplotlib draws CFF outlines too,
    so any file found will do (no reportlab probe)."""
    found = cjk_font_files()
    return found[0] if found else None


@lru_cache(maxsize=32)
def _embeddable(path: str, mtime: float) -> bool:
    """Whether reportlab takes the font (TrueType outlines); loading a CJK font costs a second."""
    from reportlab.pdfbase.ttfonts import TTFont

    if not mtime:
        return False
    try:
        TTFont("nianbao-probe", path, subfontIndex=0)
    except Exception:  # TTFError (CFF outlines, not a font at all) or a damaged file
        return False
    return True


def pdf_font(pdfmetrics: Any, cid_font: Any) -> str:
    """An embedded CJK TrueType font when the system has one (every viewer shows it, and page
    images rendered for OCR have glyphs); else Adobe's STSong-Light, which needs no file but
    shows only in viewers that carry Adobe's CJK fonts."""
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    if "nianbao-cjk" in registered:
        return "nianbao-cjk"
    path = cjk_font_file()
    if path is not None:
        pdfmetrics.registerFont(TTFont("nianbao-cjk", path, subfontIndex=0))
        return "nianbao-cjk"
    if "STSong-Light" not in registered:
        pdfmetrics.registerFont(cid_font("STSong-Light"))
    return "STSong-Light"


def _column_widths(grid: Grid, total: float) -> list[float]:
    """Label columns wider than value columns."""
    labels = grid.label_columns
    if not labels or labels >= grid.width:
        return [total / grid.width] * grid.width
    # the innermost label column holds the long row labels; group label columns stay narrow
    weights = [1.1] * (labels - 1) + [3.0] + [1.0] * (grid.width - labels)
    unit = total / sum(weights)
    return [w * unit for w in weights]


WRITERS: dict[OutputFormat, Callable[[list[Block]], bytes]] = {
    "html": write_html, "md": write_markdown, "docx": write_docx, "pdf": write_pdf,
}
