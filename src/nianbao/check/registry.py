"""The rule registry: id → severity, title, explanation, and the function that checks it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from nianbao.check.text_view import TextView
from nianbao.extract.solve import Identity, bind_identities
from nianbao.layout.lines import Line
from nianbao.layout.tokens import printed_cells
from nianbao.models import Cell, Finding, Report, Section, Severity
from nianbao.templates import Template, load_template


@dataclass(frozen=True)
class Context:
    report: Report
    lines: list[Line]

    @cached_property
    def numbers(self) -> dict[str, Decimal | None]:
        """The report's values as exact decimals (None for a blank)."""
        return {k: None if v is None else Decimal(v) if type(v) is int else Decimal(str(v))
                for k, v in self.report.values.items()}

    @cached_property
    def cells(self) -> dict[str, Cell]:
        return {c.key: c for c in self.report.cells}

    @cached_property
    def identities(self) -> dict[str, list[Identity]]:
        """The template identities over the report's keys, by rule id."""
        by_rule: dict[str, list[Identity]] = {}
        present = set(self.report.values)
        for table in self.template.tables:
            for identity in bind_identities(table, present):
                by_rule.setdefault(identity.rule, []).append(identity)
        return by_rule

    @cached_property
    def content_view(self) -> TextView:
        """Every line that is not web-page chrome or a page number, searchable as one text."""
        return TextView.of([line for line in self.lines if not line.chrome])

    @cached_property
    def running_text(self) -> list[Line]:
        """The lines of running text: not chrome, not blank, not a table row (one cell at most)."""
        return [line for line in self.lines if not line.chrome and not line.blank and printed_cells(line.text) <= 1]

    @cached_property
    def running_view(self) -> TextView:
        """The running text, searchable as one text (table rows left out: less to scan)."""
        return TextView.of(self.running_text)

    def running_text_of(self, section: Section) -> list[Line]:
        return [line for line in self.running_text if section.line < line.number <= section.end_line]

    def section(self, number: str) -> Section | None:
        """The printed section that stands for template section ``number`` (七 may stand for 六)."""
        return next((s for s in self.report.sections if s.template_number == number), None)

    @property
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
