"""The layout matrix of issue #10: real gold values and generated reports, drawn in every layout
family the sample generator knows, read back: every number exact or honestly null — never wrong."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.pipeline import parse_file
from nianbao.sample.families import FAMILIES, LEGACY_ONLY, draw_family
from nianbao.sample.values import report_values
from nianbao.templates import load_template, template_for_year

GENERAL = sorted(set(FAMILIES) - LEGACY_ONLY)
# Share of the values a family's text decides that nianbao reads today (a floor against regressions;
# the rest is null, never wrong). pdftotext-raw scrambles the tables: nearly everything is null there.
FLOORS = {"pdftotext-raw": 0.0, "pdf-markdown": 0.8, "legacy-provincial": 0.5}


def _families(template_id: str) -> list[str]:
    return sorted(FAMILIES) if template_id == "legacy" else GENERAL


def _read(tmp_path: Path, family: str, agency: str, year: int, values: dict[str, int | float | None],
          seed: int) -> tuple[dict[str, object], dict[str, int | float | None]]:
    sample = draw_family(family, agency, year, values, random.Random(seed))
    path = tmp_path / f"{family}-{seed}{sample.ext}"
    path.write_bytes(sample.blob)
    return sample.gold, parse_file(path).values


def _wrong(gold: dict[str, object], got: dict[str, int | float | None]) -> dict[str, tuple[object, object]]:
    want = gold["values"]
    assert isinstance(want, dict)
    return {k: (v, got.get(k)) for k, v in want.items()
            if got.get(k) is not None and (v is None or abs(float(got[k]) - float(v)) > 1e-6)}  # type: ignore[arg-type]


def _decided(gold: dict[str, object], got: dict[str, int | float | None]) -> tuple[int, int]:
    want = gold["values"]
    assert isinstance(want, dict)
    open_keys = set(gold.get("accept_null", []))  # type: ignore[arg-type]
    decidable = [k for k, v in want.items() if v is not None and k not in open_keys]
    return sum(got.get(k) is not None for k in decidable), len(decidable)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_shared_gold_in_every_family_never_gives_a_wrong_number(shared, tmp_path, family):
    golds = sorted((shared / "gold").glob("*.json")) + sorted((shared / "corpus" / "gold").glob("*.json"))
    drawn = 0
    for path in golds:
        gold = json.loads(path.read_text())
        meta = gold["meta"]
        if family in LEGACY_ONLY and meta["template"] != "legacy":
            continue
        template = load_template(template_for_year(meta["year"]))
        if template.id != meta["template"]:
            continue  # the family draws the year's template
        values = {k: gold["values"].get(k) for k in template.required_keys}
        values.update({k: v for k, v in gold["values"].items() if k.startswith("legacy.")})
        if any(v is None for k, v in values.items() if k in template.required_keys) and template.id != "legacy":
            continue  # the families draw complete tables
        try:
            drawn_gold, got = _read(tmp_path, family, meta["agency"], meta["year"], values, seed=len(path.name))
        except ValueError:  # a report whose own tables do not add up: the family cannot decide its gold
            continue
        assert not _wrong(drawn_gold, got), path.name
        drawn += 1
    assert drawn or family in LEGACY_ONLY


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_generated_reports_in_every_family(tmp_path, family):
    years = [2016] if family in LEGACY_ONLY else [2016, 2020, 2023]
    read = total = 0
    for index, year in enumerate(years * 2):
        template = load_template(template_for_year(year))
        values = report_values(template, random.Random(index * 31 + year), size=60)
        gold, got = _read(tmp_path, family, "望江县示范自然资源局", year, values, seed=index)
        assert not _wrong(gold, got), (family, year, index)
        r, t = _decided(gold, got)
        read, total = read + r, total + t
    assert read >= FLOORS.get(family, 0.9) * total, f"{family}: {read}/{total}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), year=st.sampled_from([2012, 2016, 2019, 2020, 2022, 2024]),
       family=st.sampled_from(sorted(FAMILIES)), size=st.sampled_from([0, 3, 40, 400]))
def test_random_consistent_report_in_a_random_family_is_never_read_wrong(tmp_path, seed, year, family, size):
    template = load_template(template_for_year(year))
    if family in LEGACY_ONLY and template.id != "legacy":
        family = "crawled"
    values = report_values(template, random.Random(seed), size=size)
    gold, got = _read(tmp_path, family, "鹿鸣区示范教育局", year, values, seed=seed)
    assert not _wrong(gold, got), (family, year, seed)
