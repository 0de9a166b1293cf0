"""Human names for field keys, read from the template data (for finding messages)."""

from __future__ import annotations

import re
from functools import cache

from nianbao.models import Cell
from nianbao.templates import Template, cell_key, load_template

# Said of a finding that rests on a value the parser inferred from the identities or cut out of a
# glued run: the defect may be the parser's, so such a finding is at most a warning.
DOUBT_NOTE = "（表中该数为推算或拆分所得，可能是解析误差）"


def doubted(cell: Cell | None) -> bool:
    return cell is not None and (cell.inferred or cell.split)


@cache
def _names(template_id: str) -> dict[str, str]:
    """By id: hashing a whole template (a frozen model) on every call costs more than the lookup."""
    names: dict[str, str] = {}
    for table in load_template(template_id).tables:
        names[table.id] = f"表格“{table.title}”"  # a finding on a whole table (表四 read as one run)
        for block, row in table.rows():
            names[row.key] = row.label
            for column in (*block.columns, *block.extra_columns):
                key = cell_key(row.key, column.key)
                names[key] = row.label if not column.key else f"“{row.label}”{column.label}"
    return names


def cell_name(template: Template, key: str) -> str:
    return _names(template.id).get(key, key)


def row_name(template: Template, row_key: str) -> str:
    return _names(template.id).get(row_key, row_key)


def column_name(template: Template, table_id: str, column_key: str) -> str:
    table = template.table(table_id)
    if table is not None:
        for block in table.blocks:
            for column in (*block.columns, *block.extra_columns):
                if column.key == column_key:
                    return column.label
    return column_key


def is_government(agency: str | None) -> bool:
    """A government's own report (…人民政府) rather than a department's (…人民政府办公室, …局)."""
    name = agency or ""
    return name.endswith("人民政府") or bool(re.search(r"(省|市|县|区|旗|镇|乡)政府$", name))
