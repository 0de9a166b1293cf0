"""Tables as damaged text, with what the text still decides.

Each writer here turns the renderer's grids into the text one real channel gives (a crawler's
one-line page, a browser copy whose blank cells vanished, ``pdftotext`` without ``-layout``)
and returns, beside the text, the :class:`~nianbao.sample.decide.Group` readings that text
allows for every value key, so the gold can mark as ``accept_null`` exactly what it leaves open.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from nianbao.extract.solve import Identity, bind_identities
from nianbao.render.model import Block, Grid, GridCell
from nianbao.sample.decide import Bound, Cell, Group, decide, splits
from nianbao.templates import Template, cell_key


@dataclass
class Flow:
    """Text pieces and the readings of the value cells they print."""

    pieces: list[str] = field(default_factory=list)
    groups: list[list[Group]] = field(default_factory=list)  # one list per table
    bounds: list[Bound] = field(default_factory=list)


def number(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def cell_kinds(template: Template) -> dict[str, Cell]:
    """Key → how its number may be printed (amounts with a fraction, 增/减 with a sign)."""
    kinds: dict[str, Cell] = {}
    for table in template.tables:
        for block, row in table.rows():
            for column in (*block.columns, *block.extra_columns):
                kind = Cell(decimals=column.decimals, signed=column.signed)
                kinds[cell_key(row.key, column.key)] = kind
                if not column.key:
                    kinds[cell_key(row.key, "cumulative")] = kind
    return kinds


def identities_for(template: Template, keys: Iterable[str]) -> list[Identity]:
    """The identities a reader may solve with (``infer``), bound to the keys printed."""
    present = frozenset(keys)
    return [i for table in template.tables for i in bind_identities(table, present) if i.infer]


def value_cells(row: Sequence[GridCell | None]) -> list[GridCell]:
    """A row's value cells (not headers), in reading order; keyless ones are printed numbers
    the template has no key for (provincial indicators)."""
    return [c for c in row if c is not None and not c.header]


def grid_keys(grid: Grid) -> list[str]:
    return [c.key for row in grid.expanded() for c in value_cells(row) if c.key]


def _anonymous(cells: Sequence[GridCell], tag: str) -> list[str]:
    return [c.key or f"_{tag}.{i}" for i, c in enumerate(cells)]


def undecided(flow: Flow, template: Template, truth: dict[str, Decimal | None]) -> set[str]:
    """Keys the text leaves open; checks that every decided key keeps its true value."""
    open_keys: set[str] = set()
    for groups in flow.groups:
        keys = [k for g in groups for k in g.keys if not k.startswith("_")]
        decision = decide(groups, identities_for(template, keys), flow.bounds)
        for key, value in decision.values.items():
            if not key.startswith("_") and truth.get(key) is not None and value != truth[key]:
                raise AssertionError(f"{key}: the text decides {value}, the truth is {truth[key]}")
        open_keys |= {k for k in decision.undecided if k in truth}
    return open_keys


# ---- crawled page text: rows run together, a row's numbers glued or spaced

def crawled_table(grid: Grid, template: Template, glue: bool, rng: random.Random, tag: str) -> tuple[str, list[Group]]:
    kinds = cell_kinds(template)
    keys_here = grid_keys(grid)
    identities = identities_for(template, keys_here)
    out: list[str] = []
    groups: list[Group] = []
    label_gap = rng.choice(("", " "))
    for index, row in enumerate(grid.expanded()):
        labels = [c.text for c in row if c is not None and c.header and c.text]
        cells = value_cells(row)
        texts = [c.text for c in cells]
        keys = _anonymous(cells, f"{tag}.{index}")
        head = rng.choice(("", " ")).join(labels)
        unreported = template.tables[0].optional_rows  # the legacy 统计表: a blank means not reported
        if any(not t for t in texts):  # a blank in running text: its place is lost
            printed = [Decimal(t) for t in texts if t]
            readings = placements(printed, len(cells))
            if unreported and len(printed) == 1 and len(cells) > 1:  # one number alone: also a glued run
                readings += _with_vanished(texts[[bool(t) for t in texts].index(True)], len(cells))
            groups.append(Group(tuple(keys), tuple(dict.fromkeys(readings))))
            body = " ".join(t for t in texts if t)
        elif glue and len(cells) > 1:
            run = "".join(texts)
            glued = Group.glued(keys, run, [kinds.get(k, Cell(decimals=True)) for k in keys], identities)
            if unreported:  # the reader cannot tell a glued run from one with a blank that vanished
                glued = Group(glued.keys, tuple(dict.fromkeys((*glued.readings, *_with_vanished(run, len(cells))))))
            groups.append(glued)
            body = run
        else:
            groups.extend(Group.fixed(k, number(t)) for k, t in zip(keys, texts, strict=True))
            body = " ".join(texts)
        out.append(head + (label_gap if head and body else "") + body)
    return rng.choice(("", " ")).join(out), groups


def crawled_flow(blocks: list[Block], template: Template, rng: random.Random) -> Flow:
    """The page body: headings, prose and tables run together; each table glued or spaced."""
    flow = Flow()
    for index, block in enumerate(blocks):
        if block.grid is None:
            flow.pieces.append(block.text)
            continue
        glue = rng.random() < 0.75
        text, groups = crawled_table(block.grid, template, glue, rng, f"t{index}")
        flow.pieces.append(text)
        flow.groups.append(groups)
    return flow


# ---- browser copy: one cell per line, blank cells vanished

def _with_vanished(run: str, width: int) -> list[tuple[Decimal | None, ...]]:
    """The readings of a glued run in ``width`` cells of which some were blank and left no trace."""
    out: list[tuple[Decimal | None, ...]] = []
    for printed in range(1, width):
        for split in splits(run, printed):
            out.extend(placements([Decimal(p) for p in split], width))
    return out


def placements(printed: Sequence[Decimal], width: int) -> list[tuple[Decimal | None, ...]]:
    """Every way ``printed`` numbers can sit, in order, in a row of ``width`` cells."""
    out = []
    for places in itertools.combinations(range(width), len(printed)):
        reading: list[Decimal | None] = [None] * width
        for place, value in zip(places, printed, strict=True):
            reading[place] = value
        out.append(tuple(reading))
    return out


def vanished_groups(grid: Grid, tag: str) -> list[Group]:
    """The readings of a grid whose blank cells vanished: each row's printed numbers in every
    placement their order allows (the row's labels stay: they mark where a row starts)."""
    groups = []
    for index, row in enumerate(grid.expanded()):
        cells = value_cells(row)
        if not cells:
            continue
        keys = tuple(_anonymous(cells, f"{tag}.{index}"))
        printed = [Decimal(c.text) for c in cells if c.text]
        groups.append(Group(keys, tuple(placements(printed, len(cells)))))
    return groups


def blank_groups(grid: Grid, tag: str) -> list[Group]:
    """A grid that keeps its positions: a blank is a blank at a known place."""
    return [Group.fixed(k, number(c.text))
            for index, row in enumerate(grid.expanded())
            for c, k in zip(value_cells(row), _anonymous(value_cells(row), f"{tag}.{index}"), strict=True)]


# ---- pdftotext without -layout: each table column read top to bottom

def column_major(grid: Grid) -> list[str]:
    """The cells of a grid column by column (a merged cell where it starts)."""
    origins = grid.origins()
    return [cell.text for _, _, cell in sorted(origins, key=lambda o: (o[1], o[0])) if cell.text]


def scrambled_groups(grid: Grid) -> list[Group]:
    """A table read column-wise: its numbers come in column order, and a reader cannot tell
    that order from row order but by the identities. Two readings: the true (column-major)
    one, and the same numbers laid out row by row."""
    origins = grid.origins()
    row_major = [c for _, _, c in origins if not c.header]
    col_major = [c for _, _, c in sorted(origins, key=lambda o: (o[1], o[0])) if not c.header]
    keys = tuple(c.key or f"_s{i}" for i, c in enumerate(row_major))
    truth = tuple(number(c.text) for c in row_major)
    other = tuple(number(c.text) for c in col_major)
    return [Group(keys, (truth,) if truth == other else (truth, other))]
