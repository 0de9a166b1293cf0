"""The layout families real reports reach users in (issue #10), as opt-in sample layouts.

``nianbao sample --families crawled,xlsx`` (or ``all``) makes every sample in one of the chosen
families, in turn; the gold of each marks as ``accept_null`` exactly the keys the family's text
leaves undecided (see :mod:`nianbao.sample.decide`), and ``manifest.json`` names its family.
Without ``--families`` the corpus is the one ``make_corpus`` always wrote.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from nianbao.models import Number
from nianbao.render.layout import build_blocks
from nianbao.render.model import Block, Grid
from nianbao.render.writers import WRITERS
from nianbao.sample import flows, names, provincial, sheets
from nianbao.sample.damage import cell_per_line, pdftotext_layout, tab_rows
from nianbao.sample.decide import Bound
from nianbao.sample.values import report_values
from nianbao.templates import Template, load_template, template_for_year


@dataclass
class Output:
    blob: bytes
    ext: str
    layout: str
    accept_null: set[str] = field(default_factory=set)


@dataclass
class Case:
    """One sample being drawn in a family: its data, blocks and gold values."""

    agency: str
    year: int
    template: Template
    blocks: list[Block]
    gold: dict[str, Number | None]

    def truth(self) -> dict[str, Decimal | None]:
        return {k: None if v is None else Decimal(str(v)) for k, v in self.gold.items()}

    def grids(self) -> list[Grid]:
        return [b.grid for b in self.blocks if b.grid is not None]


Writer = Callable[[Case, random.Random], Output]


# ---- crawled page text

def _crawler_header(case: Case, rng: random.Random) -> list[str]:
    title = next(b.text for b in case.blocks if b.kind == "title")
    month, day = 1, rng.randint(5, 31)
    stamp = f"{case.year + 1}-{month:02d}-{day:02d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}"
    page = f"t{case.year + 1}{month:02d}{day:02d}_{rng.randint(10000, 99999)}"
    lines = [f"标题: {title}", f"发布时间: {stamp}", "文号: ",
             f"发布机构: {case.agency if rng.random() < 0.3 else ''}", "栏目: 政府信息公开年报",
             f"原文链接: https://www.example.gov.cn/zwgk/zfxxgk/zfxxgknb/{case.year + 1}{month:02d}/{page}.htm"]
    return [*lines, rng.choice(("==================== 正文 ====================", "=== 正文 ==="))]


def _one_line_page(pieces: list[str], rng: random.Random, chrome: bool) -> list[str]:
    if chrome:
        pieces = ["当前位置：首页 > 政务公开 > 政府信息公开年报 > 正文", "来源：本机关办公室",
                  "【字体：大 中 小】", *pieces, "【打印】【关闭】"]
    cuts = sorted(rng.sample(range(1, len(pieces)), k=min(len(pieces) - 1, rng.choice((0, 0, 1, 2, 3)))))
    lines, start = [], 0
    for cut in [*cuts, len(pieces)]:
        line = ""
        for piece in pieces[start:cut]:
            gap = rng.choice((" ", ""))
            # never glue digits to digits across blocks: only a row's own cells run together
            if line and (not gap and line[-1].isdigit() and piece[:1].isdigit()):
                gap = " "
            line = f"{line}{gap}{piece}" if line else piece
        lines.append(line)
        start = cut
    return lines


def crawled(case: Case, rng: random.Random, bounds: list[Bound] | None = None) -> Output:
    flow = flows.crawled_flow(case.blocks, case.template, rng)
    flow.bounds = bounds or []
    chrome = rng.random() < 0.5
    lines = _crawler_header(case, rng) + _one_line_page(flow.pieces, rng, chrome)
    open_keys = flows.undecided(flow, case.template, case.truth())
    glued = sum(len(g.keys) > 1 for groups in flow.groups for g in groups)
    layout = f"crawled, {len(lines) - 7} body line(s), {glued} glued runs" + (", chrome" if chrome else "")
    return Output("\n".join(lines).encode("utf-8"), "txt", layout, open_keys)


# ---- legacy 统计表 as provinces print it

def legacy_provincial(case: Case, rng: random.Random) -> Output:
    style = provincial.choose_style(rng)
    history = report_values(case.template, rng, size=rng.choice((100, 400, 2000)))
    totals = provincial.cumulative(case.gold, history)
    grid = provincial.provincial_grid(style, case.year, case.gold, totals)
    case.gold = provincial.provincial_gold(style, case.gold, totals)
    for block in case.blocks:
        if block.grid is not None:
            block.grid = grid
        elif block.kind == "heading" and block.text.endswith("统计表"):
            block.text = f"{case.agency}政府信息公开情况统计表"
    carrier = rng.choice(("crawled", "crawled", "crawled", "html", "docx", "md", "pdf", "tab"))
    if carrier == "crawled":
        bounds = [Bound(k, f"{k}.cumulative") for k in case.gold if not k.endswith(".cumulative")]
        out = crawled(case, rng, bounds)
        out.layout = f"{style.name}, {out.layout}"
        return out
    if carrier == "tab":
        return Output("\n".join(tab_rows(case.blocks, rng)).encode("utf-8"), "txt", f"{style.name}, tab")
    return Output(WRITERS[carrier](case.blocks), carrier, f"{style.name}, {carrier}")  # type: ignore[index]


# ---- grids with blank cells

def _zero_cells(case: Case) -> list[Any]:
    return [c for g in case.grids() for row in g.rows for c in row if c.key and c.text == "0"]


def blank_cells(case: Case, rng: random.Random) -> Output:
    zeros = _zero_cells(case)
    if rng.random() < 0.5:
        chosen, how = zeros, "every zero blank"
    else:
        chosen, how = [c for c in zeros if rng.random() < 0.3], "some zeros blank"
        others = [c for g in case.grids() for row in g.rows for c in row if c.key and c.text not in ("", "0")]
        if others and rng.random() < 0.3:
            chosen.append(rng.choice(others))
            how += ", one number blank"
    for cell in chosen:
        cell.text = ""
    flow = flows.Flow(groups=[flows.blank_groups(g, f"t{i}") for i, g in enumerate(case.grids())])
    fmt = rng.choice(("html", "docx", "pdf", "md"))
    blob = WRITERS[fmt](case.blocks)  # type: ignore[index]
    return Output(blob, fmt, f"{how} ({len(chosen)} cells)", flows.undecided(flow, case.template, case.truth()))


def div_grid(case: Case, rng: random.Random) -> Output:
    blob, how = sheets.write_div_grid(case.blocks, rng)
    return Output(blob, "html", how)


def browser_copy(case: Case, rng: random.Random) -> Output:
    """Zeros left blank in a few rows, then copied from the browser: the blanks vanish."""
    rows = [row for g in case.grids() for row in g.rows
            if any(c.key and c.text == "0" for c in row)]
    damaged = rng.sample(rows, k=min(len(rows), rng.randint(1, 3)))
    for row in damaged:
        for cell in row:
            if cell.key and cell.text == "0":
                cell.text = ""
    flow = flows.Flow(groups=[flows.vanished_groups(g, f"t{i}") for i, g in enumerate(case.grids())])
    text = "\n".join(cell_per_line(case.blocks, rng)).encode("utf-8")
    return Output(text, "txt", f"cell per line, {len(damaged)} rows with vanished blanks",
                  flows.undecided(flow, case.template, case.truth()))


def pdftotext_raw(case: Case, rng: random.Random) -> Output:
    """A simulation of ``pdftotext`` without ``-layout`` (not the tool itself): prose wrapped at
    the page width, each table read column by column, form feeds between some blocks."""
    lines: list[str] = []
    groups = []
    for index, block in enumerate(case.blocks):
        if index and rng.random() < 0.15:
            lines.append("\f")
        if block.grid is None:
            lines += _wrap(block.text)
            continue
        lines += flows.column_major(block.grid)
        rows = [row for row in block.grid.expanded() if flows.value_cells(row)]
        groups.append(flows.blank_groups(block.grid, f"t{index}") if len(rows) == 1
                      else flows.scrambled_groups(block.grid))
    open_keys = flows.undecided(flows.Flow(groups=groups), case.template, case.truth())
    return Output("\n".join(lines).encode("utf-8"), "txt", "pdftotext raw order (simulated)", open_keys)


def _wrap(text: str, width: int = 38) -> list[str]:
    """Lines of about ``width`` characters, never cut inside a number."""
    lines: list[str] = []
    while len(text) > width:
        cut = width
        while cut < len(text) and text[cut - 1].isdigit() and text[cut].isdigit():
            cut += 1
        lines.append(text[:cut])
        text = text[cut:]
    return [*lines, text]


def xlsx(case: Case, rng: random.Random) -> Output:
    blob, how = sheets.write_xlsx(case.blocks, rng)
    return Output(blob, "xlsx", how)


def pdf_markdown(case: Case, rng: random.Random) -> Output:
    blob, how = sheets.write_pdf_markdown(case.blocks, rng)
    return Output(blob, "md", how)


def wrapped_title(case: Case, rng: random.Random) -> Output:
    """The title over two lines: ``…信息公开工作年`` / ``度报告`` (or another cut)."""
    index = next(i for i, b in enumerate(case.blocks) if b.kind == "title")
    title = case.blocks[index].text
    cut = rng.choice((title.rindex("度报告"), title.rindex("度报告"), title.index("政府信息公开"),
                      title.index(str(case.year))))
    case.blocks[index:index + 1] = [Block(kind="title", text=title[:cut]), Block(kind="title", text=title[cut:])]
    fmt = rng.choice(("pdf", "pdf", "docx", "txt"))
    if fmt == "txt":
        lines = pdftotext_layout(case.blocks, rng)
        return Output("\n".join(lines).encode("utf-8"), "txt", f"pdftotext -layout, title cut at {cut}")
    return Output(WRITERS[fmt](case.blocks), fmt, f"title cut at {cut}")  # type: ignore[index]


def _drop_unprinted_rows(case: Case) -> None:
    """Rows of indicators the sample has no value for (the legacy table's unmapped provincial
    indicators): a report of this template would not print them."""
    for grid in case.grids():
        grid.rows = [row for row in grid.rows
                     if not (any(c.key for c in row) and all(c.key not in case.gold for c in row if c.key))]


FAMILIES: dict[str, Writer] = {
    "crawled": crawled, "legacy-provincial": legacy_provincial, "blank-cells": blank_cells,
    "div-grid": div_grid, "browser-copy": browser_copy, "pdftotext-raw": pdftotext_raw, "xlsx": xlsx,
    "pdf-markdown": pdf_markdown, "wrapped-title": wrapped_title,
}
LEGACY_ONLY = {"legacy-provincial"}


def parse_families(text: str) -> tuple[str, ...]:
    """``all`` or a comma-separated list of family names; raises ValueError naming the unknown."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if names == ("all",):
        return tuple(FAMILIES)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ValueError(f"未知的版式族：{', '.join(unknown)}（可选：all, {', '.join(FAMILIES)}）")
    return names


# ---- the corpus

# Defects that only change prose: a family's reading of the tables cannot hide them.
_SAFE_DEFECTS = ("template_residue", "period_year")


@dataclass
class FamilySample:
    """One drawn sample: the file's bytes and extension, its gold and what was done."""

    blob: bytes
    ext: str
    gold: dict[str, Any]  # meta, values, findings, accept_null (no source)
    layout: str
    defects: list[str]


def draw_family(family: str, agency: str, year: int, values: dict[str, Number | None], rng: random.Random,
                *, defect_share: float = 0.0) -> FamilySample:
    """``values`` (consistent, every key of the year's template) drawn as one report of
    ``family``; the layout-matrix tests can call this on any generated values."""
    from nianbao.sample.corpus import DEFECTS, Sample, report_data

    template = load_template(template_for_year(year))
    if family in LEGACY_ONLY and template.id != "legacy":
        raise ValueError(f"版式族 {family} 只用于 2008—2018 年的报告")
    data = report_data(agency, year, template, dict(values), rng)
    sample = Sample("", data, template, blocks=build_blocks(data), gold_values=dict(values))
    planted = []
    if rng.random() < defect_share:
        name = rng.choice(_SAFE_DEFECTS)
        if DEFECTS[name](sample, rng):
            planted.append(name)
    case = Case(agency, year, template, sample.blocks, dict(values))
    _drop_unprinted_rows(case)
    output = FAMILIES[family](case, rng)
    gold: dict[str, Any] = {"meta": {"year": year, "agency": agency, "template": template.id},
                            "values": case.gold, "findings": sorted(sample.rules)}
    if output.accept_null:
        gold["accept_null"] = sorted(output.accept_null)
    return FamilySample(output.blob, output.ext, gold, output.layout, planted)


def make_family_corpus(out: Path, count: int, families: tuple[str, ...], *, seed: int = 7,
                       defect_share: float = 0.3) -> list[dict[str, Any]]:
    """``count`` samples, the families taken in turn; writes cases/, gold/, manifest.json."""
    from nianbao.sample.corpus import FIRST_YEAR, LAST_YEAR

    rng = random.Random(f"families:{seed}")
    (out / "cases").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    used: set[str] = set()
    legacy_last = load_template("legacy").last_year
    for number in range(1, count + 1):
        ident = f"{number:04d}"
        family = families[(number - 1) % len(families)]
        agency = names.agency_name(rng, used)
        year = rng.randint(FIRST_YEAR, legacy_last) if family in LEGACY_ONLY else rng.randint(FIRST_YEAR, LAST_YEAR)
        template = load_template(template_for_year(year))
        values = report_values(template, rng, size=rng.choice((10, 40, 150, 600)))
        if template.id == "2021" and ("县" in agency or "区" in agency):
            values["active.rules.issued"] = 0  # counties and districts make no 规章
        drawn = draw_family(family, agency, year, values, rng, defect_share=defect_share)
        source = f"cases/{ident}.{drawn.ext}"
        (out / source).write_bytes(drawn.blob)
        gold = {"source": source, **drawn.gold}
        (out / "gold" / f"{ident}.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")
        manifest.append({"id": ident, "source": source, "agency": agency, "year": year,
                         "template": template.id, "format": drawn.ext, "family": family,
                         "layout": drawn.layout, "defects": drawn.defects, "findings": gold["findings"],
                         "accept_null": len(gold.get("accept_null", []))})
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest
