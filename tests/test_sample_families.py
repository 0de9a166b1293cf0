"""The sample generator's layout families (issue #10): each family's files have its shape, and
its gold marks as accept_null exactly what the family's text leaves undecided."""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from nianbao.extract.solve import Identity, bind_identities, violations
from nianbao.sample.corpus import make_corpus
from nianbao.sample.decide import Bound, Cell, Group, decide, splits
from nianbao.sample.families import FAMILIES, parse_families
from nianbao.sample.flows import placements
from nianbao.templates import load_template
from test_input_errors import run

D = Decimal


def _row(n: int) -> tuple[list[str], Identity]:
    """A row of n cells whose last is the sum of the others."""
    keys = [f"r.{i}" for i in range(n)]
    return keys, Identity("row_total", (keys[-1],), tuple(keys[:-1]), True, "")


# ---- the enumerator on hand-made cases

def test_splits_of_a_run_without_identity():
    assert sorted(splits("5213", 3)) == [("5", "2", "13"), ("5", "21", "3"), ("52", "1", "3")]


def test_splits_have_no_leading_zeros_but_a_lone_zero():
    assert splits("100", 2) == [("10", "0")]
    assert splits("000", 3) == [("0", "0", "0")]
    assert splits("0012", 2) == []


def test_a_fraction_only_in_an_amount_cell():
    assert splits("12.540.5", [Cell(decimals=True)] * 2) == [("12.5", "40.5"), ("12.54", "0.5")]
    assert splits("12.5", 2) == []
    assert splits("5-3", [Cell(), Cell(signed=True)]) == [("5", "-3")]


def test_a_row_total_leaves_one_split():
    keys, total = _row(7)
    decision = decide([Group.glued(keys, "713000074", identities=[total])], [total])
    assert decision.readings == 1 and not decision.undecided
    assert [decision.values[k] for k in keys] == [71, 3, 0, 0, 0, 0, 74]


def test_without_identity_every_key_of_an_ambiguous_run_is_open():
    decision = decide([Group.glued(["a", "b", "c"], "5213")], [])
    assert decision.readings == 3 and decision.undecided == {"a", "b", "c"}


def test_a_key_the_splits_agree_on_is_decided():
    # 1|0|23, 1|02|3 (no: leading zero), 10|2|3: the middle differs, the last differs too
    decision = decide([Group.glued(["a", "b", "c"], "1023")], [])
    assert decision.readings == 2 and decision.undecided == {"a", "b", "c"}
    # 5|0|0 only: every key decided
    assert not decide([Group.glued(["a", "b", "c"], "500")], []).undecided


def test_a_cumulative_pair_never_smaller_than_the_year():
    pair = ["x", "x.cumulative"]
    glued = decide([Group.glued(pair, "346085376")], [], [Bound("x", "x.cumulative")])
    assert glued.readings == 3 and glued.undecided == set(pair)  # 3|46085376, 34|6085376, 3460|85376
    assert decide([Group.glued(pair, "910")], [], [Bound("x", "x.cumulative")]).values == {"x": 9, "x.cumulative": 10}
    assert not decide([Group.glued(pair, "00")], [], [Bound("x", "x.cumulative")]).undecided


def test_blanks_forced_by_a_total_are_decided():
    _keys, total = _row(4)  # r.0 + r.1 + r.2 = r.3
    printed = {"r.0": D(5), "r.1": None, "r.2": None, "r.3": D(5)}
    decision = decide([Group.fixed(k, v) for k, v in printed.items()], [total])
    assert not decision.undecided and decision.values["r.1"] == 0 and decision.values["r.2"] == 0


def test_blanks_the_total_leaves_room_for_are_open():
    _keys, total = _row(4)
    printed = {"r.0": D(3), "r.1": None, "r.2": None, "r.3": D(5)}
    decision = decide([Group.fixed(k, v) for k, v in printed.items()], [total])
    assert decision.undecided == {"r.1", "r.2"} and decision.readings == 3  # 0+2, 1+1, 2+0


def test_a_blank_pair_on_both_sides_is_open():
    balance = Identity("balance", ("new", "carried"), ("done", "forward"), True, "")
    groups = [Group.fixed("new", D(4)), Group.fixed("done", D(4)), Group.fixed("carried", None),
              Group.fixed("forward", None)]
    decision = decide(groups, [balance])
    assert decision.undecided == {"carried", "forward"} and decision.values["new"] == 4


def test_vanished_blanks_are_placed_by_the_identities():
    keys, total = _row(3)  # a + b = c, printed "4", "4"
    open_row = decide([Group(tuple(keys), tuple(placements([D(4), D(4)], 3)))], [total])
    assert open_row.undecided == set(keys)  # 4|4|(8), 4|(0)|4, (0)|4|4
    # another row fixes the column: a column total a' = a says a is 4
    column = Identity("column", ("col.a",), ("r.0",), True, "")
    groups = [Group(tuple(keys), tuple(placements([D(4), D(4)], 3))), Group.fixed("col.a", D(0))]
    placed = decide(groups, [total, column])
    assert not placed.undecided and placed.values == {"r.0": 0, "r.1": 4, "r.2": 4, "col.a": 0}


def test_placements_keep_the_printed_order():
    assert placements([D(1), D(2)], 3) == [(1, 2, None), (1, None, 2), (None, 1, 2)]
    assert len(placements([D(5), D(5)], 7)) == 21


def test_too_many_readings_fall_back_to_what_is_certain():
    groups = [Group.glued([f"k{i}.{j}" for j in range(3)], "123456789") for i in range(6)]
    decision = decide(groups, [], limit=10)
    assert not decision.exhaustive and len(decision.undecided) == 18


# ---- the families

def _corpus(tmp_path: Path, family: str, count: int = 6, seed: int = 5) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    manifest = make_corpus(tmp_path, count, seed=seed, families=(family,))
    return [(entry, json.loads((tmp_path / "gold" / f"{entry['id']}.json").read_text())) for entry in manifest]


def _text(tmp_path: Path, entry: dict[str, Any]) -> str:
    return (tmp_path / entry["source"]).read_bytes().decode("utf-8")


def _assert_gold_consistent(entry: dict[str, Any], gold: dict[str, Any]) -> None:
    template = load_template(gold["meta"]["template"])
    values = {k: None if v is None else D(str(v)) for k, v in gold["values"].items()}
    for table in template.tables:
        assert not violations(values, bind_identities(table, frozenset(k for k, v in values.items() if v is not None)))
    assert set(gold.get("accept_null", [])) <= set(values), entry
    assert entry["family"] and len(gold.get("accept_null", [])) == entry["accept_null"]
    assert all(v is None or v >= 0 or template.id == "2019" for v in values.values())


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_generates_with_consistent_gold(tmp_path, family):
    for entry, gold in _corpus(tmp_path, family):
        assert entry["family"] == family
        _assert_gold_consistent(entry, gold)


def test_crawled_page_is_one_long_line_with_glued_digits(tmp_path):
    glued = 0
    for entry, _gold in _corpus(tmp_path, "crawled", count=8):
        lines = _text(tmp_path, entry).splitlines()
        assert lines[0].startswith("标题: ") and lines[1].startswith("发布时间: ")
        assert any("正文" in line and "===" in line for line in lines[:8])
        assert max(len(line) for line in lines) > 800
        assert len(lines) <= 12
        glued += any(re.search(r"[\u4e00-\u9fff）]\d{7,}[\u4e00-\u9fff（]", line) for line in lines)
    assert glued


def test_legacy_provincial_prints_a_cumulative_column(tmp_path):
    for entry, gold in _corpus(tmp_path, "legacy-provincial", count=8):
        assert gold["meta"]["template"] == "legacy"
        values = gold["values"]
        years = [k for k in values if not k.endswith(".cumulative")]
        assert years and all(f"{k}.cumulative" in values for k in years)
        assert all(values[f"{k}.cumulative"] >= values[k] for k in years)
        assert not any("unmapped" in k or k.endswith((".fax", ".letter")) for k in values)
        if entry["format"] == "txt" and "crawled" in entry["layout"]:
            text = _text(tmp_path, entry)
            assert "计量单位" in text and ("历年累计" in text or "累计" in text)
            assert re.search(r"[条件人次] ?\d{2,}", text)


def test_blank_cells_keep_their_place_and_only_blanks_are_open(tmp_path):
    for entry, gold in _corpus(tmp_path, "blank-cells", count=12, seed=2):
        if entry["format"] == "html":
            text = _text(tmp_path, entry)
            blank = set(re.findall(r'<td data-key="([^"]+)">&nbsp;</td>', text))
            assert blank or "(0 cells)" in entry["layout"]
            assert set(gold.get("accept_null", [])) <= blank
        if entry["format"] == "md":
            assert re.search(r"\|  \|", _text(tmp_path, entry)) or "(0 cells)" in entry["layout"]


def test_div_grid_has_no_table_element(tmp_path):
    for entry, gold in _corpus(tmp_path, "div-grid"):
        text = _text(tmp_path, entry)
        assert "<table" not in text and "<td" not in text and 'class="td"' in text
        assert "accept_null" not in gold


def test_browser_copy_prints_one_cell_per_line_with_blanks_gone(tmp_path):
    for entry, gold in _corpus(tmp_path, "browser-copy", count=8):
        lines = _text(tmp_path, entry).splitlines()
        assert "\t" not in "".join(lines)
        numbers = [line for line in lines if re.fullmatch(r"-?\d+(\.\d+)? ", line)]
        assert len(numbers) < len(gold["values"])  # vanished blanks


def test_pdftotext_raw_reads_tables_column_by_column(tmp_path):
    for entry, gold in _corpus(tmp_path, "pdftotext-raw"):
        text = _text(tmp_path, entry)
        assert "simulated" in entry["layout"] and "\t" not in text
        if gold["meta"]["template"] != "legacy":
            # 表三's applicant headers come one after the other, before the numbers under them
            assert "自然人\n" in text


def test_xlsx_opens_in_openpyxl_with_the_numbers(tmp_path):
    from openpyxl import load_workbook

    for entry, gold in _corpus(tmp_path, "xlsx"):
        book = load_workbook(tmp_path / entry["source"])
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
                 if c is not None]
        numbers = [c for c in cells if isinstance(c, int | float) or (isinstance(c, str) and c.isdigit())]
        assert len(numbers) >= sum(v is not None for v in gold["values"].values())
        assert gold["meta"]["agency"] in str(cells[0])
        assert zipfile.is_zipfile(io.BytesIO((tmp_path / entry["source"]).read_bytes()))


def test_pdf_markdown_loses_labels_and_loosens_numbers(tmp_path):
    for entry, gold in _corpus(tmp_path, "pdf-markdown", count=8):
        text = _text(tmp_path, entry)
        assert text.count("\n|") > 20 and "accept_null" not in gold
        if gold["meta"]["template"] != "legacy":
            assert re.search(r"^\d+( \d+){14}$", text, re.M)  # 表四's fifteen numbers, loose


def test_wrapped_title_is_cut_over_two_lines(tmp_path):
    for entry, gold in _corpus(tmp_path, "wrapped-title"):
        if entry["format"] == "txt":
            lines = [line.strip() for line in _text(tmp_path, entry).splitlines() if line.strip()]
            title = f"{gold['meta']['agency']}{gold['meta']['year']}年政府信息公开工作年度报告"
            assert lines[0] + lines[1] == title and lines[0] != title


def test_the_same_seed_gives_the_same_family_corpus(tmp_path):
    first = make_corpus(tmp_path / "a", 9, seed=4, families=tuple(FAMILIES))
    second = make_corpus(tmp_path / "b", 9, seed=4, families=tuple(FAMILIES))
    assert first == second
    assert [e["family"] for e in first] == list(FAMILIES)
    for entry in first:
        if entry["format"] in ("txt", "md", "html"):
            assert (tmp_path / "a" / entry["source"]).read_bytes() == (tmp_path / "b" / entry["source"]).read_bytes()


def test_the_default_corpus_has_no_family(tmp_path):
    assert all("family" not in entry for entry in make_corpus(tmp_path, 3, seed=1))


def test_family_names():
    assert parse_families("all") == tuple(FAMILIES)
    assert parse_families(" crawled, xlsx ") == ("crawled", "xlsx")
    with pytest.raises(ValueError, match="bogus"):
        parse_families("crawled,bogus")


def test_sample_command_takes_families(tmp_path):
    result = run("sample", "-n", "3", "-o", str(tmp_path), "--families", "crawled,xlsx,div-grid")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [e["family"] for e in manifest] == ["crawled", "xlsx", "div-grid"]
    bad = run("sample", "-n", "2", "-o", str(tmp_path / "x"), "--families", "crawled,nope")
    assert bad.returncode == 2 and "nope" in bad.stderr and "Traceback" not in bad.stderr


def test_any_consistent_values_draw_in_every_family():
    """The layout-matrix entry point: random consistent values × every family, gold consistent
    (the generator itself checks that every key it calls decided has its true value)."""
    import random

    from nianbao.sample.families import LEGACY_ONLY, draw_family
    from nianbao.sample.values import report_values

    rng = random.Random(12)
    for round_ in range(3):
        for family in FAMILIES:
            year = rng.randint(2014, 2018) if family in LEGACY_ONLY else rng.randint(2014, 2025)
            template = load_template("legacy" if year <= 2018 else "2019" if year <= 2020 else "2021")
            values = report_values(template, rng, size=rng.choice((10, 150, 600)))
            drawn = draw_family(family, "青川县示范局", year, values, rng)
            assert drawn.blob and drawn.gold["meta"]["template"] == template.id
            _assert_gold_consistent({"family": family, "accept_null": len(drawn.gold.get("accept_null", []))},
                                    drawn.gold)
            if family not in ("legacy-provincial",):
                assert drawn.gold["values"] == values, (family, round_)


def test_legacy_provincial_needs_a_legacy_year():
    import random

    from nianbao.sample.families import draw_family
    from nianbao.sample.values import report_values

    values = report_values(load_template("2021"), random.Random(1))
    with pytest.raises(ValueError, match="2008"):
        draw_family("legacy-provincial", "青川县示范局", 2022, values, random.Random(1))


def test_a_blank_in_crawled_text_loses_its_place():
    import random

    from nianbao.render.model import Grid, GridCell
    from nianbao.sample.flows import crawled_table

    template = load_template("2021")
    grid = Grid(width=4, rows=[[GridCell(text="规章", header=True), GridCell(text="3", key="active.rules.issued"),
                                GridCell(text="", key="active.rules.repealed"),
                                GridCell(text="12", key="active.rules.in_force")]])
    text, groups = crawled_table(grid, template, True, random.Random(1), "t")
    assert text.endswith("3 12")  # never glued: the blank's place is unknown
    decision = decide(groups, [])
    assert decision.undecided == {"active.rules.issued", "active.rules.repealed", "active.rules.in_force"}
