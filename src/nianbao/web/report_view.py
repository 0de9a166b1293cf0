"""The report page's parts, built from data: the tables as the template draws them (the
renderer's own grids, ``render.layout.table_grid``), each value cell with its source and its
flag, and the findings grouped so that one rule on one row reads as one entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nianbao.models import Cell, Number
from nianbao.render.layout import format_number, table_grid
from nianbao.templates import load_template

SEVERITY_NAMES = {"error": "错误", "warning": "警告", "info": "提示"}
_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class ViewCell:
    """One cell of a drawn table: a header (label) or a value with where it came from."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = True
    key: str | None = None
    known: bool = True  # False: the value is null, shown as 未知 (never 0)
    line: int | None = None
    raw: str | None = None
    place: str | None = None
    inferred: bool = False
    split: bool = False
    flag: str | None = None  # the worst severity (error/warning) of a finding naming the cell
    selected: bool = False  # named by the cell or finding the page is opened on

    @property
    def classes(self) -> str:
        names = ["cell"]
        names += [] if self.known else ["unknown"]
        names += ["inferred"] if self.inferred else []
        names += ["split"] if self.split else []
        names += ["flagged", f"flag-{self.flag}"] if self.flag else []
        names += ["selected"] if self.selected else []
        return " ".join(names)

    @property
    def title(self) -> str:
        """The tooltip: key, printed text, line, place and how the value was read."""
        parts = [self.key or ""]
        if self.raw is not None:
            parts.append(f"原文“{self.raw}”")
        if self.line is not None:
            parts.append(f"第{self.line}行")
        if self.place:
            parts.append(self.place)
        if self.inferred:
            parts.append("未印出，由表内勾稽关系推算")
        if self.split:
            parts.append("从连写数字中拆分")
        if not self.known:
            parts.append("未知")
        return " · ".join(parts)


@dataclass(frozen=True)
class TableView:
    title: str
    rows: list[list[ViewCell]]


def named_keys(keys: Iterable[str], values: Iterable[str]) -> set[str]:
    """The cells a finding names: its keys, and every cell of a row it names by the row's key."""
    keys = [k for k in keys if k]
    all_keys = list(values)
    named = set(keys)
    for key in keys:
        named.update(k for k in all_keys if k.startswith(key + "."))
    return named


def flags_of(findings: Iterable[dict[str, Any]], values: Iterable[str]) -> dict[str, str]:
    """Key → worst severity of an error or warning naming it (info marks no cell)."""
    flags: dict[str, str] = {}
    all_keys = list(values)
    for finding in findings:
        if finding["severity"] not in ("error", "warning"):
            continue
        for key in named_keys(finding["keys"], all_keys):
            if key not in flags or _RANK[finding["severity"]] < _RANK[flags[key]]:
                flags[key] = finding["severity"]
    return flags


def table_views(template_id: str | None, values: dict[str, Number | None], cells: Iterable[Cell],
                flags: dict[str, str], selected: set[str]) -> list[TableView]:
    """The template's tables drawn from the report's values, each value cell with its source."""
    if template_id is None:
        return []
    by_key = {cell.key: cell for cell in cells}
    views = []
    for table in load_template(template_id).tables:
        grid = table_grid(table, values)
        rows = []
        for grid_row in grid.rows:
            row = []
            for cell in grid_row:
                if cell.header or cell.key is None:
                    row.append(ViewCell(cell.text, cell.rowspan, cell.colspan))
                    continue
                value = values.get(cell.key)
                source = by_key.get(cell.key)
                row.append(ViewCell(
                    "未知" if value is None else format_number(value), cell.rowspan, cell.colspan, header=False,
                    key=cell.key, known=value is not None, line=source.line if source else None,
                    raw=source.raw if source else None, place=source.place if source else None,
                    inferred=bool(source and source.inferred), split=bool(source and source.split),
                    flag=flags.get(cell.key), selected=cell.key in selected))
            rows.append(row)
        views.append(TableView(table.title, rows))
    return views


def _row_of(key: str) -> str:
    return key.rsplit(".", 1)[0]


def group_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings of one rule on one line (or, with no line, on one row of keys) as one group,
    in the order of their first finding; each keeps its own fingerprint for its review mark."""
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for finding in findings:
        if finding["line"] is not None:
            key: tuple[str, ...] = (finding["rule"], "line", str(finding["line"]))
        elif finding["keys"]:
            key = (finding["rule"], "row", _row_of(finding["keys"][0]))
        else:
            key = (finding["rule"], "alone", finding["fingerprint"])
        group = groups.get(key)
        if group is None:
            groups[key] = {"rule": finding["rule"], "severity": finding["severity"], "line": finding["line"],
                           "place": finding["place"], "rule_title": finding["rule_title"],
                           "rule_explanation": finding["rule_explanation"], "keys": list(finding["keys"]),
                           "fingerprint": finding["fingerprint"], "members": [finding]}
            continue
        group["members"].append(finding)
        if _RANK[finding["severity"]] < _RANK[group["severity"]]:
            group["severity"] = finding["severity"]
        group["keys"].extend(k for k in finding["keys"] if k not in group["keys"])
    return list(groups.values())
