"""The parse pipeline: ingest → layout → extract → check, one small stage after another."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

from nianbao.check import run_checks
from nianbao.errors import UnusableInput
from nianbao.extract.detect import detect_template
from nianbao.extract.meta import extract_meta
from nianbao.extract.tables import read_table
from nianbao.ingest import Document, read_document
from nianbao.layout.lines import Line, split_lines
from nianbao.layout.reflow import reflow
from nianbao.layout.sections import find_sections, strip_enumerator
from nianbao.layout.tokens import is_running_text, region_tokens
from nianbao.models import Cell, Fact, Report, Section
from nianbao.normalize import dice, norm_label, squeeze, to_plain
from nianbao.templates import TableSpec, Template, all_templates, load_template

_REPORT_WORDS = ("信息公开", "政务公开")


def parse_file(path: Path | str) -> Report:
    """Parse one report file. Raises UnusableInput for what cannot be read as a report."""
    return parse_document(read_document(Path(path)))


def parse_document(document: Document) -> Report:
    lines = reflow(split_lines(document.text, document.places, document.grid))
    sections = find_sections(lines, _table_labels())
    meta = extract_meta(lines, sections)
    if meta.published is None:
        meta.published = _published_property(document.source.properties)
    norm_text = squeeze("".join([line.text for line in lines if not line.chrome]))
    template_id = detect_template(norm_text, meta.year)
    if not any(word in norm_text for word in _REPORT_WORDS):
        raise UnusableInput(document.source.path, "不是政府信息公开工作年度报告（未见“信息公开”字样）")
    if template_id is None:
        raise UnusableInput(document.source.path, "无法判断报告年度和模板版本（未见统计表，也未见报告年度）")
    meta.template = template_id
    template = load_template(template_id)
    sections = _map_sections(sections, template)
    values: dict[str, int | float | None] = {key: None for key in template.required_keys}
    cells: list[Cell] = []
    facts: list[Fact] = []
    for table in template.tables:
        region = _table_lines(table, lines, sections, template.tables)
        read = read_table(table, region_tokens(region))
        # to_plain only for fractions: most amounts are counts, already plain (a call per cell saved)
        values.update({k: v if v is None or type(v) is int else to_plain(v) for k, v in read.values.items()})
        cells.extend(read.cells[k] for k in read.values if k in read.cells)
        facts.extend(read.facts)
    sections = [replace(s, text=_prose(lines, s)) for s in sections]
    facts.extend(Fact(kind="low_confidence", line=line, detail={"note": note}) for line, note in document.notes)
    report = Report(source=document.source, meta=meta, values=values, cells=cells, sections=sections, facts=facts)
    report.findings = run_checks(report, lines)
    if document.places or (lines and lines[0].place):  # a reflowed text names its source lines too
        _add_places(report, lines)
    return report


def _add_places(report: Report, lines: list[Line]) -> None:
    """Cells and findings of a PDF, Word file or web page also name their place in it."""
    def place(line: int | None) -> str | None:
        return lines[line - 1].place if line is not None and 0 < line <= len(lines) else None

    report.cells = [replace(cell, place=place(cell.line)) for cell in report.cells]
    report.findings = [replace(f, place=place(f.line)) for f in report.findings]


def _prose(lines: list[Line], section: Section) -> str:
    """A section's running text: its lines that are neither chrome nor table rows (no numbers in cells)."""
    return "\n".join([line.text.strip() for line in lines[section.line: section.end_line]
                      if not line.chrome and not line.blank and is_running_text(line.text, line.grid)])



def _published_property(properties: dict[str, str]) -> str | None:
    """A web page's 发文日期/发布日期 box, when the text itself states no date."""
    for name in ("发文日期", "发布日期", "成文日期"):
        found = re.match(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})", properties.get(name, ""))
        if found:
            try:
                return date(*(int(g) for g in found.groups())).isoformat()
            except ValueError:
                continue
    return None


@cache
def _table_labels() -> tuple[str, ...]:
    """Every label printed inside a table, in any template: such lines are never headings."""
    labels: list[str] = []
    for template in all_templates():
        for table in template.tables:
            labels.extend(table.group_labels)
            labels.extend(row.label for _, row in table.rows())
    return tuple(labels)


def _map_sections(sections: list[Section], template: Template) -> list[Section]:
    """Tie each printed section to the template section it stands for, by title."""
    taken: set[str] = set()
    mapped = []
    for section in sections:
        number = _match_section(section.title, template, taken)
        if number:
            taken.add(number)
        mapped.append(replace(section, template_number=number))
    return mapped


def _match_section(title: str, template: Template, taken: set[str]) -> str | None:
    norm = strip_enumerator(norm_label(title))
    best: tuple[float, str] | None = None
    for number, score in _section_scores(norm, template.id):
        if number not in taken and score >= 0.6 and (best is None or score > best[0]):
            best = (score, number)
    return best[1] if best else None


@lru_cache(maxsize=4096)
def _section_scores(norm: str, template_id: str) -> tuple[tuple[str, float], ...]:
    """How well a printed title matches each title (or variant) of the template's sections."""
    scores = []
    for spec in load_template(template_id).sections:
        for candidate in (spec.title, *spec.variants):
            target = norm_label(candidate)
            if norm == target:
                score = 1.0
            elif len(norm) >= 4 and (norm in target or target in norm):
                score = 0.9
            else:
                score = dice(norm, target)
            scores.append((spec.number, score))
    return tuple(scores)




def _table_lines(table: TableSpec, lines: list[Line], sections: list[Section],
                 others: tuple[TableSpec, ...] = ()) -> list[Line]:
    """The lines a table lives in: its section, else from its first anchor to the next heading
    or the first anchor of a table printed after it (a workbook's sheet holds no headings)."""
    section = next((s for s in sections if table.section and s.template_number == table.section), None)
    if section is not None:
        return lines[section.line: section.end_line]
    start = _anchor_line(table, lines, 0)
    if start is None:
        return []
    end = next((s.line - 1 for s in sections if s.line > start), len(lines)) if table.section else len(lines)
    following = [found for other in others if other is not table and other.section
                 and (found := _anchor_line(other, lines, start)) is not None]
    return lines[start - 1: min([end, *(found - 1 for found in following)])]


def _anchor_line(table: TableSpec, lines: list[Line], after: int) -> int | None:
    anchors = [norm_label(a) for a in table.anchors]
    return next((ln.number for ln in lines[after:] if not ln.chrome and any(a in norm_label(ln.text) for a in anchors)),
                None)
