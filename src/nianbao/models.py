"""Typed records passed between the pipeline stages and printed by the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from nianbao.templates import TemplateId

Number = int | float
Severity = Literal["error", "warning", "info"]
SourceFormat = Literal["txt", "html", "pdf", "docx", "doc", "xlsx", "xls", "image", "zip"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceInfo(_Model):
    path: str
    sha256: str
    format: SourceFormat
    encoding: str | None = None
    extent: str | None = None  # e.g. "6 页" for a PDF
    properties: dict[str, str] = Field(default_factory=dict)  # a web page's 索引号, 发布机构, 发文日期 …


class Meta(_Model):
    year: int | None = None
    agency: str | None = None
    template: TemplateId | None = None
    title: str | None = None
    published: str | None = None  # ISO date
    year_line: int | None = None
    title_line: int | None = None


@dataclass(slots=True)
class Cell:
    """One value of the template with where it came from.

    A plain dataclass, not a model: a report holds a hundred or more cells, and validating
    each on creation cost a tenth of the parse. The report model still validates cells read
    from JSON."""

    key: str
    value: Number | None
    raw: str | None = None  # the text as printed ("1077980元"); None when nothing was printed
    line: int | None = None
    inferred: bool = False  # solved from the table's identities, not printed
    split: bool = False  # cut out of a run of digits with no separator
    unit: str | None = None  # the unit printed in the cell, when it differs from the template's
    place: str | None = None  # page or table row in the source file (PDF, Word, web page)

    def contract(self) -> dict[str, object]:
        """The contract's cell object: optional fields only when set, ``inferred`` always."""
        # Unrolled (a report has a hundred cells or more); "is not", not "in (None, False)": 0 == False.
        out: dict[str, object] = {"key": self.key, "value": self.value}
        if (raw := self.raw) is not None:
            out["raw"] = raw
        if (line := self.line) is not None and line is not False:
            out["line"] = line
        if (split := self.split) is not None and split is not False:
            out["split"] = split
        if (unit := self.unit) is not None:
            out["unit"] = unit
        if (place := self.place) is not None:
            out["place"] = place
        out["inferred"] = self.inferred
        return out


class Section(_Model):
    number: str  # as printed: 一, 二, … 七
    title: str
    line: int
    end_line: int
    template_number: str | None = None  # the template section it stands for (七 → 六 in some reports)
    text: str = ""  # its prose (no table rows, no chrome), for rules across reports; not in the JSON


class Fact(_Model):
    """A structural observation of the parser, turned into findings by the checks."""

    kind: Literal[
        "missing_row",
        "missing_table",
        "cell_count",
        "label_variant",
        "unit_converted",
        "unmapped_values",
        "ambiguous_split",
        "low_confidence",
        "reading_order",
        "label_lost",
    ]
    keys: list[str] = Field(default_factory=list)
    line: int | None = None
    detail: dict[str, str | int | float | None] = Field(default_factory=dict)


class Finding(_Model):
    rule: str
    severity: Severity
    message: str
    keys: list[str] = Field(default_factory=list)
    line: int | None = None
    place: str | None = None  # page or table row in the source file (PDF, Word, web page)


class Report(_Model):
    """Everything nianbao knows about one report; the contract JSON is a view of it."""

    schema_version: int = 1
    source: SourceInfo
    meta: Meta
    values: dict[str, Number | None]
    cells: list[Cell]
    sections: list[Section]
    facts: list[Fact] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    # check/across.py's narrative MinHash and shingle codes, made by the batch worker that parsed
    # the report so that the rules across the batch need not make them again. Not data: never dumped.
    _across_memo: object = PrivateAttr(default=None)

    @property
    def across_memo(self) -> object:
        return self._across_memo

    @across_memo.setter
    def across_memo(self, memo: object) -> None:
        self._across_memo = memo

    def contract(self) -> dict[str, object]:
        """The object `nianbao parse --format json` prints (shared/spec/contract.md)."""
        return {
            "schema_version": self.schema_version,
            "source": self.source.model_dump(exclude_none=True),
            "meta": self.meta.model_dump(include={"year", "agency", "template", "title", "published"}),
            "values": self.values,
            "cells": [c.contract() for c in self.cells],
            "sections": [s.model_dump(exclude_none=True, exclude={"text"}) for s in self.sections],
            "findings": [f.model_dump() for f in self.findings],
        }
