"""Rules over two reports of one agency, this year's and last year's (a batch, later the store).

Reports are paired by agency name (as printed in the title) and year; an agency whose
previous year is not in the batch is simply not checked.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from nianbao.check.labels import column_name
from nianbao.check.registry import RULES, corpus_rule, merge_repeats, pair_rule, this_rule
from nianbao.check.rules_content import place_units
from nianbao.models import Finding, Report, SourceInfo
from nianbao.normalize import squeeze
from nianbao.templates import load_template


def cross_report_findings(reports: list[Report], *,
                          pairs: PairFindings | None = None) -> Iterator[tuple[Report, list[Finding]]]:
    """Findings that need other reports: last year's of the same agency, or the whole batch.
    ``pairs``: the pair rules' findings already made as the same reports came, in the same order."""
    found: dict[int, tuple[Report, list[Finding]]] = {}
    for report, findings in (pairs if pairs is not None else _pair_findings(reports)).findings():
        found.setdefault(id(report), (report, []))[1].extend(findings)
    for rule in RULES.values():
        if rule.corpus_check is not None:
            for report, finding in rule.corpus_check(reports):
                found.setdefault(id(report), (report, []))[1].append(finding)
    yield from ((report, merge_repeats(findings, report)) for report, findings in found.values())


class PairFindings:
    """The pair rules' findings of a batch, made as its reports come: each agency's first report
    of a year is paired with its first of the year before as soon as both are in, so a batch
    parsed by worker processes runs the pair rules while the rest is being parsed, not after."""

    def __init__(self) -> None:
        self._first: dict[tuple[str, int], Report] = {}  # (agency, year) → its first report
        self._found: dict[tuple[str, int], list[Finding]] = {}  # the findings of that report's pair
        self._checks = [rule.pair_check for rule in RULES.values() if rule.pair_check]  # 4 of ~50: picked once

    def add(self, report: Report) -> None:
        if not (report.meta.agency and report.meta.year):
            return
        agency, year = squeeze(report.meta.agency), report.meta.year
        if (agency, year) in self._first:
            return
        self._first[(agency, year)] = report
        if (previous := self._first.get((agency, year - 1))) is not None:
            self._pair((agency, year), report, previous)
        if (following := self._first.get((agency, year + 1))) is not None:
            self._pair((agency, year + 1), following, report)

    def _pair(self, key: tuple[str, int], report: Report, previous: Report) -> None:
        findings = [f for check in self._checks for f in check(report, previous)]
        if findings:
            self._found[key] = findings

    def findings(self) -> Iterator[tuple[Report, list[Finding]]]:
        """Each paired report with its findings, in the order its agency and year first came."""
        for key, report in self._first.items():
            if key in self._found:
                yield report, self._found[key]


def _pair_findings(reports: list[Report]) -> PairFindings:
    pairs = PairFindings()
    for report in reports:
        pairs.add(report)
    return pairs


def _number(report: Report, key: str) -> Decimal | None:
    value = report.values.get(key)
    return None if value is None else Decimal(str(value))


def _line(report: Report, key: str) -> int | None:
    return next((c.line for c in report.cells if c.key == key), None)


@pair_rule("continuity.carry_over", "warning", "表三：上年结转与上年报告的结转下年度不一致",
           "本年“二、上年结转政府信息公开申请数量”应等于同一机关上年报告的“四、结转下年度继续办理”（逐列核对）。"
           "2019 年报告不核对（2018 年统计表无此行）。需同一批次或数据库中有该机关上一年度的报告。")
def carry_over(report: Report, previous: Report) -> Iterator[Finding]:
    if report.meta.template not in ("2019", "2021") or previous.meta.template not in ("2019", "2021"):
        return
    this = this_rule("continuity.carry_over")
    template = load_template(report.meta.template)
    table = template.table("requests")
    columns = [c.key for c in table.blocks[0].columns] if table is not None else []
    for column in columns:
        now = _number(report, f"requests.carried_over.{column}")
        before = _number(previous, f"requests.carried_forward.{column}")
        if now is None or before is None or now == before:
            continue
        name = column_name(template, "requests", column)
        yield this.finding(
            f"上年结转 {now:f} ≠ {previous.meta.year} 年报告的结转下年度继续办理 {before:f}（{name}列；"
            f"上年报告：{previous.source.path}）",
            keys=[f"requests.carried_over.{column}"], line=_line(report, f"requests.carried_over.{column}"))


@pair_rule("continuity.in_force", "warning", "表二：现行有效件数与上年不衔接",
           "2021 年模板中，本年现行有效件数应等于上年现行有效件数加本年制发件数减本年废止件数（规章、行政规范性文件）。"
           "集中清理等情况可能合理地打破这一关系，故为警告。需同一机关上一年度的报告。")
def in_force(report: Report, previous: Report) -> Iterator[Finding]:
    if report.meta.template != "2021" or previous.meta.template != "2021":
        return
    this = this_rule("continuity.in_force")
    for row, name in (("active.rules", "规章"), ("active.normative_docs", "行政规范性文件")):
        now = _number(report, f"{row}.in_force")
        before = _number(previous, f"{row}.in_force")
        issued = _number(report, f"{row}.issued")
        repealed = _number(report, f"{row}.repealed")
        if None in (now, before, issued, repealed):
            continue
        assert now is not None and before is not None and issued is not None and repealed is not None
        expected = before + issued - repealed
        if now != expected:
            yield this.finding(
                f"{name}现行有效件数 {now:f} ≠ 上年 {before:f} ＋ 本年制发 {issued:f} − 本年废止 {repealed:f}"
                f" = {expected:f}",
                keys=[f"{row}.in_force"], line=_line(report, f"{row}.in_force"))


SHINGLE = 5  # characters per shingle
COPIED_SECTION = 0.8  # domain.md §4.6: section 五 copied at ≥ 0.80
COPIED_WHOLE = 0.7  # and the whole narrative at ≥ 0.70
MIN_CJK = 60  # shorter texts are too formulaic to call copies


_NOT_CJK = re.compile("[^\u4e00-\u9fff]+")


def _shingles(text: str) -> set[str]:
    """Character 5-grams of the text without digits, spaces and punctuation (years and counts change)."""
    kept = _NOT_CJK.sub("", text)  # one regex pass: a per-character filter was most of the batch rules' time
    return {kept[i: i + SHINGLE] for i in range(len(kept) - SHINGLE + 1)}


def _similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)  # |a ∪ b| without building the union


def _narrative(report: Report, numbers: tuple[str, ...]) -> str:
    return "".join(s.text for s in report.sections if s.template_number in numbers)


_FIVE, _WHOLE = ("五",), ("一", "五", "六")


def shingle_codes(text: str) -> Any:
    """``_shingles(text)`` as numbers, sorted and unique (a numpy array): each shingle is one
    complex number, its first three characters in the real part and its last two in the
    imaginary part, 15 bits a character (the kept characters are U+4E00–U+9FFF), both exact in a
    float64: equal numbers are equal shingles, so similarities are exactly the sets' — about ten
    times faster than building the set of strings."""
    import numpy as np

    kept = _NOT_CJK.sub("", text)
    count = len(kept) - SHINGLE + 1
    if count <= 0:
        return np.empty(0, dtype=np.complex128)
    chars = np.frombuffer(kept.encode("utf-32-le"), dtype="<u4").astype(np.int64) - 0x4E00
    head = (chars[:count] << 30) | (chars[1:count + 1] << 15) | chars[2:count + 2]
    tail = (chars[3:count + 3] << 15) | chars[4:count + 4]
    return _sorted_unique(head.astype(np.float64) + 1j * tail.astype(np.float64))


def _sorted_unique(values: Any) -> Any:
    """``np.unique(values)`` of a non-empty array: a sort and a mask, ~2.5 times faster than
    numpy 2's ``unique`` (which hashes first) on a few hundred numbers."""
    import numpy as np

    ordered = np.sort(values)
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _code_shingle(code: complex) -> str:
    """The shingle a ``shingle_codes`` number stands for (the inverse of its packing)."""
    head, tail = int(code.real), int(code.imag)
    return "".join(chr(0x4E00 + ((part >> shift) & 0x7FFF))
                   for part, shift in ((head, 30), (head, 15), (head, 0), (tail, 15), (tail, 0)))


def _code_similarity(a: Any, b: Any) -> float:
    """``_similarity`` of two ``shingle_codes`` arrays."""
    import numpy as np

    if not a.size or not b.size:
        return 0.0
    if a.size > b.size:
        a, b = b, a
    at = np.searchsorted(b, a)  # both sorted and unique: look the smaller up in the larger
    shared = int(np.count_nonzero(b[np.minimum(at, b.size - 1)] == a))
    return shared / (int(a.size) + int(b.size) - shared)


def _codes(report: Report, numbers: tuple[str, ...]) -> Any:
    """The shingle codes of the report's narrative parts ``numbers``: attached by the worker that
    parsed it (``slim_report``, as bytes), else made now."""
    import numpy as np

    memo = report.across_memo
    if isinstance(memo, dict) and numbers in memo:
        return np.frombuffer(memo[numbers], dtype=np.complex128)
    return shingle_codes(_narrative(report, numbers))


@pair_rule("continuity.copied_text", "warning", "正文照抄上年报告",
           "同一机关相邻两年的报告，第五部分（存在的主要问题及改进情况）字符 5 元组相似度达 0.80、或一、五、六部分"
           "合计达 0.70（去掉数字和年份后比较），多为照抄上年文本；年度报告应反映本年度的工作。")
def copied_text(report: Report, previous: Report) -> Iterator[Finding]:
    if report.meta.template in (None, "legacy") or previous.meta.template in (None, "legacy"):
        return
    this = this_rule("continuity.copied_text")
    section = next((s for s in report.sections if s.template_number == "五"), None)
    mine = _codes(report, _FIVE)
    if mine.size >= MIN_CJK and (score := _code_similarity(mine, _codes(previous, _FIVE))) >= COPIED_SECTION:
        yield this.finding(f"第五部分与 {previous.meta.year} 年报告的相似度为 {score:.2f}"
                           f"（上年报告：{previous.source.path}）", line=section.line if section else None)
        return
    mine = _codes(report, _WHOLE)
    if mine.size >= MIN_CJK and (score := _code_similarity(mine, _codes(previous, _WHOLE))) >= COPIED_WHOLE:
        yield this.finding(f"第一、五、六部分与 {previous.meta.year} 年报告的相似度为 {score:.2f}"
                           f"（上年报告：{previous.source.path}）")


COPIED_ACROSS = 0.8  # another agency's whole narrative

# MinHash/LSH (datasketch) finds the candidate pairs of corpus.copied_text without comparing
# every pair: NUM_PERM permutations cut into BANDS bands of ROWS rows. Two narratives share a
# band with probability 1 − (1 − s^ROWS)^BANDS: 0.998 at s = 0.8, 0.27 at 0.5, 0.007 at 0.3.
# Candidates are then confirmed on their exact shingle sets, so the threshold stays exact.
BANDS, ROWS = 20, 6
NUM_PERM = BANDS * ROWS


@dataclass(frozen=True)
class Signature:
    digest: bytes  # the MinHash values (uint64, little-endian)
    bands: list[tuple[int, int]]  # (band, 62-bit hash of its rows): equal bands make a candidate


def _compared_across(report: Report) -> bool:
    """Whether corpus.copied_text compares the report (given a narrative long enough)."""
    return report.meta.template in ("2019", "2021") and bool(report.meta.year) and bool(report.meta.agency)


def _cross_shingles(report: Report) -> set[str] | None:
    """The narrative shingles corpus.copied_text compares, or None when the report takes no part."""
    if not _compared_across(report):
        return None
    shingles = _shingles(_narrative(report, ("一", "五", "六")))
    return shingles if len(shingles) >= 2 * MIN_CJK else None  # short boilerplate is alike everywhere


def _code_signature(report: Report, whole: Any) -> Signature | None:
    """``narrative_signature(report)`` from the shingle codes of its parts 一, 五 and 六 (``whole``,
    made anyway for the batch): no set of strings built a second time."""
    if not _compared_across(report) or whole.size < 2 * MIN_CJK:
        return None
    return _digest_signature(_digest_of_hashes(_code_hashes(whole)))


def _signature(shingles: set[str]) -> Signature:
    return _digest_signature(_minhash_digest(shingles))


def _digest_signature(digest: bytes) -> Signature:
    bands = []
    for band in range(BANDS):
        chunk = digest[band * ROWS * 8: (band + 1) * ROWS * 8]
        bands.append((band, int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little") >> 2))
    return Signature(digest, bands)


def _minhash_digest(shingles: set[str]) -> bytes:
    """The digest of datasketch's ``MinHash(num_perm=NUM_PERM, seed=1)`` over the shingles (its
    default "affine32" scheme: SHA-1's first 4 bytes, the MurmurHash3 finalizer, then a·h + b
    mod 2^32 per permutation), as uint64 little-endian; computed here with numpy alone, so a
    batch's workers need not import datasketch and scipy (~0.6 s each). A test holds it equal."""
    return _digest_of_hashes(_shingle_hashes(shingles))


def _digest_of_hashes(hashes: list[int]) -> bytes:
    """The MinHash digest of shingles given by their datasketch hashes (``_shingle_hashes``)."""
    import numpy as np

    a, b = _permutations()
    values = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    if hashes:
        hv = np.array(hashes, dtype=np.uint32)
        hv = hv ^ (hv >> np.uint32(16))
        hv = hv * np.uint32(0x85EBCA6B)
        hv = hv ^ (hv >> np.uint32(13))
        hv = hv * np.uint32(0xC2B2AE35)
        hv = hv ^ (hv >> np.uint32(16))
        # one permutation per row, its minimum along the row: in place and contiguous, ~3 times
        # faster than a shingle per row; uint32 arithmetic wraps mod 2^32 as datasketch's
        permuted = np.multiply(a, hv)
        permuted += b
        values = np.minimum(values, permuted.min(axis=1))  # a minimum: any order gives one digest
    return bytes(values.astype("<u8").tobytes())


@cache
def _permutations() -> tuple[Any, Any]:
    """datasketch's permutations for seed 1 (odd multipliers a, offsets b), drawn once, as
    columns (one permutation per row)."""
    import numpy as np

    draw = np.random.RandomState(1)
    a = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a.reshape(-1, 1), b.reshape(-1, 1)


_SHINGLE_HASHES: dict[str, int] = {}
_SHINGLE_HASHES_MAX = 300_000  # ~40 MB at most; emptied when full


def _shingle_hashes(shingles: Iterable[str]) -> list[int]:
    """datasketch's default hash of each shingle, memoised: most shingles are stock phrases
    shared by many reports."""
    return _memoised(_SHINGLE_HASHES, list(shingles), _datasketch_hash)


_CODE_HASHES: dict[complex, int] = {}


def _code_hashes(codes: Any) -> list[int]:
    """``_shingle_hashes`` of the shingles that ``shingle_codes`` numbers stand for, memoised by
    number: a narrative's hashes without building its set of strings."""
    return _memoised(_CODE_HASHES, codes.tolist(), lambda code: _datasketch_hash(_code_shingle(code)))


def _datasketch_hash(shingle: str) -> int:
    """The first 4 bytes of SHA-1 of the shingle's UTF-8, little-endian."""
    return int.from_bytes(hashlib.sha1(shingle.encode("utf-8")).digest()[:4], "little")


_Key = TypeVar("_Key")


def _memoised(memo: dict[_Key, int], keys: list[_Key], compute: Callable[[_Key], int]) -> list[int]:
    """``compute`` of each key, looked up in ``memo`` first (emptied when full)."""
    hashes = list(map(memo.get, keys))  # one C-level pass; computed only for the keys not seen yet
    if None in hashes:
        if len(memo) >= _SHINGLE_HASHES_MAX:
            memo.clear()
        for at, found in enumerate(hashes):
            if found is None:
                hashes[at] = memo[keys[at]] = compute(keys[at])
    return hashes  # type: ignore[return-value]  # no None is left


# A candidate pair is decoded and compared exactly only when its MinHash estimate reaches this.
# With NUM_PERM = 120 the estimate of a pair at the 0.80 threshold has a standard deviation of
# about 0.037, so 0.55 is ~7 deviations below it (a true pair skipped about once in 10^12);
# most band-sharing pairs of boilerplate prose estimate well below it and are never decoded.
ESTIMATE_FLOOR = 0.55


def estimated_similarity(digest: bytes, other: bytes) -> float:
    """The Jaccard similarity two MinHash digests estimate (the share of equal permutations)."""
    if len(digest) != len(other) or not digest:
        return 0.0
    count = len(digest) // 8
    equal = sum(digest[i:i + 8] == other[i:i + 8] for i in range(0, count * 8, 8))
    return equal / count


def narrative_signature(report: Report) -> Signature | None:
    """The MinHash signature the store indexes for corpus.copied_text (None: not compared)."""
    shingles = _cross_shingles(report)
    return None if shingles is None else _signature(shingles)


def copied_across_finding(report: Report, other: Report, score: float) -> Finding:
    return this_rule("corpus.copied_text").finding(
        f"第一、五、六部分与{other.meta.agency}{other.meta.year}年报告的相似度为 {score:.2f}（{other.source.path}）")


def cross_similarity(report: Report, other: Report) -> float | None:
    """The exact corpus.copied_text similarity of two reports of different agencies, or None."""
    mine, theirs = _cross_shingles(report), _cross_shingles(other)
    if mine is None or theirs is None or squeeze(other.meta.agency or "") == squeeze(report.meta.agency or ""):
        return None
    if abs((other.meta.year or 0) - (report.meta.year or 0)) > 1:
        return None
    return _similarity(mine, theirs)


def _batch_signature(report: Report) -> Signature | None:
    """The report's narrative signature: the one its worker attached (``slim_report``), else computed."""
    memo = report.across_memo
    if isinstance(memo, dict) and "signature" in memo:
        attached: Signature | None = memo["signature"]
        return attached
    return narrative_signature(report)


@corpus_rule("corpus.copied_text", "warning", "正文与其他机关的报告雷同",
             "同一批次中另一机关同年或相邻年度报告的第一、五、六部分，去掉数字和年份后字符 5 元组相似度达 0.80，"
             "多为跨机关照抄（常伴有他机关名称残留）；年度报告应写本机关的工作。")
def copied_across_agencies(reports: list[Report]) -> Iterator[tuple[Report, Finding]]:
    import numpy as np

    texts = [(r, s) for r in reports if (s := _batch_signature(r)) is not None]
    if len(texts) < 2:
        return
    # Every test below is symmetric (the similarity too), so each pair sharing a band is tested
    # once, and all pairs at a time (a loop over the reports cost ~15 numpy calls a report).
    first, second = _band_pairs([s.bands for _, s in texts])
    years = np.array([r.meta.year or 0 for r, _ in texts])
    names: dict[str, int] = {}
    agencies = np.array([names.setdefault(squeeze(r.meta.agency or ""), len(names)) for r, _ in texts])
    codes = [_codes(r, _WHOLE) for r, _ in texts]  # attached by the workers, or made here
    sizes = np.array([c.size for c in codes])
    # |A ∩ B| / |A ∪ B| ≤ min(|A|, |B|) / max(|A|, |B|): sizes too far apart cannot reach the threshold
    # (exact; the slack only keeps a pair at the boundary)
    kept = ((agencies[first] != agencies[second]) & (np.abs(years[second] - years[first]) <= 1)
            & (np.minimum(sizes[first], sizes[second])
               >= COPIED_ACROSS * np.maximum(sizes[first], sizes[second]) - 1e-6))
    first, second = first[kept], second[kept]
    # the store's cheap filter: a pair estimated far below the threshold is not compared exactly
    digests = np.frombuffer(b"".join(s.digest for _, s in texts), dtype="<u8").reshape(len(texts), -1)
    first, second = _pairs_where(
        lambda a, b: (digests[a] == digests[b]).sum(axis=1) / digests.shape[1] >= ESTIMATE_FLOOR, first, second)
    counts = _bucket_counts(codes, sizes)
    first, second = _pairs_where(lambda a, b: _may_be_copies(counts, sizes, a, b), first, second)
    # A report's finding names its first copy in batch order, as the exhaustive comparison: the
    # pairs come sorted, so a report's pairs with earlier reports are met first, in order.
    first_copy: dict[int, tuple[int, float]] = {}
    for index, other_index in zip(first.tolist(), second.tolist(), strict=True):
        score = _code_similarity(codes[index], codes[other_index])
        if score >= COPIED_ACROSS:
            first_copy.setdefault(index, (other_index, score))
            first_copy.setdefault(other_index, (index, score))
    for index, (other_index, score) in sorted(first_copy.items()):
        yield texts[index][0], copied_across_finding(texts[index][0], texts[other_index][0], score)


def _band_pairs(bands: list[list[tuple[int, int]]]) -> tuple[Any, Any]:
    """Each pair of texts that share a band (equal band and hash), once: two index arrays
    (first < second), sorted by first, then second. Done with sorts and repeats over all the
    bands at once instead of a dictionary of buckets."""
    import numpy as np

    band = np.array([b for text in bands for b, _ in text], dtype=np.int64)
    hashed = np.array([h for text in bands for _, h in text], dtype=np.int64)  # 62-bit hashes fit
    owner = np.repeat(np.arange(len(bands), dtype=np.int64), [len(text) for text in bands])
    order = np.lexsort((owner, hashed, band))  # by band and hash, each bucket's texts in batch order
    band, hashed, owner = band[order], hashed[order], owner[order]
    entries = owner.size
    starts = np.ones(entries, dtype=bool)
    np.not_equal(band[1:], band[:-1], out=starts[1:])
    starts[1:] |= hashed[1:] != hashed[:-1]
    bucket_ends = np.append(np.flatnonzero(starts)[1:], entries)
    later = bucket_ends[np.cumsum(starts) - 1] - np.arange(entries) - 1  # entries after each in its bucket
    total = int(later.sum())
    if not total:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # the i-th pair of an entry at position p pairs it with the entry at p + 1 + i
    step = np.arange(total) - np.repeat(np.cumsum(later) - later, later)
    partner = np.repeat(np.arange(entries) + 1, later) + step
    pairs = _sorted_unique(np.repeat(owner, later) * len(bands) + owner[partner])  # a pair may share several bands
    return pairs // len(bands), pairs % len(bands)


PAIR_CHUNK = 4_096  # pairs tested at once: their digest or bucket rows (~1 kB a pair) stay within ~4 MB, in cache


def _pairs_where(test: Callable[[Any, Any], Any], first: Any, second: Any) -> tuple[Any, Any]:
    """The pairs (``first[i]``, ``second[i]``) that pass ``test`` (a mask of a chunk of pairs), in order."""
    import numpy as np

    if not first.size:
        return first, second
    kept = np.concatenate([test(first[at:at + PAIR_CHUNK], second[at:at + PAIR_CHUNK])
                           for at in range(0, first.size, PAIR_CHUNK)])
    return first[kept], second[kept]


SHINGLE_BUCKETS = 512  # of _bucket_counts: enough that two texts rarely share a bucket by chance


COUNTED_TOGETHER = 256  # texts whose bucket counts are made in one pass: its arrays stay in the CPU's caches


def _bucket_counts(codes: list[Any], sizes: Any) -> Any:
    """How many of each text's shingles fall in each of SHINGLE_BUCKETS buckets (a row per text,
    uint16, clipped). Any function of a shingle picks its bucket (here: its code's bits mixed),
    so equal shingles share one and two texts share at most Σ min(aₖ, bₖ) shingles. Made
    COUNTED_TOGETHER texts at a time: one pass over a batch's texts made a dozen arrays of
    25–50 MB, each written to fresh memory, several times slower."""
    import numpy as np

    if not codes:
        return np.zeros((0, SHINGLE_BUCKETS), dtype=np.uint16)
    return np.concatenate([_group_bucket_counts(codes[at:at + COUNTED_TOGETHER], sizes[at:at + COUNTED_TOGETHER])
                           for at in range(0, len(codes), COUNTED_TOGETHER)])


def _group_bucket_counts(codes: list[Any], sizes: Any) -> Any:
    import numpy as np

    bits = np.concatenate(codes).view(np.uint64)  # real and imaginary parts' bits: equal codes, equal bits
    mixed = (bits[0::2] * np.uint64(0x9E3779B97F4A7C15)) ^ bits[1::2]
    mixed *= np.uint64(0xC2B2AE3D27D4EB4F)  # uint64 arithmetic wraps: a multiplicative hash
    bucket = (mixed >> np.uint64(64 - 9)).astype(np.intp)  # the top 9 bits: 512 buckets
    owner = np.repeat(np.arange(len(codes), dtype=np.intp) * SHINGLE_BUCKETS, sizes)
    counts = np.bincount(owner + bucket, minlength=len(codes) * SHINGLE_BUCKETS)
    return np.minimum(counts, 0xFFFF).astype(np.uint16).reshape(len(codes), SHINGLE_BUCKETS)


def _may_be_copies(counts: Any, sizes: Any, index: Any, others: Any) -> Any:
    """Which of ``others`` may reach COPIED_ACROSS with text ``index`` (one text, or one for each of
    ``others``), by the exact upper bound on their shared shingles of ``_bucket_counts``: the
    estimate lets through pairs of stock prose (~5 per report, 40 µs each to compare), the bound
    rules out nearly all of them in one pass.
    A count is clipped only for a text of more than 65,535 shingles, and the smaller text's
    counts bound the pair alone, so the bound holds unless both are that large (always kept)."""
    import numpy as np

    shared_at_most = np.minimum(counts[others], counts[index]).sum(axis=1, dtype=np.int64)
    union_at_least = sizes[others] + sizes[index] - shared_at_most
    both_huge = np.minimum(sizes[others], sizes[index]) > 0xFFFF
    # shared / union grows with shared: below the threshold at the bound, below it for the pair
    return (shared_at_most >= COPIED_ACROSS * union_at_least - 1e-6) | both_huge


def two_reports_finding(report: Report, other: Report) -> Finding:
    return this_rule("corpus.two_reports").finding(
        f"{report.meta.agency}{report.meta.year}年度另有一份内容不同的报告（{other.source.path}）")


@corpus_rule("corpus.two_reports", "warning", "同一机关同一年度有两份不同的报告",
             "同一机关同一年度应只有一份年度报告；同一批次或数据库中出现两份内容不同的报告（文件不同），"
             "多为更正后重新发布或误传他年报告，应确认哪一份为准。")
def two_reports(reports: list[Report]) -> Iterator[tuple[Report, Finding]]:
    by_agency_year: dict[tuple[str, int], list[Report]] = {}
    for report in reports:
        if report.meta.agency and report.meta.year:
            by_agency_year.setdefault((squeeze(report.meta.agency), report.meta.year), []).append(report)
    for group in by_agency_year.values():
        for report in group:
            other = next((o for o in group if o.source.sha256 != report.source.sha256), None)
            if other is not None:
                yield report, two_reports_finding(report, other)


@corpus_rule("narrative.foreign_entity", "warning", "正文出现批次中其他同级机关的地名",
             "正文写到另一同级地方（如县级报告里写了另一个县的名称），多为照抄他处报告的残留。地名取自同一批次中"
             "其他报告的发布机关，只比较与发布机关同一级别的地名，书名号内的文件名不计；单份报告无从比较，不报告。")
def foreign_entity(reports: list[Report]) -> Iterator[tuple[Report, Finding]]:
    this = this_rule("narrative.foreign_entity")
    units_of: dict[str, list[tuple[str, str]]] = {}  # agency → its place units: read once, not once a year
    for report in reports:
        if (agency := report.meta.agency or "") not in units_of:
            units_of[agency] = place_units(agency)
    places: dict[str, set[str]] = {}  # level → place names of the batch's agencies at that level
    for units in units_of.values():
        for name, level in units:
            places.setdefault(level, set()).add(name)
    longest = {level: max(len(name) for name in names) for level, names in places.items()}
    for report in reports:
        units = units_of[report.meta.agency or ""]
        if not units:
            continue
        own = {name for name, _ in units}
        level = units[-1][1]
        prose = {s.line: _without_titles(s.text) for s in report.sections if s.template_number in ("一", "五", "六")}
        for place in sorted(_mentioned(prose.values(), level, places.get(level, set()), longest.get(level, 0))
                            - own):
            where = next((line for line, text in prose.items() if place in text), None)
            if where is not None:
                yield report, this.finding(f"正文提到“{place}”，而发布机关是{report.meta.agency}", line=where)


_TITLE = re.compile(r"《[^》]*》")


def _without_titles(text: str) -> str:
    """The text without the titles in 书名号 (a document's title may name any place)."""
    return _TITLE.sub("", text) if "《" in text else text  # most sections quote none: no regex pass


def _mentioned(texts: Iterable[str], level: str, names: set[str], longest: int) -> set[str]:
    """The names (each ending in ``level``, as 县 or 街道) that occur in the texts: every occurrence
    of a name ends where ``level`` does, so only the few spans ending at one are looked up, not
    every name of the batch in every text."""
    found: set[str] = set()
    for text in texts:
        at = text.find(level)
        while at != -1:
            end = at + len(level)
            found.update(span for size in range(len(level) + 1, min(longest, end) + 1)
                         if (span := text[end - size: end]) in names)
            at = text.find(level, at + 1)
    return found


# The report fields the rules above read: the values and cells of the pair rules, the narrative
# sections, meta and the file's name and digest. A batch keeps only these of each report.
_PAIR_VALUE_PREFIXES = ("requests.carried_over.", "requests.carried_forward.", "active.")
_NARRATIVE = ("一", "五", "六")
_PAIR_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _pair_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys the pair rules read, in order, memoised by the whole key list: the reports of one
    template share it, so a batch tests each key's prefixes once, not once per report."""
    kept = _PAIR_KEYS.get(keys)
    if kept is None:
        if len(_PAIR_KEYS) >= 256:
            _PAIR_KEYS.clear()
        kept = _PAIR_KEYS[keys] = tuple(k for k in keys if k.startswith(_PAIR_VALUE_PREFIXES))
    return kept


def slim_report(report: Report, *, signature: bool = False) -> Report:
    """A copy of the report holding only what the rules across reports read (a few kilobytes
    instead of the whole report), so that a batch of thousands of reports fits in memory; with
    ``signature`` its narrative MinHash and shingle codes too (made here: in a batch, by the worker
    that parsed it, so the batch rules only compare)."""
    values = {k: report.values[k] for k in _pair_keys(tuple(report.values))}
    slim = Report(
        schema_version=report.schema_version,
        source=SourceInfo(path=report.source.path, sha256=report.source.sha256, format=report.source.format),
        meta=report.meta, values=values, cells=[c for c in report.cells if c.key in values],
        sections=[s for s in report.sections if s.template_number in _NARRATIVE], facts=[], findings=[])
    if signature:
        whole = shingle_codes(_narrative(report, _WHOLE))
        # the codes as bytes: a numpy array costs ~15 µs to pickle and ~7 µs to unpickle, bytes ~1 µs
        slim.across_memo = {"signature": _code_signature(report, whole),
                            _FIVE: shingle_codes(_narrative(report, _FIVE)).tobytes(), _WHOLE: whole.tobytes()}
    return slim
