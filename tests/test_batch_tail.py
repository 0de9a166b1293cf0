"""The end of a batch printed as JSON (the lines wait for the rules across reports): its
shortcuts give exactly what the plain definitions give.

A line is encoded in two parts around its findings array (``encode_split_line``) so that the
batch's findings are merged into that array alone (``line_with_findings`` with the offset):
both are compared with encoding the whole record and with decoding and encoding the whole line.
The batch rule corpus.copied_text tests all pairs of reports sharing a band at once: compared
with the buckets of a dictionary and the search report by report it replaced. The pair rules run
as the reports come: compared with pairing them over the whole batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.batch import encode_line, encode_split_line, line_with_findings
from nianbao.models import Finding, Meta, Report, SourceInfo
from nianbao.normalize import squeeze

TEXT = st.text(st.sampled_from(["政", "府", "年", "报", "a", "\"", "\\", "\n", "，", "é", "\u2028", "}", "]", " "]),
               max_size=8)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=12)
RULES = st.sampled_from(["continuity.carry_over", "corpus.two_reports", "corpus.copied_text", "a.b", "table.sum"])
LINES = st.none() | st.integers(0, 40)
FINDING = st.builds(Finding, rule=RULES, severity=st.sampled_from(["error", "warning", "info"]), message=TEXT,
                    keys=st.lists(TEXT, max_size=2), line=LINES, place=st.none() | TEXT)
FIELDS = st.dictionaries(TEXT.filter(lambda k: k != "findings"), JSON, max_size=4)


@settings(max_examples=300, deadline=None)
@given(FIELDS, st.lists(FINDING, max_size=4), st.booleans())
def test_a_line_split_at_its_findings_is_the_whole_line(fields: dict[str, object], findings: list[Finding],
                                                        last: bool) -> None:
    contracts = [f.contract() for f in findings]
    record = {**fields, "findings": contracts} if last else {"findings": contracts, **fields}
    line, at = encode_split_line(record)
    assert line == encode_line(record)
    if last and fields:
        assert json.loads(line[at:-2]) == json.loads(json.dumps(contracts))
    else:
        assert at == -1


@settings(max_examples=300, deadline=None)
@given(FIELDS.filter(bool), st.lists(FINDING, max_size=4), st.lists(FINDING, min_size=1, max_size=4))
def test_findings_merged_into_the_array_alone_give_the_whole_line_merged(
        fields: dict[str, object], own: list[Finding], added: list[Finding]) -> None:
    line, at = encode_split_line({**fields, "findings": [f.contract() for f in own]})
    assert at > 0
    assert line_with_findings(line, added, at) == line_with_findings(line, added)


def _bucket_pairs(bands: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """The plain definition of ``across._band_pairs``: a dictionary of buckets, each pair once."""
    buckets: dict[tuple[int, int], list[int]] = {}
    for index, text in enumerate(bands):
        for band in text:
            buckets.setdefault(band, []).append(index)
    return sorted({(a, b) for members in buckets.values() for a in members for b in members if a < b})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=4, max_size=4), max_size=12))
def test_band_pairs_are_the_pairs_of_each_bucket(hashes: list[list[int]]) -> None:
    from nianbao.check.across import _band_pairs

    bands = [[(band, (h << 60) | band) for band, h in enumerate(text)] for text in hashes]  # 62-bit hashes too
    first, second = _band_pairs(bands)
    assert list(zip(first.tolist(), second.tolist(), strict=True)) == _bucket_pairs(bands)


def _per_report_search(reports: list[Report]) -> Iterator[tuple[Report, Finding]]:
    """corpus.copied_text as it searched before its pairs were tested all at once: each report's
    candidates from its buckets, filtered, and its first copy in batch order."""
    import numpy as np

    from nianbao.check import across

    texts = [(r, s) for r in reports if (s := across._batch_signature(r)) is not None]
    if len(texts) < 2:
        return
    buckets: dict[tuple[int, int], list[int]] = {}
    for index, (_, signature) in enumerate(texts):
        for band in signature.bands:
            buckets.setdefault(band, []).append(index)
    shared = {band: np.array(members) for band, members in buckets.items() if len(members) > 1}
    digests = np.frombuffer(b"".join(s.digest for _, s in texts), dtype="<u8").reshape(len(texts), -1)
    years = np.array([r.meta.year or 0 for r, _ in texts])
    names: dict[str, int] = {}
    agencies = np.array([names.setdefault(squeeze(r.meta.agency or ""), len(names)) for r, _ in texts])
    codes = [across._codes(r, across._WHOLE) for r, _ in texts]
    sizes = np.array([c.size for c in codes])
    counts = across._bucket_counts(codes, sizes)
    for index, (report, signature) in enumerate(texts):
        sharing = [shared[band] for band in signature.bands if band in shared]
        if not sharing:
            continue
        others = np.unique(np.concatenate(sharing))
        others = others[(agencies[others] != agencies[index]) & (np.abs(years[others] - years[index]) <= 1)
                        & (np.minimum(sizes[others], sizes[index])
                           >= across.COPIED_ACROSS * np.maximum(sizes[others], sizes[index]) - 1e-6)]
        estimates = (digests[others] == digests[index]).sum(axis=1) / digests.shape[1]
        others = others[estimates >= across.ESTIMATE_FLOOR]
        for other in others[across._may_be_copies(counts, sizes, index, others)].tolist():
            score = across._code_similarity(codes[index], codes[other])
            if score >= across.COPIED_ACROSS:
                yield report, across.copied_across_finding(report, texts[other][0], score)
                break


def test_copies_found_all_pairs_at_once_are_those_found_report_by_report(tmp_path: Path) -> None:
    """Planted copies (one narrative taken by several agencies, some edited a little): the same
    findings, naming the same first copy, in the same order."""
    import pickle
    import random

    from nianbao.batch import parse_batch
    from nianbao.check.across import copied_across_agencies, slim_report
    from nianbao.sample.corpus import make_corpus

    make_corpus(tmp_path, 60, seed=11, defect_share=0.2, formats=("txt",))
    reports = parse_batch(sorted((tmp_path / "cases").iterdir()), jobs=1).reports
    rng = random.Random(4)
    donors = [r for r in reports if r.meta.template in ("2019", "2021") and r.meta.year][:6]
    for taker in rng.sample(reports, 30):
        donor = rng.choice(donors)
        if taker.meta.agency == donor.meta.agency or taker.meta.year is None:
            continue
        taker.meta.year = (donor.meta.year or 0) + rng.choice([-2, -1, 0, 1])
        text = {s.template_number: s.text for s in donor.sections}
        tail = "".join(rng.choice("改动文字的内容") for _ in range(rng.choice([0, 0, 30, 120])))
        taker.sections = [s.model_copy(update={"text": text.get(s.template_number, s.text) + tail})
                          for s in taker.sections]
    slims = [pickle.loads(pickle.dumps(slim_report(r, signature=True))) for r in reports]  # as from a worker
    for batch in (reports, slims):
        expected = [(r.source.path, f.contract()) for r, f in _per_report_search(batch)]
        assert len(expected) >= 10
        assert [(r.source.path, f.contract()) for r, f in copied_across_agencies(batch)] == expected


def test_fewer_collections_while_a_batch_piles_up_then_the_defaults_again() -> None:
    import gc

    from nianbao.batch import fewer_collections

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (10_000, *before[1:])
    assert gc.get_threshold() == before


def _by_agency_and_year(reports: list[Report], check: Callable[[Report, Report], Iterator[Finding]]
                        ) -> list[tuple[Report, list[Finding]]]:
    """The plain definition of the pair rules over a batch: each agency's first report of a year
    with its first of the year before, in the order the agencies' years first came."""
    first: dict[tuple[str, int], Report] = {}
    for report in reports:
        if report.meta.agency and report.meta.year:
            first.setdefault((squeeze(report.meta.agency), report.meta.year), report)
    found = []
    for (agency, year), report in first.items():
        previous = first.get((agency, year - 1))
        if previous is not None and (findings := list(check(report, previous))):
            found.append((report, findings))
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["甲局", "乙 局", "乙局", "", "丙局"]), st.integers(0, 4)), max_size=14))
def test_pairs_made_as_reports_come_are_the_pairs_of_the_whole_batch(agency_years: list[tuple[str, int]]) -> None:
    from nianbao.check.across import PairFindings

    def check(report: Report, previous: Report) -> Iterator[Finding]:
        if (report.meta.year or 0) % 3:  # some pairs find nothing
            yield Finding(rule="continuity.x", severity="warning",
                          message=f"{report.source.path} > {previous.source.path}")

    reports = [Report(source=SourceInfo(path=f"{at}.txt", sha256=str(at), format="txt"),
                      meta=Meta(agency=agency, year=year), values={}, cells=[], sections=[])
               for at, (agency, year) in enumerate(agency_years)]
    pairs = PairFindings()
    pairs._checks = [check]
    for report in reports:
        pairs.add(report)
    assert list(pairs.findings()) == _by_agency_and_year(reports, check)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["《", "》", "县", "青川", "文件", "\n", " "]), max_size=16).map("".join))
def test_prose_without_titles_is_the_plain_substitution(text: str) -> None:
    import re

    from nianbao.check.across import _without_titles

    assert _without_titles(text) == re.sub(r"《[^》]*》", "", text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from("政府信息公开申请年度报告工作"), max_size=30).map("".join), min_size=1,
                max_size=9), st.integers(1, 4))
def test_bucket_counts_made_a_group_at_a_time_are_those_of_one_pass(texts: list[str], group: int) -> None:
    import numpy as np

    from nianbao.check import across

    codes = [across.shingle_codes(text) for text in texts]
    sizes = np.array([c.size for c in codes])
    whole = across._group_bucket_counts(codes, sizes)
    kept, across.COUNTED_TOGETHER = across.COUNTED_TOGETHER, group
    try:
        assert np.array_equal(across._bucket_counts(codes, sizes), whole)
    finally:
        across.COUNTED_TOGETHER = kept
