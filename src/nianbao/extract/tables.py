"""Read one template table from its token stream: rows → candidate readings → keyed cells.

Stages, each a small function: ``walk`` pairs label text with the numbers after it,
``resolve_read`` keeps the readings of a row that its own identities allow, ``settle`` lets
the whole table's identities decide the rest and solves forced blanks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import pairwise, product
from math import prod

from nianbao.extract.candidates import Candidate, Prune, Reading, Slot, readings
from nianbao.extract.labels import Hit, LabelMatcher, RowLabel, matcher_for
from nianbao.extract.solve import Identity, bind_identities, propagate, violations
from nianbao.layout.tokens import Token
from nianbao.models import Cell, Fact
from nianbao.normalize import Amount, norm_label, to_plain
from nianbao.templates import ColumnSpec, TableSpec, cell_key

FLAT_ROW = "flat"


@dataclass(slots=True)
class RowRead:
    """The numbers printed after one label."""

    label: RowLabel | None
    hit: Hit | None
    label_tokens: list[Token]
    numbers: list[Token]
    buffer: str  # the label text, normalised
    hits: list[Hit] = field(default_factory=list)  # every label found in the buffer


@dataclass
class TableRead:
    values: dict[str, Amount | None] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    keys: Sequence[str]  # may be shared with other rows and reports (_RowPlan): never changed
    candidates: list[Candidate]
    line: int
    doubted: bool = False  # the reader could not tell which numbers are this row's (its fact is recorded)


def read_table(table: TableSpec, tokens: list[Token]) -> TableRead:
    header = "".join(t.norm for t in tokens if t.kind == "text")
    if table.layout == "flat":
        return _read_flat(table, tokens, header)
    matcher = matcher_for(table)
    columns = _choose_columns(table, matcher, tokens, header)
    reads, trailing = walk(matcher, tokens, columns)
    result = _settle_rows(table, matcher, reads, trailing, columns, header)
    result.facts.extend(_column_variants(table, columns, [t for t in tokens if t.kind == "text"]))
    return result


def walk(matcher: LabelMatcher, tokens: list[Token],
         columns: dict[str, list[ColumnSpec]]) -> tuple[list[RowRead], str]:
    """Pair each run of numbers with the label text before it; returns the reads and the text
    left after the last number."""
    reads: list[RowRead] = []
    label_tokens: list[Token] = []
    last_index = -1
    i = 0
    count = len(tokens)
    while i < count:
        token = tokens[i]
        if token.kind == "text":
            label_tokens.append(token)
            i += 1
            continue
        buffer = "".join([t.norm for t in label_tokens])
        hit, hits = matcher.choose(buffer, last_index)
        width = len(columns[hit.label.block.label]) if hit else 1
        numbers, i = _consume(tokens, i, width)
        # positional (label, hit, label_tokens, numbers, buffer, hits): a record per row
        reads.append(RowRead(hit.label if hit else None, hit, label_tokens, numbers, buffer, hits))
        if hit:
            last_index = hit.label.index
        label_tokens = []
    return reads, "".join([t.norm for t in label_tokens])


def _consume(tokens: list[Token], i: int, width: int) -> tuple[list[Token], int]:
    """The numbers of one row: the rest of this line, then whole following lines while the row
    is still short (one cell per line, or values wrapped onto the next line)."""
    numbers: list[Token] = []
    cells = 0  # how many cells the numbers may stand for (a fused run of digits, one per digit)
    count = len(tokens)
    while i < count and tokens[i].kind != "text":
        line = tokens[i].line
        while i < count:
            token = tokens[i]
            if token.kind == "text" or token.line != line:
                break
            numbers.append(token)
            cells += len(token.raw) if token.fused else 1  # _capacity of one token, without a call per token
            i += 1
        if cells >= width:
            break
    return numbers, i


def _choose_columns(table: TableSpec, matcher: LabelMatcher, tokens: list[Token],
                    header: str) -> dict[str, list[ColumnSpec]]:
    """Each block's columns: the template's, or with a printed extra column (小计, 累计) when
    the header names it and most rows carry one more cell."""
    chosen = {block.label: list(block.columns) for block in table.blocks}
    for block in table.blocks:
        for extra in block.extra_columns:
            if norm_label(extra.label) not in header:
                continue
            base = len(block.columns)
            reads, _ = walk(matcher, tokens, chosen)
            # a run of digits glued together may hold the extra cell too (条346085376: 3460 | 85376)
            widths = Counter(min(_capacity(r.numbers), base + 1) for r in reads if r.label and r.label.block is block)
            if widths[base + 1] <= widths[base]:
                continue
            best: tuple[int, list[ColumnSpec]] | None = None
            for after in extra.after:
                position = next(i for i, c in enumerate(block.columns) if c.key == after) + 1
                layout = [*block.columns[:position], extra, *block.columns[position:]]
                score = _layout_score(table, reads, block.label, layout)
                if best is None or score > best[0]:
                    best = (score, layout)
            if best is not None:
                chosen[block.label] = best[1]
    return chosen


def _capacity(numbers: list[Token]) -> int:
    """How many cells the printed numbers may stand for (a glued run, one per digit)."""
    return sum(len(t.raw) if t.fused else 1 for t in numbers)


def _layout_score(table: TableSpec, reads: list[RowRead], block_label: str, layout: list[ColumnSpec]) -> int:
    """How many full rows add up under this column order."""
    score = 0
    for read in reads:
        if read.label is None or read.label.block.label != block_label or len(read.numbers) != len(layout):
            continue
        keys = [cell_key(read.label.row.key, c.key) for c in layout]
        values = {k: t.value for k, t in zip(keys, read.numbers, strict=True)}
        identities = bind_identities(table, set(keys))
        score += not violations(values, identities)
    return score


def _settle_rows(table: TableSpec, matcher: LabelMatcher, reads: list[RowRead], trailing: str,
                 columns: dict[str, list[ColumnSpec]], header: str) -> TableRead:
    result = TableRead()
    seen: set[int] = set()  # rows whose label was printed
    assigned: set[int] = set()
    pending: list[_Pending] = []
    plans = _row_plans(table, matcher, columns)  # by label index

    reads, placed = _place_lost_labels(table, matcher, reads, columns)
    result.facts.extend(placed)
    for position, read in enumerate(reads):
        for hit in read.hits:
            if hit.kind != "prefix" and (read.hit is None or hit.end <= read.hit.start):
                seen.add(hit.label.index)
        if read.label is None or read.hit is None:
            result.facts.append(Fact(kind="unmapped_values", line=read.numbers[0].line,
                                     detail={"raw": " ".join(t.raw for t in read.numbers)}))
            continue
        label = read.label
        if label.row.unmapped:  # a known row with no key: its numbers are reported, never stored
            seen.add(label.index)
            result.facts.append(Fact(kind="unmapped_values", line=read.numbers[0].line,
                                     detail={"raw": " ".join(t.raw for t in read.numbers), "label": label.row.label,
                                             "reason": "no_key"}))
            continue
        if label.index in assigned:
            result.facts.append(Fact(kind="unmapped_values", line=read.numbers[0].line,
                                     keys=[label.row.key], detail={"raw": " ".join(t.raw for t in read.numbers),
                                                                   "reason": "duplicate"}))
            continue
        seen.add(label.index)
        assigned.add(label.index)
        next_buffer = reads[position + 1].buffer if position + 1 < len(reads) else trailing
        variant = _label_variant(read, next_buffer) if table.flag_variants else None
        if variant is not None:
            result.facts.append(variant)
        if _runs_on(reads, position):
            # More numbers follow with no label of their own: the text lists labels and numbers
            # apart (pdftotext without -layout), and which of them are this row's is a guess.
            result.facts.append(Fact(kind="reading_order", keys=[label.row.key], line=read.numbers[0].line,
                                     detail={"label": label.row.label,
                                             "raw": " ".join(t.raw for t in read.numbers)}))
            pending.append(_Pending(keys=plans[label.index].keys, candidates=[], line=read.numbers[0].line,
                                    doubted=True))
            continue
        pending.append(_row_pending(table, label.row.key, plans[label.index], read, result))
    for hit in matcher.hits(trailing):
        if hit.kind != "prefix":
            seen.add(hit.label.index)

    present: dict[str, None] = {}  # ordered as the template: the report's cells come out in that order
    for label in matcher.labels:
        if label.row.unmapped or (table.optional_rows and label.index not in seen):
            continue
        if label.row.extra and label.index not in assigned:
            continue
        present.update(dict.fromkeys(plans[label.index].keys))
        if not label.row.extra and not table.optional_rows and label.index not in seen:
            result.facts.append(Fact(kind="missing_row", keys=[label.row.key], detail={"label": label.row.label}))
    _settle(table, present, pending, result)
    _convert_units(table, columns, header, result)
    return result


def _place_lost_labels(table: TableSpec, matcher: LabelMatcher, reads: list[RowRead],
                       columns: dict[str, list[ColumnSpec]]) -> tuple[list[RowRead], list[Fact]]:
    """A row printed whole on a line of its own but without its label (a PDF-to-markdown
    extraction loses label cells) sits between two rows that were read: when the template has
    exactly one row between those two and no optional row there, that is the row. Not for the
    legacy table, whose indicator list changed from year to year."""
    if table.optional_rows:
        return reads, []
    labeled = [i for i, read in enumerate(reads) if read.label is not None]
    out = list(reads)
    facts: list[Fact] = []
    for before, after in pairwise(labeled):
        if after - before != 2:
            continue
        lost = reads[before + 1]
        low, high = reads[before].label, reads[after].label
        assert low is not None and high is not None
        between = matcher.labels[low.index + 1: high.index]
        if lost.hits or len(between) != 1 or between[0].row.extra or between[0].row.unmapped:
            continue
        label = between[0]
        printed = [t for t in lost.numbers if t.kind != "blank"]
        if (len({t.line for t in lost.numbers}) != 1
                or not 0 < len(printed) <= len(columns[label.block.label]) <= len(lost.numbers)):
            continue  # not one whole row on one line
        out[before + 1] = replace(lost, label=label, hit=Hit(label, 0, 0, "exact", ""))
        facts.append(Fact(kind="label_lost", keys=[label.row.key], line=lost.numbers[0].line,
                          detail={"label": label.row.label}))
    return out, facts


def _runs_on(reads: list[RowRead], position: int) -> bool:
    """Whether the numbers after this row's go on without a row label of their own (none at all,
    or only column names: a table read column by column)."""
    following = reads[position + 1] if position + 1 < len(reads) else None
    return following is not None and following.label is None


def _column_variants(table: TableSpec, columns: dict[str, list[ColumnSpec]], tokens: list[Token]) -> list[Fact]:
    """Column headers printed in a known deviating wording (本年度止件数 for 本年废止件数)."""
    facts = []
    header = "".join(t.norm for t in tokens)
    for block in table.blocks:
        for column in columns[block.label]:
            if not column.variants or norm_label(column.label) in header:
                continue
            for variant in map(norm_label, column.variants):
                token = next((t for t in tokens if variant in t.norm), None)
                if token is not None and variant in header:
                    keys = [cell_key(row.key, column.key) for row in block.rows]
                    facts.append(Fact(kind="label_variant", keys=keys, line=token.line,
                                      detail={"expected": column.label, "printed": token.raw}))
                    break
    return facts


@dataclass(frozen=True, slots=True)
class _RowPlan:
    """What reading a row needs that depends only on the template and the block's columns."""

    keys: tuple[str, ...]  # the row's cell keys, in column order
    prune: Prune | None  # _prefix_check
    floors: tuple[tuple[int, int], ...] = ()  # _column_floors


_PLANS: dict[tuple[int, tuple[tuple[str, ...], ...]], tuple[TableSpec, tuple[_RowPlan, ...]]] = {}


def _row_plans(table: TableSpec, matcher: LabelMatcher, columns: dict[str, list[ColumnSpec]]) -> tuple[_RowPlan, ...]:
    """Each row's plan by label index, made once per template table and column layout instead of
    once per printed row (cached by the table's identity, as matcher_for)."""
    cache_key = (id(table), tuple([tuple([c.key for c in block]) for block in columns.values()]))
    cached = _PLANS.get(cache_key)
    if cached is not None and cached[0] is table:
        return cached[1]
    plans = []
    for label in matcher.labels:
        block = columns[label.block.label]
        keys = tuple([cell_key(label.row.key, c.key) for c in block])
        plans.append(_RowPlan(keys, _prefix_check(table, keys), tuple(_column_floors(block))))
    if len(_PLANS) > 1024:
        _PLANS.clear()
    _PLANS[cache_key] = (table, tuple(plans))
    return _PLANS[cache_key][1]


def _row_pending(table: TableSpec, place: str, plan: _RowPlan, read: RowRead, result: TableRead) -> _Pending:
    """``place`` names the row (or the whole flat table) in the facts."""
    keys, floors = plan.keys, plan.floors
    # In the legacy 统计表 a blank is common (an indicator not reported) and no identity fills it:
    # a glued run may hide a blank that vanished there (条953 is 953 | blank, blank | 953 or 9 | 53).
    reading = readings(read.numbers, len(keys), plan.prune, vanished=len(keys) - 1 if table.optional_rows else 0)
    line = read.numbers[0].line
    if reading.printed != reading.expected or reading.overflow:
        result.facts.append(Fact(kind="cell_count", keys=[place], line=line,
                                 detail={"printed": reading.printed, "expected": reading.expected,
                                         "split": reading.split,
                                         "raw": " ".join(t.raw for t in read.numbers)}))
    if len(reading.candidates) == 1 and not reading.split:
        candidates = reading.candidates  # nothing to choose between (_consistent's first test, without the call)
    else:
        candidates = _consistent(reading, keys, table)
    if floors and (reading.split or len(candidates) > 1):
        # a bound chooses between readings of a glued run; two numbers printed apart stay as
        # printed (legacy.cumulative_bound then says the 累计 is below the year's)
        kept = [c for c in candidates if _above_floors(c, floors)]
        candidates = kept if kept or reading.split else candidates
    return _Pending(keys, candidates, line)


_PREFIX_CHECKS: dict[tuple[int, tuple[str, ...]], tuple[TableSpec, Prune | None]] = {}


def _prefix_check(table: TableSpec, keys: Sequence[str]) -> Prune | None:
    """For cutting a glued run: the row's own identities, each tested as soon as the cut has
    reached its last cell (表四's three totals prune a 15-way cut to a handful). Cached per
    template row: the check is pure, and building it was a tenth of reading a row."""
    cache_key = (id(table), tuple(keys))
    cached = _PREFIX_CHECKS.get(cache_key)
    if cached is not None and cached[0] is table:
        return cached[1]
    check = _new_prefix_check(table, cache_key[1])
    if len(_PREFIX_CHECKS) > 4096:
        _PREFIX_CHECKS.clear()
    _PREFIX_CHECKS[cache_key] = (table, check)
    return check


def _new_prefix_check(table: TableSpec, keys: tuple[str, ...]) -> Prune | None:
    identities = bind_identities(table, frozenset(keys))
    if not identities:
        return None
    position = {key: i for i, key in enumerate(keys)}
    by_end: dict[int, list[tuple[list[int], list[int]]]] = {}
    for identity in identities:
        end = max(position[k] for k in identity.keys) + 1
        by_end.setdefault(end, []).append(([position[k] for k in identity.left], [position[k] for k in identity.right]))

    def check(prefix: tuple[Amount | None, ...]) -> bool:
        for left, right in by_end.get(len(prefix), ()):
            a = [prefix[i] for i in left]
            b = [prefix[i] for i in right]
            if None not in a and None not in b and sum(a) != sum(b):  # type: ignore[arg-type]
                return False
        return True

    return check


def _column_floors(columns: list[ColumnSpec]) -> list[tuple[int, int]]:
    """(index, index of the column it is never less than) for the row's columns that have one."""
    position = {column.key: i for i, column in enumerate(columns)}
    return [(i, position[column.at_least]) for i, column in enumerate(columns)
            if column.at_least is not None and column.at_least in position]


def _above_floors(candidate: Candidate, floors: Sequence[tuple[int, int]]) -> bool:
    for high, low in floors:
        a, b = candidate[high].value, candidate[low].value
        if a is not None and b is not None and a < b:
            return False
    return True


def _consistent(reading: Reading, keys: Sequence[str], table: TableSpec) -> list[Candidate]:
    """The readings the row's own identities allow (all of them if none does)."""
    if len(reading.candidates) == 1 and not reading.split:
        return reading.candidates  # nothing to choose between
    identities = bind_identities(table, frozenset(keys))
    kept = []
    for candidate in reading.candidates:
        values: dict[str, Amount | None] = {k: s.value for k, s in zip(keys, candidate, strict=True)}
        propagate(values, identities)
        if not violations(values, identities) and not _forced_negative(values, identities):
            kept.append(candidate)
    if reading.split:
        return kept  # a cut that does not add up is no reading at all
    return kept or reading.candidates


def _forced_negative(values: dict[str, Amount | None], identities: list[Identity]) -> bool:
    for identity in identities:
        unknown = [k for k in identity.keys if values.get(k) is None]
        if len(unknown) == 1:
            balance = sum([values[k] or 0 for k in identity.right]) - sum([values[k] or 0 for k in identity.left])
            value = balance if unknown[0] in identity.left else -balance
            if value < 0:
                return True
    return False


def _settle(table: TableSpec, present: Iterable[str], pending: list[_Pending], result: TableRead) -> None:
    """Fix every row's reading with the table's identities, then solve the forced blanks."""
    values: dict[str, Amount | None] = dict.fromkeys(present)
    identities = bind_identities(table, frozenset(values))
    result.identities = identities
    printed: dict[str, Slot] = {}
    inferred_here: set[str] = set()
    ambiguous = []
    undecided: list[tuple[_Pending, list[str]]] = []  # printed rows no reading decides, with their open keys
    for item in pending:
        if len(item.candidates) == 1 or len({tuple([s.value for s in c]) for c in item.candidates}) == 1:
            _apply(item.keys, item.candidates[0], values, printed)
        else:
            ambiguous.append(item)
    still_open: list[tuple[_Pending, list[Candidate]]] = []
    for item in ambiguous:
        outcomes = []
        row_keys = frozenset(item.keys)
        touching = [i for i in identities if not i.keys_set.isdisjoint(row_keys)]
        for candidate in item.candidates:
            trial = dict(values)
            _apply(item.keys, candidate, trial, {})
            propagate(trial, identities)
            if not violations(trial, touching) and not _forced_negative(trial, touching):
                outcomes.append((candidate, trial))
        if not outcomes:
            outcomes = [(c, values) for c in item.candidates]
        if len(_agree(item.keys, outcomes, values, printed, inferred_here)) < len(item.keys):
            still_open.append((item, [candidate for candidate, _ in outcomes]))
    # Rows each of which reads several ways alone may read one way together (two glued rows
    # of the same columns): the table's identities over every combination of their readings.
    still_open = _agree_jointly(still_open, values, identities, printed, inferred_here)
    for item, candidates in still_open:
        open_keys = [k for k in item.keys if values.get(k) is None]
        undecided.append((item, open_keys))
        if not item.doubted:
            result.facts.append(Fact(kind="ambiguous_split", keys=open_keys, line=item.line,
                                     detail={"readings": len(candidates)}))
    inferred = {k: v for k, v in values.items() if k in inferred_here and v is not None} if inferred_here else {}
    inferred.update(propagate(values, identities, _unconfirmed(values, identities, undecided)))
    result.values = values
    for key, slot in printed.items():
        token = slot.token
        assert token is not None  # only printed slots are recorded
        if key in inferred:
            result.cells[key] = Cell(key=key, value=to_plain(inferred[key]), raw=token.raw,
                                                     line=token.line, inferred=True)
        else:  # the common case, by position (key, value, raw, line, inferred, split, unit): keywords cost twice
            value = values.get(key)
            plain = value if value is None or type(value) is int else to_plain(value)  # _plain without a call per cell
            result.cells[key] = Cell(key, plain, token.raw, token.line, False, slot.split, token.unit)
    for key, value in inferred.items():
        if key not in printed:
            result.cells[key] = Cell(key=key, value=to_plain(value), inferred=True)


JOINT_MAX = 20_000  # combinations of the open rows' readings tried together, at most


def _agree(keys: Sequence[str], outcomes: list[tuple[Candidate, dict[str, Amount | None]]],
           values: dict[str, Amount | None], printed: dict[str, Slot], inferred_here: set[str]) -> list[str]:
    """Fix the columns on which every surviving reading agrees; returns them."""
    agreed: list[str] = []
    for index, key in enumerate(keys):
        solved = {trial.get(key) for _, trial in outcomes}
        if len(solved) != 1 or None in solved:
            continue
        slots = [candidate[index] for candidate, _ in outcomes]
        if all(slot.printed for slot in slots):
            _apply([key], (slots[0],), values, printed)
        else:  # some readings leave this column blank: its value comes from the identities
            values[key] = solved.pop()
            inferred_here.add(key)
        agreed.append(key)
    return agreed


def _agree_jointly(open_items: list[tuple[_Pending, list[Candidate]]], values: dict[str, Amount | None],
                   identities: list[Identity], printed: dict[str, Slot],
                   inferred_here: set[str]) -> list[tuple[_Pending, list[Candidate]]]:
    """The rows still open after trying the readings of all open rows together."""
    items = [(item, candidates) for item, candidates in open_items if candidates]
    if len(items) < 2 or prod(len(c) for _, c in items) > JOINT_MAX:
        return open_items
    kept: list[tuple[tuple[Candidate, ...], dict[str, Amount | None]]] = []
    for combo in product(*(candidates for _, candidates in items)):
        trial = dict(values)
        for (item, _), candidate in zip(items, combo, strict=True):
            _apply(item.keys, candidate, trial, {})
        propagate(trial, identities)
        if not violations(trial, identities) and not _forced_negative(trial, identities):
            kept.append((combo, trial))
    if not kept:
        return open_items
    still = []
    for index, (item, _) in enumerate(items):
        outcomes = [(combo[index], trial) for combo, trial in kept]
        if len(_agree(item.keys, outcomes, values, printed, inferred_here)) < len(item.keys):
            still.append((item, list({id(c): c for c, _ in outcomes}.values())))
    return still + [(item, c) for item, c in open_items if not c]


def _unconfirmed(values: dict[str, Amount | None], identities: list[Identity],
                 undecided: list[tuple[_Pending, list[str]]]) -> frozenset[str]:
    """The open cells of printed rows that the identities may not fill: those where what the
    other rows imply is none of the row's own readings (the report printed something else
    there, or digits that cannot be cut as the rest implies)."""
    if not undecided:
        return frozenset()
    trial = dict(values)
    propagate(trial, identities)
    held: set[str] = set()
    for item, open_keys in undecided:
        implied = [trial.get(k) for k in item.keys]
        if None in implied or not any(
                all(slot.token is None or slot.value == value for slot, value in zip(candidate, implied, strict=True))
                for candidate in item.candidates):
            held.update(open_keys)
    return frozenset(held)


def _apply(keys: Sequence[str], candidate: Candidate, values: dict[str, Amount | None],
           printed: dict[str, Slot]) -> None:
    for key, slot in zip(keys, candidate, strict=True):
        values[key] = slot.value
        if slot.token is not None:
            printed[key] = slot


def _label_variant(read: RowRead, next_buffer: str) -> Fact | None:
    hit, label = read.hit, read.label
    if hit is None or label is None or hit.kind in ("exact", "bare"):
        return None
    if hit.kind == "prefix":
        source = label.canonical if label.canonical.startswith(hit.text) else (label.bare or "")
        rest = source[len(hit.text):][:3]
        if rest and (rest in read.buffer[hit.end:] or next_buffer.startswith(rest)):
            return None  # the label wrapped: its rest follows (after fragments, or after the numbers)
    printed = _printed_text(read, hit)
    return Fact(kind="label_variant", keys=[label.row.key], line=read.numbers[0].line,
                detail={"expected": label.row.label, "printed": printed})


def _printed_text(read: RowRead, hit: Hit) -> str:
    """The raw text of the label tokens the hit lies in."""
    offset = 0
    parts = []
    for token in read.label_tokens:
        end = offset + len(token.norm)
        if end > hit.start and offset < hit.end:
            parts.append(token.raw)
        offset = end
    return " ".join(parts) or hit.text


def _convert_units(table: TableSpec, columns: dict[str, list[ColumnSpec]], header: str, result: TableRead) -> None:
    """Amounts printed in 元 where the template wants 万元 are converted (and recorded)."""
    for block in table.blocks:
        for column in columns[block.label]:
            if column.unit != "万元":
                continue
            stem = norm_label(column.label).split("(")[0]
            header_unit = "元" if f"{stem}(单位:元)" in header or f"{stem}(元)" in header else None
            for row in block.rows:
                key = cell_key(row.key, column.key)
                cell = result.cells.get(key)
                value = result.values.get(key)
                if cell is None or value is None:
                    continue
                unit = cell.unit or header_unit
                if unit == "元":
                    converted = value / Decimal(10000)
                    result.values[key] = converted
                    result.cells[key] = replace(cell, value=to_plain(converted), unit="元")
                    result.facts.append(Fact(kind="unit_converted", keys=[key], line=cell.line,
                                             detail={"raw": cell.raw, "from": "元", "to": "万元"}))


def _read_flat(table: TableSpec, tokens: list[Token], header: str) -> TableRead:
    """A table printed as a header block and one run of numbers in row-major order (表四)."""
    keys = [cell_key(row.key, col.key) for block in table.blocks for row in block.rows for col in block.columns]
    anchors = [norm_label(a) for a in table.anchors]
    start = next((i for i, t in enumerate(tokens) if t.kind == "text" and any(a in t.norm for a in anchors)), None)
    result = TableRead()
    present = keys
    numbers: list[Token] = []
    if start is not None:
        first = next((i for i in range(start, len(tokens)) if tokens[i].kind != "text"), None)
        if first is not None:
            numbers, after = _consume(tokens, first, len(keys))
            if _capacity(numbers) < len(keys) and any(t.kind == "num" for t in tokens[after:]):
                # a short run with more numbers after more header words: the numbers and the
                # header were read in another order (pdftotext without -layout); no placement
                result.facts.append(Fact(kind="reading_order", keys=[table.id], line=numbers[0].line,
                                         detail={"label": table.title, "raw": " ".join(t.raw for t in numbers)}))
                _settle(table, present, [_Pending(keys=keys, candidates=[], line=numbers[0].line, doubted=True)],
                        result)
                return result
    if not numbers:
        result.facts.append(Fact(kind="missing_table", keys=[table.id], detail={"title": table.title}))
        _settle(table, present, [], result)
        return result
    read = RowRead(label=None, hit=None, label_tokens=[], numbers=numbers, buffer="")
    pending = _row_pending(table, table.id, _RowPlan(tuple(keys), _prefix_check(table, keys)), read, result)
    _settle(table, present, [pending], result)
    return result
