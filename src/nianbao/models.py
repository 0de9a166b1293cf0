"""Typed records passed between the pipeline stages and printed by the CLI.

Plain dataclasses, not pydantic models: importing pydantic cost more than a third of the start-up
of ``nianbao parse one.txt`` (issue #12). What the pipeline builds is typed by mypy; data that comes
in from outside (a stored report's JSON) is validated by ``nianbao.models_io``, which builds
pydantic validators for these classes only when a command reads such data."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, TypeVar

from nianbao.templates import TemplateId

Number = int | float
Severity = Literal["error", "warning", "info"]
SourceFormat = Literal["txt", "html", "pdf", "docx", "doc", "xlsx", "xls", "image", "zip"]

# Read by pydantic when nianbao.models_io validates JSON: no unknown fields, as the models had.
_FORBID_EXTRA: dict[str, str] = {"extra": "forbid"}


_R = TypeVar("_R", bound="_Record")


class _Record:
    """The two methods callers used on the pydantic models, kept by name."""

    __slots__ = ()

    def model_copy(self: _R, *, update: dict[str, Any] | None = None) -> _R:
        """A copy with ``update``'s fields replaced (shallow, as pydantic's)."""
        return replace(self, **(update or {}))  # type: ignore[type-var]

    def model_dump(self) -> dict[str, Any]:
        """Every field, lists and dicts copied (what pydantic's model_dump gave)."""
        return {name: _copied(getattr(self, name)) for name in self.__dataclass_fields__}  # type: ignore[attr-defined]


def _copied(value: object) -> object:
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, _Record):
        return value.model_dump()
    if isinstance(value, Cell):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    return value


@dataclass(slots=True)
class SourceInfo(_Record):
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    path: str
    sha256: str
    format: SourceFormat
    encoding: str | None = None
    extent: str | None = None  # e.g. "6 页" for a PDF
    properties: dict[str, str] = field(default_factory=dict)  # a web page's 索引号, 发布机构, 发文日期 …

    def contract(self) -> dict[str, object]:
        """The contract's source object: the fields that are set."""
        out: dict[str, object] = {"path": self.path, "sha256": self.sha256, "format": self.format}
        if self.encoding is not None:
            out["encoding"] = self.encoding
        if self.extent is not None:
            out["extent"] = self.extent
        out["properties"] = dict(self.properties)
        return out


@dataclass(slots=True)
class Meta(_Record):
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    year: int | None = None
    agency: str | None = None
    template: TemplateId | None = None
    title: str | None = None
    published: str | None = None  # ISO date
    year_line: int | None = None
    title_line: int | None = None

    def contract(self) -> dict[str, object]:
        """The contract's meta object (no line numbers)."""
        return {"year": self.year, "agency": self.agency, "template": self.template, "title": self.title,
                "published": self.published}


@dataclass(slots=True)
class Cell:
    """One value of the template with where it came from.

    A report holds a hundred or more cells: no base class, no validation on creation (that cost a
    tenth of the parse when the records were pydantic models)."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

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

    def __reduce__(self) -> tuple[type[Cell], tuple[object, ...]]:
        """Pickled as its fields in order (a batch's reports cross processes): half the time of
        the default slot state, which cost half of unpickling a batch worker's slim report."""
        return Cell, (self.key, self.value, self.raw, self.line, self.inferred, self.split, self.unit, self.place)


@dataclass(slots=True)
class Section(_Record):
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    number: str  # as printed: 一, 二, … 七
    title: str
    line: int
    end_line: int
    template_number: str | None = None  # the template section it stands for (七 → 六 in some reports)
    text: str = ""  # its prose (no table rows, no chrome), for rules across reports; not in the JSON

    def contract(self) -> dict[str, object]:
        """The contract's section object: no prose, ``template_number`` only when known."""
        out: dict[str, object] = {"number": self.number, "title": self.title, "line": self.line,
                                  "end_line": self.end_line}
        if self.template_number is not None:
            out["template_number"] = self.template_number
        return out


FactKind = Literal[
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


@dataclass(slots=True)
class Fact(_Record):
    """A structural observation of the parser, turned into findings by the checks."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    kind: FactKind
    keys: list[str] = field(default_factory=list)
    line: int | None = None
    detail: dict[str, str | int | float | None] = field(default_factory=dict)


@dataclass(slots=True)
class Finding(_Record):
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    rule: str
    severity: Severity
    message: str
    keys: list[str] = field(default_factory=list)
    line: int | None = None
    place: str | None = None  # page or table row in the source file (PDF, Word, web page)

    def contract(self) -> dict[str, object]:
        """The contract's finding object: every field."""
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "keys": list(self.keys),
                "line": self.line, "place": self.place}


class _Memo(_Record):
    """A slot outside the dataclass fields (so never dumped, compared nor validated) that pickles
    with the report: object's own pickling of slots covers it."""

    __slots__ = ("_across_memo",)


@dataclass(slots=True, kw_only=True)  # keywords only: schema_version first, as in the JSON
class Report(_Memo):
    """Everything nianbao knows about one report; the contract JSON is a view of it."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID_EXTRA

    schema_version: int = 1
    source: SourceInfo
    meta: Meta
    values: dict[str, Number | None]
    cells: list[Cell]
    sections: list[Section]
    facts: list[Fact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    # check/across.py's narrative MinHash and shingle codes, made by the batch worker that parsed
    # the report so that the rules across the batch need not make them again. Not data: never dumped.
    @property
    def across_memo(self) -> object:
        return getattr(self, "_across_memo", None)

    @across_memo.setter
    def across_memo(self, memo: object) -> None:
        self._across_memo = memo  # type: ignore[misc]  # mypy reads only the dataclass's own slots

    def contract(self) -> dict[str, object]:
        """The object `nianbao parse --format json` prints (shared/spec/contract.md)."""
        return {
            "schema_version": self.schema_version,
            "source": self.source.contract(),
            "meta": self.meta.contract(),
            "values": self.values,
            "cells": [c.contract() for c in self.cells],
            "sections": [s.contract() for s in self.sections],
            "findings": [f.contract() for f in self.findings],
        }
