"""The end of a batch printed as JSON (the lines wait for the rules across reports): its
shortcuts give exactly what the plain definitions give.

A line is encoded in two parts around its findings array (``encode_split_line``) so that the
batch's findings are merged into that array alone (``line_with_findings`` with the offset):
both are compared with encoding the whole record and with decoding and encoding the whole line.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.batch import encode_line, encode_split_line, line_with_findings
from nianbao.models import Finding

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
