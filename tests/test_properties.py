"""Property tests: a consistent report never draws an error or a warning, and a report with one
cell changed draws exactly the rules that cell's identities name, pointing at that cell.

Reports are generated (nianbao.sample.values), drawn by the renderer in Markdown or HTML, and
parsed back, so the whole pipeline is under test, not the checker alone.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import parse
from nianbao.ingest import read_document
from nianbao.pipeline import parse_document
from nianbao.render import render
from nianbao.sample.corpus import report_data
from nianbao.sample.values import APPLICANTS, report_values
from nianbao.templates import load_template

YEARS = {"2021": 2023, "2019": 2020, "legacy": 2015}
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _county_values(seed):
    values = report_values(load_template("2021"), random.Random(seed), size=60)
    values["active.rules.issued"] = 0  # a county bureau makes no 规章 (active.rules_power)
    return values


def _complete(values, template_id, seed=0):
    """Report data with the prose a complete report has, so only the tables can draw findings."""
    return report_data("青川县示范局", YEARS[template_id], load_template(template_id), values, random.Random(seed))


def _parse(values, template_id, fmt, tmp_path):
    data = _complete(values, template_id)
    path = tmp_path / f"report.{fmt}"
    path.write_bytes(render(data, fmt, allow_errors=True))
    return parse_document(read_document(path))


@SETTINGS
@given(seed=st.integers(0, 10**6), size=st.integers(0, 400), template_id=st.sampled_from(list(YEARS)),
       fmt=st.sampled_from(["md", "html"]))
def test_consistent_reports_draw_no_error_or_warning(tmp_path, seed, size, template_id, fmt):
    values = report_values(load_template(template_id), random.Random(seed), size=size)
    if template_id == "2021":
        values["active.rules.issued"] = 0  # a county bureau makes no 规章 (active.rules_power)
    report = _parse(values, template_id, fmt, tmp_path)
    assert [(f.rule, f.message) for f in report.findings if f.severity != "info"] == []
    assert {k: report.values.get(k) for k in values} == values


_RESULT_ROWS = ["granted", "partly_granted", "withheld_third_party", "unable_not_held", "rejected_repeated",
                "other_misc"]


@SETTINGS
@given(seed=st.integers(0, 10**6), row=st.sampled_from(_RESULT_ROWS), column=st.sampled_from(APPLICANTS),
       delta=st.integers(1, 9), fmt=st.sampled_from(["md", "html"]))
def test_one_changed_result_cell_breaks_its_row_and_its_column(tmp_path, seed, row, column, delta, fmt):
    values = _county_values(seed)
    key = f"requests.{row}.{column}"
    values[key] = int(values[key] or 0) + delta
    report = _parse(values, "2021", fmt, tmp_path)
    errors = [f for f in report.findings if f.severity == "error"]
    assert {f.rule for f in errors} == {"requests.row_total", "requests.results_total"}
    assert all(key in f.keys for f in errors)
    [row_total] = [f for f in errors if f.rule == "requests.row_total"]
    assert f"requests.{row}.total" in row_total.keys
    [column_total] = [f for f in errors if f.rule == "requests.results_total"]
    assert f"requests.total.{column}" in column_total.keys


@SETTINGS
@given(seed=st.integers(0, 10**6), group=st.sampled_from(["review", "suit_direct", "suit_after_review"]),
       part=st.sampled_from(["upheld", "corrected", "other", "pending"]), delta=st.integers(1, 9))
def test_one_changed_appeal_cell_breaks_its_total(tmp_path, seed, group, part, delta):
    values = _county_values(seed)
    key = f"appeals.{group}.{part}"
    values[key] = int(values[key] or 0) + delta
    report = _parse(values, "2021", "md", tmp_path)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.rule for f in errors] == ["appeals.total"]
    assert key in errors[0].keys and f"appeals.{group}.total" in errors[0].keys


@SETTINGS
@given(seed=st.integers(0, 10**6), column=st.sampled_from([*APPLICANTS, "total"]), delta=st.integers(1, 9))
def test_changed_carry_forward_breaks_the_balance(tmp_path, seed, column, delta):
    values = _county_values(seed)
    key = f"requests.carried_forward.{column}"
    values[key] = int(values[key] or 0) + delta
    report = _parse(values, "2021", "html", tmp_path)
    rules = {f.rule for f in report.findings if f.severity == "error"}
    assert "requests.balance" in rules
    assert rules <= {"requests.balance", "requests.row_total"}
    balance = [f for f in report.findings if f.rule == "requests.balance"]
    assert all(key in f.keys for f in balance) and len(balance) == 1


@SETTINGS
@given(seed=st.integers(0, 10**6), variant=st.sampled_from([
    ("2.其他法律行政法规禁止公开", "2.其他法律法规禁止公开", "requests.withheld_prohibited"),
    ("本年废止件数", "本年度止件数", "active.rules.repealed"),
]))
def test_one_changed_label_is_a_label_variant_at_its_key(tmp_path, seed, variant):
    canonical, printed, key = variant
    values = _county_values(seed)
    text = render(_complete(values, "2021"), "md").decode("utf-8").replace(canonical, printed)
    report = parse(text)
    findings = [f for f in report.findings if f.severity != "info" or f.rule == "structure.label_variant"]
    assert [f.rule for f in findings] == ["structure.label_variant"]
    assert key in findings[0].keys
    assert {k: report.values.get(k) for k in values} == values
