"""Write reports: report data → a correct report in the template's layout (HTML, MD, DOCX, PDF)."""

from __future__ import annotations

from decimal import Decimal

from nianbao.check.labels import cell_name
from nianbao.extract.solve import bind_identities, violations
from nianbao.render.layout import build_blocks, template_of
from nianbao.render.model import ReportData
from nianbao.render.writers import FORMATS, WRITERS, OutputFormat

__all__ = ["FORMATS", "BrokenIdentities", "OutputFormat", "ReportData", "identity_problems", "render"]


class BrokenIdentities(ValueError):
    """The data breaks table identities; ``problems`` lists them in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


def identity_problems(data: ReportData) -> list[str]:
    """Every identity of the template the data breaks, naming the cells and their sums."""
    template = template_of(data)
    values = {k: None if v is None else Decimal(str(v)) for k, v in data.values.items()}
    problems = []
    for table in template.tables:
        present = {k for k in values if values[k] is not None}
        for identity in violations(values, bind_identities(table, present)):
            left = sum((values[k] or Decimal(0) for k in identity.left), Decimal(0))
            right = sum((values[k] or Decimal(0) for k in identity.right), Decimal(0))
            names = "＋".join(cell_name(template, k) for k in identity.left)
            parts = "＋".join(cell_name(template, k) for k in identity.right)
            problems.append(f"{names} = {left.normalize():f}，而 {parts} = {right.normalize():f}")
    return problems


def render(data: ReportData, fmt: OutputFormat, allow_errors: bool = False) -> bytes:
    """The report as a file of format ``fmt``; raises BrokenIdentities unless ``allow_errors``."""
    if not allow_errors:
        problems = identity_problems(data)
        if problems:
            raise BrokenIdentities(problems)
    return WRITERS[fmt](build_blocks(data))
