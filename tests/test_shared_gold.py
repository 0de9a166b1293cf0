"""The hand-checked gold files in ../shared, when present (skipped cleanly otherwise)."""

from __future__ import annotations

import json

import pytest

from conftest import SHARED
from nianbao.pipeline import parse_file

GOLD = sorted((SHARED / "gold").glob("*.json")) + sorted((SHARED / "corpus" / "gold").glob("*-layout.json"))


@pytest.mark.parametrize("gold_path", GOLD, ids=[p.stem for p in GOLD])
def test_gold_values_meta_and_findings(gold_path, shared):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    report = parse_file(gold_path.parent.parent / gold["source"])
    assert report.meta.year == gold["meta"]["year"]
    assert report.meta.template == gold["meta"]["template"]
    agency = report.meta.agency or ""
    assert gold["meta"]["agency"] in agency or (agency and agency in gold["meta"]["agency"])
    wrong = {k: (v, report.values.get(k)) for k, v in gold["values"].items()
             if not (v is None and report.values.get(k) is None) and report.values.get(k) != pytest.approx(v)}
    assert wrong == {}
    assert set(gold.get("findings", [])) <= {f.rule for f in report.findings}


def test_the_gold_corpus_is_there_when_shared_is(shared):
    assert len(GOLD) >= 5
