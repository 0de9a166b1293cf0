"""corpus.copied_text over a batch through MinHash/LSH: the same findings as comparing every pair."""

from __future__ import annotations

from pathlib import Path

from nianbao.batch import parse_batch
from nianbao.check.across import COPIED_ACROSS, copied_across_agencies, cross_similarity
from nianbao.models import Report
from nianbao.sample.corpus import make_corpus


def _every_pair(reports: list[Report]) -> set[tuple[str, str]]:
    """The exhaustive definition: each report's first other-agency report at or above the threshold."""
    found = set()
    for report in reports:
        for other in reports:
            if other is report:
                continue
            score = cross_similarity(report, other)
            if score is not None and score >= COPIED_ACROSS:
                found.add((report.source.path, other.source.path))
                break
    return found


def test_lsh_finds_what_every_pair_finds(tmp_path: Path) -> None:
    make_corpus(tmp_path, 40, seed=3, defect_share=0.0, formats=("txt",))
    reports = parse_batch(sorted((tmp_path / "cases").iterdir())).reports
    # plant copies: five reports take the narrative of a report of another agency
    donors = [r for r in reports if r.meta.template == "2021"][:5]
    takers = [r for r in reports if r.meta.template == "2021" and r.meta.agency not in
              {d.meta.agency for d in donors} and r.meta.year is not None][:5]
    assert len(donors) == len(takers) == 5
    for donor, taker in zip(donors, takers, strict=True):
        taker.meta.year = donor.meta.year
        donor_text = {s.template_number: s.text for s in donor.sections}
        taker.sections = [s.model_copy(update={"text": donor_text.get(s.template_number, s.text)})
                          for s in taker.sections]
    expected = _every_pair(reports)
    assert len(expected) >= 10  # both sides of each planted copy
    got = {(r.source.path, f.message.rsplit("（", 1)[1].rstrip("）")) for r, f in copied_across_agencies(reports)}
    assert got == expected


def test_the_digest_estimate_keeps_every_pair_at_the_threshold() -> None:
    """The store skips a candidate whose MinHash estimate is under ESTIMATE_FLOOR without decoding
    it: pairs at the 0.80 threshold must always estimate above the floor, far pairs below it."""
    from nianbao.check.across import ESTIMATE_FLOOR, _signature, estimated_similarity

    ordered = [f"片段{i:04d}" for i in range(400)]
    base = set(ordered)
    for shift in range(20):
        # 40 dropped and 44 added: 360 shared of 444 distinct, Jaccard 0.81
        dropped = set(ordered[shift * 10: shift * 10 + 40])
        other = (base - dropped) | {f"另{shift}_{i}" for i in range(44)}
        exact = len(base & other) / len(base | other)
        assert 0.78 <= exact <= 0.82
        estimate = estimated_similarity(_signature(base).digest, _signature(other).digest)
        assert estimate >= ESTIMATE_FLOOR, (shift, exact, estimate)
    far = {f"别处{i:04d}" for i in range(200)} | set(ordered[:60])
    assert estimated_similarity(_signature(base).digest, _signature(far).digest) < ESTIMATE_FLOOR
    assert estimated_similarity(_signature(base).digest, _signature(base).digest) == 1.0
    assert estimated_similarity(b"", _signature(base).digest) == 0.0


def test_the_signature_is_datasketchs_default_minhash() -> None:
    """The memoised shingle hash and cached permutations give MinHash(num_perm, seed=1)'s digest."""
    from datasketch import MinHash

    from nianbao.check.across import NUM_PERM, _signature

    for size in (1, 7, 300):
        shingles = {f"第{i}段文字" for i in range(size)}
        plain = MinHash(num_perm=NUM_PERM, seed=1)
        plain.update_batch([s.encode("utf-8") for s in sorted(shingles)])
        assert _signature(shingles).digest == plain.digest().astype("<u8").tobytes()
        assert _signature(shingles).digest == plain.digest().astype("<u8").tobytes()  # memoised the 2nd time


def test_slim_reports_give_the_batch_findings_of_whole_reports(tmp_path: Path) -> None:
    """A batch that prints JSON keeps only slim copies (check.across.slim_report) for the rules
    across reports: the same findings, for the same reports, in the same order."""
    import pickle

    from nianbao.check.across import cross_report_findings, slim_report

    make_corpus(tmp_path, 60, seed=5, defect_share=0.5, formats=("txt",))
    reports = parse_batch(sorted((tmp_path / "cases").iterdir()), jobs=1).reports
    whole = [(r.source.path, [f.model_dump() for f in found]) for r, found in cross_report_findings(reports)]
    slims = [pickle.loads(pickle.dumps(slim_report(r, signature=True))) for r in reports]  # as from a worker
    slim = [(r.source.path, [f.model_dump() for f in found]) for r, found in cross_report_findings(slims)]
    assert len(whole) >= 10
    assert {f["rule"] for _, found in whole for f in found} >= {"continuity.carry_over", "continuity.in_force"}
    assert slim == whole


def test_place_names_found_by_their_ending_are_the_names_in_the_text() -> None:
    from nianbao.check.across import _mentioned

    names = {"青川县", "川县", "示范县", "长寿县", "大县", "长乐县", "平县"}
    texts = ["我县与青川县、长寿县交流，示范县", "大县城，川县；县县县"]
    expected = {name for name in names if any(name in text for text in texts)}
    assert _mentioned(texts, "县", names, max(map(len, names))) == expected
    assert expected == {"青川县", "川县", "示范县", "长寿县", "大县"}
    assert _mentioned(["自治区内"], "自治区", {"某自治区", "治区"}, 4) == set()
    assert _mentioned(["广西某自治区"], "自治区", {"某自治区", "西某自治区"}, 5) == {"某自治区", "西某自治区"}


def test_shingle_codes_are_the_shingle_sets() -> None:
    """The numeric shingles (check.across.shingle_codes) count and compare exactly as the sets of
    strings, at the edges of the kept range (U+4E00, U+9FFF) and with digits and punctuation."""
    import random

    from nianbao.check.across import _code_similarity, _shingles, _similarity, shingle_codes

    rng = random.Random(3)
    alphabet = ["\u4e00", "\u4e01", "\u9ffe", "\u9fff", "文", "字", "1", "，", "a", " "]
    for _ in range(500):
        a, b = ("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(2))
        assert shingle_codes(a).size == len(_shingles(a))
        assert _code_similarity(shingle_codes(a), shingle_codes(b)) == _similarity(_shingles(a), _shingles(b))
