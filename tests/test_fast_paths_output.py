"""The shortcuts of a batch's work around the parse give exactly what the plain definitions give.

Reading a file (GB18030 without charset detection, one scan for control characters), the slim
copy for the rules across reports (MinHash from the shingle codes, the pair rules' keys), the
pickling of report cells and the JSON line are each compared with the obvious slow form.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.batch import encode_line, expand
from nianbao.check import across
from nianbao.ingest import reader
from nianbao.models import Cell, Meta, Report, Section, SourceInfo
from nianbao.normalize import to_simplified

# Chinese text as reports print it, with the characters that set GB18030, Big5 and UTF-8 apart.
PIECES = st.sampled_from([
    "政府", "信息", "公开", "申请", "年度", "报告", "（", "）", "，", "。", "：", "１", "12", " ", "\n",
    "\t", "資訊", "機關", "€", "·", "—", "a", "XX", "\x1b", "\x7f", "\x85", "\ufffd", "第", "条",
])
TEXT = st.lists(PIECES, max_size=80).map("".join)
CJK = st.lists(st.sampled_from("政府信息公开申请年度报告工作机关办理答复驳回不予咨询财政统计数量第条款"),
               max_size=120).map("".join)


def _plain_decode_text(data: bytes) -> tuple[str, str]:
    """decode_text as it was: charset detection for every file that is not UTF-8."""
    saved = reader._only_gb18030
    reader._only_gb18030 = lambda data: False
    try:
        return reader.decode_text(data, "x.txt")
    finally:
        reader._only_gb18030 = saved


def _outcome(decode: object, data: bytes) -> object:
    try:
        return decode(data)  # type: ignore[operator]
    except Exception as exc:
        return type(exc).__name__


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(["gb18030", "big5", "utf-8", "gbk"]), st.binary(max_size=3))
def test_gb18030_without_detection_is_what_detection_gives(text: str, encoding: str, junk: bytes) -> None:
    data = text.encode(encoding, errors="ignore") + junk
    fast = _outcome(lambda d: reader.decode_text(d, "x.txt"), data)
    assert fast == _outcome(_plain_decode_text, data)


def _plain_mostly_decodes(data: bytes, encoding: str) -> str | None:
    text = data.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    chinese = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return text if chinese >= 20 and bad <= max(8, chinese // 50) else None


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(["gb18030", "utf-8"]), st.lists(st.integers(0, 4000), max_size=40), st.binary(max_size=2))
def test_mostly_decodes_is_the_plain_count(text: str, encoding: str, cuts: list[int], junk: bytes) -> None:
    data = bytearray(text.encode(encoding) * 3)
    for cut in cuts:  # damage: bytes flipped here and there
        if data:
            data[cut % len(data)] ^= 0x80
    assert reader._mostly_decodes(bytes(data) + junk, "utf-8-sig") == _plain_mostly_decodes(bytes(data) + junk,
                                                                                               "utf-8-sig")


def _plain_document(text: str) -> tuple[tuple[tuple[int, str], ...], str] | None:
    """_document's control characters and damage notes, as they were (three scans)."""
    control = len(reader._CONTROL.findall(text))
    if control > max(8, len(text) // 100):
        return None
    notes = reader._damage_notes(text, "utf-8", reader._STRIP.search(text) is not None)
    if control or reader._STRIP.search(text):
        text = reader._STRIP.sub("", text)
    return notes, text


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_one_scan_for_control_characters(text: str) -> None:
    try:
        document = reader._document("x.txt", text.encode("utf-8"), "txt", text, "utf-8")
    except Exception:
        assert _plain_document(text) is None
        return
    plain = _plain_document(text)
    assert plain is not None
    assert document.notes == plain[0]
    assert document.text == to_simplified(plain[1])


def test_reading_a_text_file_imports_no_other_reader(tmp_path: Path) -> None:
    """A UTF-8 or GBK text file is read without charset detection or the other formats' readers."""
    import subprocess
    import sys

    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(("一、总体情况。本机关认真贯彻落实政府信息公开条例\n" * 20).encode("gb18030"))  # not Big5
    probe = ("import sys\nfrom pathlib import Path\nfrom nianbao.ingest import read_document\n"
             "read_document(Path(sys.argv[1]))\n"
             "names = ('charset_normalizer', 'nianbao.ingest.')\n"
             "print(','.join(sorted(m for m in sys.modules if m.startswith(names))))")
    done = subprocess.run([sys.executable, "-c", probe, str(gbk)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["nianbao.ingest.blocks,nianbao.ingest.limits,nianbao.ingest.reader"]


def _report(text_one: str, text_five: str, text_six: str, year: int = 2023, template: str = "2021") -> Report:
    sections = [Section(number=n, title="", line=i, end_line=i, template_number=n, text=t)
                for i, (n, t) in enumerate((("一", text_one), ("五", text_five), ("六", text_six)), start=1)]
    return Report(source=SourceInfo(path="x.txt", sha256="0", format="txt"),
                  meta=Meta(year=year, agency="某县某局", template=template),  # type: ignore[arg-type]
                  values={}, cells=[], sections=sections)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CJK, CJK, CJK, st.sampled_from(["2021", "2019", "legacy"]))
def test_the_signature_from_codes_is_the_signature_from_strings(one: str, five: str, six: str,
                                                                 template: str) -> None:
    report = _report(one * 3, five * 2, six, template=template)
    whole = across.shingle_codes(across._narrative(report, across._WHOLE))
    fast, plain = across._code_signature(report, whole), across.narrative_signature(report)
    assert (fast is None) == (plain is None)
    if fast is not None and plain is not None:
        assert fast.digest == plain.digest and fast.bands == plain.bands


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=5, max_size=60))
def test_a_code_stands_for_its_shingle(text: str) -> None:
    codes = across.shingle_codes(text)
    assert {across._code_shingle(code) for code in codes.tolist()} == across._shingles(text)
    assert np.array_equal(codes, np.unique(codes))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=80))
def test_sorted_unique_is_numpys_unique(pairs: list[tuple[int, int]]) -> None:
    values = np.array([complex(a, b) for a, b in pairs])
    assert np.array_equal(across._sorted_unique(values), np.unique(values))


KEYS = st.sampled_from(["requests.carried_over.natural", "requests.carried_forward.total", "active.rules.issued",
                        "active.normative_docs.in_force", "requests.granted.natural", "fees.total", "activeX",
                        "requests.carried_over"])


@settings(max_examples=200, deadline=None)
@given(st.lists(KEYS, unique=True))
def test_the_slim_copy_keeps_the_pair_rules_keys(keys: list[str]) -> None:
    report = _report("", "", "")
    report.values = {k: i for i, k in enumerate(keys)}
    report.cells = [Cell(key=k, value=i, line=i) for i, k in enumerate(keys)]
    slim = across.slim_report(report)
    plain = {k: v for k, v in report.values.items() if k.startswith(across._PAIR_VALUE_PREFIXES)}
    assert list(slim.values.items()) == list(plain.items())
    assert slim.cells == [c for c in report.cells if c.key in plain]


@settings(max_examples=200, deadline=None)
@given(st.builds(Cell, key=st.text(max_size=5), value=st.none() | st.integers() | st.floats(allow_nan=False),
                 raw=st.none() | st.text(max_size=5), line=st.none() | st.integers(0, 500), inferred=st.booleans(),
                 split=st.booleans(), unit=st.none() | st.text(max_size=3), place=st.none() | st.text(max_size=5)))
def test_a_cell_pickles_as_its_fields(cell: Cell) -> None:
    assert [f.name for f in fields(Cell)] == ["key", "value", "raw", "line", "inferred", "split", "unit", "place"]
    back = pickle.loads(pickle.dumps(cell, pickle.HIGHEST_PROTOCOL))
    assert back == cell and [type(getattr(back, f.name)) for f in fields(Cell)] == [
        type(getattr(cell, f.name)) for f in fields(Cell)]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), JSON, max_size=6))
def test_a_line_is_json_dumps(record: dict[str, object]) -> None:
    assert encode_line(record) == (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(["a", "a-b", "a.b", "b", "A", "1", "a_b", "ab", ".h"]), min_size=1,
                         max_size=3), min_size=1, max_size=12))
def test_a_folder_is_listed_in_path_order(tmp_path_factory: pytest.TempPathFactory, names: list[list[str]]) -> None:
    root = tmp_path_factory.mktemp("batch")
    made: set[Path] = set()
    for parts in names:
        path = root.joinpath(*parts[:-1], parts[-1] + ".txt")
        if any(p in made for p in (path, *path.parents)) or any(m.is_relative_to(path.with_suffix("")) for m in made):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        made.add(path)
    plain = [p for p in sorted(root.rglob("*"))
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    assert list(expand([root])) == plain


def test_a_known_gbk_file_reads_as_before() -> None:
    """GBK text decodes to the same text and encoding name with or without detection."""
    data = ("政府信息公开工作年度报告\n一、总体情况。本机关认真贯彻落实政府信息公开条例\n" * 10).encode("gbk")
    assert reader._only_gb18030(data)
    assert reader.decode_text(data, "x.txt") == _plain_decode_text(data) == (data.decode("gb18030"), "gb18030")


@settings(max_examples=200, deadline=None)
@given(st.lists(CJK, min_size=2, max_size=6), st.lists(st.integers(0, 5), min_size=1, max_size=8))
def test_the_bucket_bound_never_rules_out_a_copy(texts: list[str], picks: list[int]) -> None:
    """Σ min(aₖ, bₖ) over the buckets is at least the shared shingles, so every pair at or above
    COPIED_ACROSS is kept (texts are made of each other's pieces, so some pairs are copies)."""
    narratives = [t * 2 + "".join(texts[p % len(texts)] for p in picks) for t in texts]
    codes = [across.shingle_codes(t) for t in narratives]
    codes = [c for c in codes if c.size]
    if len(codes) < 2:
        return
    sizes = np.array([c.size for c in codes])
    counts = across._bucket_counts(codes, sizes)
    others = np.arange(len(codes))
    for index, mine in enumerate(codes):
        kept = across._may_be_copies(counts, sizes, index, others)
        for other, theirs in enumerate(codes):
            shared = int(np.isin(mine, theirs).sum())
            assert np.minimum(counts[index], counts[other]).sum() >= shared
            if across._code_similarity(mine, theirs) >= across.COPIED_ACROSS:
                assert kept[other]
