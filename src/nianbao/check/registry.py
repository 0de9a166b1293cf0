"""The rule registry: id → severity, title, explanation, and the function that checks it."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from nianbao.check.text_view import TextView, content_lines, running_lines
from nianbao.extract.solve import Identity, bind_identities
from nianbao.layout.lines import Line
from nianbao.models import Cell, Finding, Number, Report, Section, Severity
from nianbao.templates import Template, load_template

# Sums of up to 10,000 values under this size stay within Decimal's 28 digits, so int arithmetic
# gives exactly what the decimals give.
_EXACT_INT_BOUND = 10**24


class ExactNumbers:
    """The report's values as exact decimals (None for a blank), each converted when a rule reads
    it: converting all ~150 values of every report cost more than the few reads most rules make."""

    __slots__ = ("_plain",)

    def __init__(self, plain: dict[str, Number | None]) -> None:
        self._plain = plain

    def get(self, key: str) -> Decimal | None:
        value = self._plain.get(key)
        return None if value is None else Decimal(value) if type(value) is int else Decimal(str(value))

    def __getitem__(self, key: str) -> Decimal | None:
        if key not in self._plain:
            raise KeyError(key)
        return self.get(key)


@dataclass(frozen=True)
class IdentityGroup:
    """A rule's identities over one set of report keys, with the keys they read laid end to end:
    a report's values for all of them are fetched in one pass, and each side summed by slice."""

    identities: tuple[Identity, ...]
    keys: tuple[str, ...]  # the left keys, then the right keys, of each identity in turn
    lefts: tuple[slice, ...]  # where in ``keys`` each identity's left keys are
    rights: tuple[slice, ...]  # and its right keys

    @classmethod
    def of(cls, identities: list[Identity]) -> IdentityGroup:
        keys: list[str] = []
        lefts: list[slice] = []
        rights: list[slice] = []
        for identity in identities:
            start, middle, end = len(keys), len(keys) + len(identity.left), len(keys) + len(identity.keys)
            lefts.append(slice(start, middle))
            rights.append(slice(middle, end))
            keys.extend(identity.keys)
        return cls(tuple(identities), tuple(keys), tuple(lefts), tuple(rights))


# Reports of one template mostly have the same keys: their identities are bound and grouped once.
_GROUPS: dict[tuple[str, frozenset[str]], dict[str, IdentityGroup]] = {}


def _identity_groups(template: Template, present: frozenset[str]) -> dict[str, IdentityGroup]:
    cache_key = (template.id, present)
    groups = _GROUPS.get(cache_key)
    if groups is None:
        by_rule: dict[str, list[Identity]] = {}
        for table in template.tables:
            for identity in bind_identities(table, present):
                by_rule.setdefault(identity.rule, []).append(identity)
        groups = {rule_id: IdentityGroup.of(identities) for rule_id, identities in by_rule.items()}
        if len(_GROUPS) > 1024:
            _GROUPS.clear()
        _GROUPS[cache_key] = groups
    return groups


@dataclass(frozen=True)
class Context:
    """One report and its lines, with the views the rules share, each made once on first use."""

    report: Report
    lines: list[Line]

    @cached_property
    def numbers(self) -> ExactNumbers:
        """The report's values as exact decimals (None for a blank)."""
        return ExactNumbers(self.report.values)

    @cached_property
    def ints_are_exact(self) -> bool:
        """Whether sums of the report's values may be done in int where all are int (see _EXACT_INT_BOUND)."""
        return max(map(abs, filter(None, self.report.values.values())), default=0) < _EXACT_INT_BOUND

    @cached_property
    def cells(self) -> dict[str, Cell]:
        return {c.key: c for c in self.report.cells}

    @cached_property
    def identities(self) -> dict[str, IdentityGroup]:
        """The template identities over the report's keys, by rule id."""
        return _identity_groups(self.template, frozenset(self.report.values))

    @cached_property
    def content_view(self) -> TextView:
        """Every line that is not web-page chrome or a page number, searchable as one text."""
        return TextView.of(content_lines(self.lines))

    @cached_property
    def running_text(self) -> list[Line]:
        """The lines of running text: not chrome, not blank, not a table row (one cell at most)."""
        return running_lines(self.content_view)

    @cached_property
    def running_numbers(self) -> list[int]:
        """The line numbers of the running text, ascending (lines come in order)."""
        return [line.number for line in self.running_text]

    @cached_property
    def running_view(self) -> TextView:
        """The running text, searchable as one text (table rows left out: less to scan)."""
        return TextView.of(self.running_text)

    def running_text_of(self, section: Section) -> list[Line]:
        """The running text after the section's heading, to its end (two bisections, not a scan per section)."""
        numbers = self.running_numbers
        return self.running_text[bisect_right(numbers, section.line): bisect_right(numbers, section.end_line)]

    def section(self, number: str) -> Section | None:
        """The printed section that stands for template section ``number`` (七 may stand for 六)."""
        return next((s for s in self.report.sections if s.template_number == number), None)

    @cached_property
    def template(self) -> Template:
        """The report's template (the pipeline never checks a report without one)."""
        if self.report.meta.template is None:
            raise ValueError("checks need a report whose template is known")
        return load_template(self.report.meta.template)


Check = Callable[[Context], Iterator[Finding]]
# A rule over two reports of the same agency: this year's and last year's.
PairCheck = Callable[[Report, Report], Iterator[Finding]]
# A rule over a whole batch: findings for any of its reports.
CorpusCheck = Callable[[list[Report]], Iterator[tuple[Report, Finding]]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str  # one line, Chinese
    explanation: str  # what it catches and why, with its basis
    check: Check | None = None  # a rule on one report
    pair_check: PairCheck | None = None  # a rule on a report and last year's (batch or store)
    corpus_check: CorpusCheck | None = None  # a rule on a whole batch (reports of other agencies)
    phrasings: tuple[str, ...] = ()  # the phrasing families a prose rule understands, with examples

    @property
    def scope(self) -> str:
        if self.pair_check:
            return "跨年度（需上年报告）"
        return "跨机关（同一批次）" if self.corpus_check else "单份报告"

    def finding(self, message: str, keys: list[str] | None = None, line: int | None = None,
                severity: Severity | None = None) -> Finding:
        """Every finding is made here, so none lacks its rule, place or severity."""
        return Finding(rule=self.id, severity=severity or self.severity, message=message,
                       keys=keys or [], line=line)


RULES: dict[str, Rule] = {}


def _add(new: Rule) -> None:
    """Register a rule; the same function may be registered again (a module re-imported)."""
    old = RULES.get(new.id)
    if old is not None and (old.check, old.pair_check, old.corpus_check) != (
            new.check, new.pair_check, new.corpus_check):
        raise ValueError(f"rule {new.id} registered twice")
    RULES[new.id] = new


def rule(rule_id: str, severity: Severity, title: str, explanation: str,
         phrasings: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    """A rule on one report."""
    def register(check: Check) -> Check:
        _add(Rule(rule_id, severity, title, explanation, check=check, phrasings=phrasings))
        return check

    return register


def pair_rule(rule_id: str, severity: Severity, title: str, explanation: str) -> Callable[[PairCheck], PairCheck]:
    """A rule on a report and last year's report of the same agency."""
    def register(check: PairCheck) -> PairCheck:
        _add(Rule(rule_id, severity, title, explanation, pair_check=check))
        return check

    return register


def corpus_rule(rule_id: str, severity: Severity, title: str,
                explanation: str) -> Callable[[CorpusCheck], CorpusCheck]:
    """A rule on a whole batch (the other agencies' reports)."""
    def register(check: CorpusCheck) -> CorpusCheck:
        _add(Rule(rule_id, severity, title, explanation, corpus_check=check))
        return check

    return register


def this_rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def run_checks(report: Report, lines: list[Line]) -> list[Finding]:
    context = Context(report=report, lines=lines)
    findings: list[Finding] = []
    for registered in RULES.values():
        if registered.check is not None:
            findings.extend(registered.check(context))
    return sorted(merge_repeats(findings, report), key=lambda f: (f.line or 0, f.rule))


def _row_of(finding: Finding) -> str | None:
    """The table row all of the finding's keys lie in (``requests.granted``), if one."""
    rows = {key.rsplit(".", 1)[0] for key in finding.keys if key.count(".") >= 2}
    return rows.pop() if len(rows) == 1 and len(finding.keys) == len(set(finding.keys)) else None


def merge_repeats(findings: list[Finding], report: Report) -> list[Finding]:
    """One finding per defect: findings of one rule on different columns of one row (a row
    that prints too few cells, a carry-over that differs in five columns) become one finding
    that names the columns; exact repeats are dropped."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    out: list[Finding | tuple[str, str, str]] = []
    seen: set[tuple[str, str, int | None, tuple[str, ...]]] = set()
    for finding in findings:
        once = (finding.rule, finding.message, finding.line, tuple(finding.keys))
        if once in seen:
            continue
        seen.add(once)
        row = _row_of(finding)
        if row is None:
            out.append(finding)
            continue
        group = (finding.rule, finding.severity, row)
        if group not in groups:
            out.append(group)
        groups.setdefault(group, []).append(finding)
    return [item if isinstance(item, Finding) else _merged(groups[item], report) for item in out]


def _merged(repeats: list[Finding], report: Report) -> Finding:
    first = repeats[0]
    if len(repeats) == 1:
        return first
    keys = list(dict.fromkeys(k for f in repeats for k in f.keys))
    columns = list(dict.fromkeys(_column_label(report, k) for f in repeats[1:] for k in f.keys))
    lines = [f.line for f in repeats if f.line is not None]
    message = f"{first.message}；同一行另有 {len(repeats) - 1} 处同样的问题：{'、'.join(columns)}列"
    return Finding(rule=first.rule, severity=first.severity, message=message, keys=keys,
                   line=min(lines) if lines else None, place=first.place)


def _column_label(report: Report, key: str) -> str:
    table_id, column = key.split(".", 1)[0], key.rsplit(".", 1)[1]
    template = load_template(report.meta.template) if report.meta.template else None
    table = template.table(table_id) if template is not None else None
    for block in table.blocks if table is not None else ():
        for spec in (*block.columns, *block.extra_columns):
            if spec.key == column:
                return spec.label
    return column
