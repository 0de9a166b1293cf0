"""Grids with blank cells (#10): a blank is a blank at a known position, decided by the identities or null."""

from __future__ import annotations

import random
import re

import pytest

from nianbao.pipeline import parse_file
from nianbao.render import render
from nianbao.sample.corpus import report_data
from nianbao.sample.values import report_values
from nianbao.templates import load_template

YEARS = {"2021": 2023, "2019": 2020, "legacy": 2016}


def _blanked(template_id: str, fmt: str) -> tuple[dict[str, int | float | None], bytes]:
    """A rendered report whose zero cells are printed empty (&nbsp;, an empty Word or PDF box, `|  |`)."""
    year = YEARS[template_id]
    template = load_template(template_id)
    values = report_values(template, random.Random(year), size=120)
    if fmt == "html":
        page = render(report_data("青川县示范局", year, template, values, random.Random(year)), fmt)
        return values, re.sub(rb"<td([^>]*)>0</td>", rb"<td\1>&nbsp;</td>", page)
    empty = {k: (None if v == 0 else v) for k, v in values.items()}
    return values, render(report_data("青川县示范局", year, template, empty, random.Random(year)), fmt,
                          allow_errors=True)


@pytest.mark.parametrize("template_id", ["2021", "2019", "legacy"])
@pytest.mark.parametrize("fmt", ["html", "md", "docx"])
def test_blank_cells_keep_their_place(tmp_path, template_id, fmt):
    values, blob = _blanked(template_id, fmt)
    assert sum(v == 0 for v in values.values()) >= 8
    path = tmp_path / f"report.{fmt}"
    path.write_bytes(blob)
    report = parse_file(path)
    wrong = {k: (v, report.values.get(k)) for k, v in values.items()
             if report.values.get(k) is not None and report.values.get(k) != v}
    assert not wrong
    if template_id != "legacy":  # the legacy table has no identity that could decide a blank
        decided = sum(report.values.get(k) is not None for k in values)
        assert decided >= len(values) - 2
        assert any(c.inferred for c in report.cells)


def test_markdown_row_with_a_wide_label_reads_its_last_columns():
    from builder import consistent_values, report_text
    from conftest import parse
    values = consistent_values()
    row = "| 1.本机关不掌握相关政府信息 |  |  | 2 | 1 |  | 0 | 0 | 0 | 3 |"
    report = parse(report_text(values, row_text={"requests.unable_not_held": row}))
    got = [report.values[f"requests.unable_not_held.{c}"] for c in
           ("natural_person", "business", "research", "social_org", "legal_service", "other_org", "total")]
    assert got == [2, 1, 0, 0, 0, 0, 3]
    assert next(c for c in report.cells if c.key == "requests.unable_not_held.research").inferred


def test_a_row_that_lost_its_label_takes_the_one_place_the_template_leaves():
    from builder import consistent_values, report_text
    from conftest import parse
    values = consistent_values()
    text = report_text(values, row_text={"active.penalties": "|  | 7 |"})
    report = parse(text)
    assert report.values["active.penalties.decisions"] == 7
    assert any("未印行名" in f.message and f.severity == "warning" for f in report.findings)


def test_two_rows_without_labels_between_read_rows_are_not_placed():
    from builder import consistent_values, report_text
    from conftest import parse
    values = consistent_values()
    text = report_text(values, row_text={"active.penalties": "|  | 7 |", "active.coercive_measures": "|  | 2 |"})
    report = parse(text)
    assert report.values["active.penalties.decisions"] is None
    assert report.values["active.coercive_measures.decisions"] is None
