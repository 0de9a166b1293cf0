"""The report templates as data: one TOML description per template version.

Parsing, checking and (later) rendering read these descriptions; adding a template version or a
label variant is an edit to ``templates/data/*.toml``, not new code.

The specs are frozen dataclasses, not Pydantic models: building a dozen models cost ~20 ms of
every start-up. Pydantic still validates the TOML (``templates.cached``), but only when the
TOML changed; a start-up reads the validated templates from a pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import ClassVar, Literal

TemplateId = Literal["2021", "2019", "legacy"]
TEMPLATE_IDS: tuple[TemplateId, ...] = ("2021", "2019", "legacy")


class _Spec:
    """A part of a template; Pydantic refuses unknown TOML keys when it validates one."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}


@dataclass(frozen=True, kw_only=True)
class ColumnSpec(_Spec):
    key: str
    label: str
    variants: tuple[str, ...] = ()
    unit: str | None = None
    decimals: bool = False  # amounts (万元) may carry decimals; counts may not
    signed: bool = False  # 本年增/减 may be negative
    after: tuple[str, ...] = ()  # extra columns: the column keys it may follow
    group: str | None = None  # a merged header above it (法人或其他组织)
    at_least: str | None = None  # the column of the same row this one is never less than (累计 ≥ 本年度)


@dataclass(frozen=True, kw_only=True)
class RowSpec(_Spec):
    key: str
    label: str
    variants: tuple[str, ...] = ()
    unit: str | None = None
    extra: bool = False  # printed by some reports only (subtotals); absent unless printed
    groups: tuple[str, ...] = ()  # merged parent labels beside it, outermost first (三、本年度办理结果)
    heading: str | None = None  # a group heading printed as its own row just before it (legacy)
    # A row some issuers print that has no key of its own (信函、传真申请数 merged): known so that
    # its numbers are never taken for a neighbour's, reported as unmapped, never stored.
    unmapped: bool = False


@dataclass(frozen=True, kw_only=True)
class BlockSpec(_Spec):
    label: str
    columns: tuple[ColumnSpec, ...]
    extra_columns: tuple[ColumnSpec, ...] = ()
    rows: tuple[RowSpec, ...]


@dataclass(frozen=True, kw_only=True)
class IdentitySpec(_Spec):
    """sum(left) == sum(right), instantiated per row, per column, or once."""

    rule: str
    each: Literal["row", "column", "once"] = "once"
    left: tuple[str, ...]
    right: tuple[str, ...]
    infer: bool = True  # may a blank cell be solved from this identity?


@dataclass(frozen=True, kw_only=True)
class BoundSpec(_Spec):
    """part ≤ whole: a "其中" sub-count never exceeds the count it is part of."""

    rule: str
    part: str
    whole: str


@dataclass(frozen=True, kw_only=True)
class TableSpec(_Spec):
    id: str
    title: str
    section: str | None = None
    layout: Literal["rows", "flat"] = "rows"
    # How the official template draws it (rendering): one header per block (表二), a matrix with
    # merged row and column groups (表三), row groups as column groups of one line (表四), or an
    # indicator list with its unit column (legacy 统计表).
    style: Literal["blocks", "matrix", "flat", "list"] = "blocks"
    corner: str | None = None  # the top-left header cell (信息内容, 统计指标); the note when None
    anchors: tuple[str, ...] = ()
    note: str | None = None
    group_labels: tuple[str, ...] = ()  # merged parent cells printed inside the table
    optional_rows: bool = False
    blocks: tuple[BlockSpec, ...]
    identities: tuple[IdentitySpec, ...] = ()
    bounds: tuple[BoundSpec, ...] = ()
    # Whether a row printed in one of its ``variants`` is a deviation worth a finding. The legacy
    # 统计表 had no single national wording (each province printed its own), so it is not.
    flag_variants: bool = True

    def rows(self, *, unmapped: bool = False) -> list[tuple[BlockSpec, RowSpec]]:
        """The rows with a key; ``unmapped=True`` adds the known rows that have none (for reading)."""
        return [(block, row) for block in self.blocks for row in block.rows if unmapped or not row.unmapped]

    def column_keys(self) -> list[str]:
        """Every column key a row of this table may have, extra columns included."""
        keys: list[str] = []
        for block in self.blocks:
            for col in (*block.columns, *block.extra_columns):
                if col.key not in keys:
                    keys.append(col.key)
        return keys


@dataclass(frozen=True, kw_only=True)
class SectionSpec(_Spec):
    number: str
    title: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Template(_Spec):
    id: TemplateId
    name: str
    first_year: int
    last_year: int
    fingerprints: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    tables: tuple[TableSpec, ...] = field(default=())
    # Section titles printed by reports of this template beyond ``sections`` (legacy reports had
    # no fixed sections): used to find headings in text that runs them together.
    headings: tuple[str, ...] = ()

    def table(self, table_id: str) -> TableSpec | None:
        return next((t for t in self.tables if t.id == table_id), None)

    @cached_property
    def required_keys(self) -> tuple[str, ...]:
        """The keys every report of this template has in ``values`` (null when unknown)."""
        keys: list[str] = []
        for table in self.tables:
            if table.optional_rows:
                continue
            for block, row in table.rows():
                if not row.extra:
                    keys.extend(cell_key(row.key, col.key) for col in block.columns)
        return tuple(keys)


def cell_key(row_key: str, column_key: str) -> str:
    return f"{row_key}.{column_key}" if column_key else row_key


@cache
def load_template(template_id: TemplateId) -> Template:
    from nianbao.templates.cached import cached_templates

    return cached_templates()[template_id]


def all_templates() -> list[Template]:
    return [load_template(t) for t in TEMPLATE_IDS]


def template_for_year(year: int) -> TemplateId:
    """The template a report for ``year`` follows (the newest when the year is out of range)."""
    for template in all_templates():
        if template.first_year <= year <= template.last_year:
            return template.id
    return "2021" if year > 2008 else "legacy"
