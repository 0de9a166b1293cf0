"""A sample corpus: fictional agencies over several years, rendered in assorted formats and
layouts, a share of them with planted defects, and a gold file for every sample.

The output is a gold corpus in the ``../shared/gold`` format: ``cases/<id>.<ext>`` beside
``gold/<id>.json`` (``source``, ``meta``, ``values``, ``findings``), which ``score.py`` reads
as it reads the seeds; ``manifest.json`` lists every sample with its format, layout and the
defects planted in it.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.models import Number
from nianbao.render.layout import build_blocks
from nianbao.render.model import Block, GridCell, ReportData
from nianbao.render.writers import WRITERS, OutputFormat
from nianbao.sample import names, prose
from nianbao.sample.damage import CHROME_BOTTOM, CHROME_TOP, TEXT_LAYOUTS, split_digits
from nianbao.sample.values import APPLICANTS, report_values
from nianbao.templates import Template, load_template, template_for_year

_LOCAL = re.compile(r"[县区]")
SAMPLE_FORMATS = ("txt", "md", "html", "docx", "pdf")
FIRST_YEAR, LAST_YEAR = 2014, 2025


@dataclass
class Sample:
    """One report being made: its data, its drawn blocks, and what was done to it."""

    ident: str
    data: ReportData
    template: Template
    blocks: list[Block] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    gold_values: dict[str, Number | None] = field(default_factory=dict)


# ---- planted defects: each changes the data or the drawn report, and names the rules it trips

Defect = Callable[[Sample, random.Random], bool]  # False: does not apply to this sample


def _cells(sample: Sample) -> list[GridCell]:
    return [cell for b in sample.blocks if b.grid is not None for row in b.grid.rows for cell in row]


def _set(sample: Sample, key: str, value: Number) -> None:
    sample.data.values[key] = value
    sample.gold_values[key] = value


def _row_total(sample: Sample, rng: random.Random) -> bool:
    if sample.template.id == "legacy":
        return False
    row = rng.choice(["granted", "unable_not_held", "partly_granted"])
    key = f"requests.{row}.total"
    _set(sample, key, int(sample.data.values[key] or 0) + rng.randint(1, 5))
    sample.rules |= {"requests.row_total", "requests.results_total"}
    return True


def _results_total(sample: Sample, rng: random.Random) -> bool:
    """总计 larger than its results, with 结转下年度 lowered to keep the balance."""
    if sample.template.id == "legacy":
        return False
    values = sample.data.values
    columns = [c for c in APPLICANTS if int(values[f"requests.carried_forward.{c}"] or 0) > 0]
    if not columns:
        return False
    column = rng.choice(columns)
    k = rng.randint(1, int(values[f"requests.carried_forward.{column}"] or 0))
    for col in (column, "total"):
        _set(sample, f"requests.total.{col}", int(values[f"requests.total.{col}"] or 0) + k)
        _set(sample, f"requests.carried_forward.{col}", int(values[f"requests.carried_forward.{col}"] or 0) - k)
    sample.rules.add("requests.results_total")
    return True


def _appeals_total(sample: Sample, rng: random.Random) -> bool:
    return sample.template.id != "legacy" and _raise_total(sample, rng, "appeals.review.total", "appeals.total")


def _staff_total(sample: Sample, rng: random.Random) -> bool:
    return sample.template.id == "legacy" and _raise_total(sample, rng, "legacy.org.staff.total",
                                                            "legacy.staff_total")


def _raise_total(sample: Sample, rng: random.Random, key: str, rule_id: str) -> bool:
    """A total made larger than the sum of its parts, which ``rule_id`` must catch."""
    _set(sample, key, int(sample.data.values[key] or 0) + rng.randint(1, 3))
    sample.rules.add(rule_id)
    return True


def _fee_in_yuan(sample: Sample, rng: random.Random) -> bool:
    amount = sample.data.values.get("active.admin_fees.amount_wan")
    if sample.template.id != "2021" or not amount:
        return False
    for cell in _cells(sample):
        if cell.key == "active.admin_fees.amount_wan":
            cell.text = f"{round(float(amount) * 10000)}元"
    sample.rules.add("active.fee_unit")
    return True


def _fee_statement_missing(sample: Sample, rng: random.Random) -> bool:
    if sample.template.id != "2021":
        return False
    sample.blocks = [b for b in sample.blocks if not (b.kind == "paragraph" and "信息处理费" in b.text)]
    sample.rules.add("fees.statement_missing")
    if (sample.data.values.get("requests.other_fee_unpaid.total") or 0) > 0:
        sample.rules.add("fees.fee_row_story")  # fee notices were sent, and 六 is silent on fees
    return True


def _label_variant(sample: Sample, rng: random.Random) -> bool:
    if sample.template.id == "legacy":
        return False
    choices = [("2.其他法律行政法规禁止公开", "2.其他法律法规禁止公开")]
    if sample.template.id == "2021":
        choices.append(("本年废止件数", "本年度止件数"))
    canonical, printed = rng.choice(choices)
    for cell in _cells(sample):
        if cell.text == canonical:
            cell.text = printed
    sample.rules.add("structure.label_variant")
    return True


def _template_residue(sample: Sample, rng: random.Random) -> bool:
    if sample.template.id == "legacy":
        return False
    index = next(i for i, b in enumerate(sample.blocks) if b.kind == "heading" and b.text.startswith("五、"))
    sample.blocks.insert(index + 1, Block(kind="paragraph", text="（此处填写存在的主要问题及改进情况）"))
    sample.rules.add("structure.template_residue")
    return True


def _narrative_mismatch(sample: Sample, rng: random.Random) -> bool:
    new = sample.data.values.get("requests.new_received.total")
    if sample.template.id == "legacy" or not new:
        return False
    stated = f"共受理政府信息公开申请{new}件"
    for block in sample.blocks:
        if stated in block.text:
            block.text = block.text.replace(stated, f"共受理政府信息公开申请{int(new) + rng.randint(5, 20)}件")
            sample.rules.add("narrative.mismatch")
            return True
    return False


def _period_year(sample: Sample, rng: random.Random) -> bool:
    year = sample.data.meta.year
    for block in sample.blocks:
        if f"统计期限自{year}年1月1日起至{year}年12月31日止" in block.text:
            stated = f"{year - 1}年1月1日起至{year - 1}年12月31日"
            block.text = block.text.replace(f"{year}年1月1日起至{year}年12月31日", stated)
            sample.rules.add("meta.year_mismatch")
            return True
    return False


def _missing_row(sample: Sample, rng: random.Random) -> bool:
    if sample.template.id == "legacy":
        return False
    for block in sample.blocks:
        if block.grid is not None and any(c.key == "requests.carried_forward.total" for row in block.grid.rows
                                          for c in row):
            block.grid.rows = [row for row in block.grid.rows
                               if not any(c.key and c.key.startswith("requests.carried_forward.") for c in row)
                               and not any(c.text == "四、结转下年度继续办理" for c in row)]
    # The gold keeps the row's values: the balance identity (一 + 二 = 三 + 四) still forces them.
    sample.rules.add("structure.missing_row")
    return True


DEFECTS: dict[str, Defect] = {
    "row_total": _row_total, "results_total": _results_total, "appeals_total": _appeals_total,
    "staff_total": _staff_total, "fee_in_yuan": _fee_in_yuan, "fee_statement_missing": _fee_statement_missing,
    "label_variant": _label_variant, "template_residue": _template_residue,
    "narrative_mismatch": _narrative_mismatch, "period_year": _period_year, "missing_row": _missing_row,
}
# Defects on the data must be planted before the report is drawn; the others after.
_DATA_DEFECTS = ("row_total", "results_total", "appeals_total", "staff_total")


# ---- the corpus

def report_data(agency: str, year: int, template: Template, values: dict[str, Number | None],
                rng: random.Random) -> ReportData:
    """Report data with the prose a complete report has (intro with the period, 一, 五, 六)."""
    period = f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
    if template.id == "legacy":
        overview = prose.legacy_overview(agency, year, values)
        return ReportData.model_validate({"meta": {"year": year, "agency": agency, "template": template.id},
                                          "values": values, "prose": {"一": overview}})
    fee = round(rng.uniform(0.01, 0.5), 2) if template.id == "2021" and rng.random() < 0.2 else None
    texts = {"一": prose.overview(agency, year, values, rng), "五": prose.problems(rng),
             "六": prose.other_matters(agency, year, fee) if template.id == "2021" else "无其他需要报告的事项。"}
    return ReportData.model_validate({"meta": {"year": year, "agency": agency, "template": template.id},
                                      "values": values, "intro": period, "prose": texts})


def _html_with_chrome(blob: bytes) -> bytes:
    top = "".join(f"<div class='nav'>{line}</div>" for line in CHROME_TOP)
    bottom = "".join(f"<div class='footer'>{line}</div>" for line in CHROME_BOTTOM)
    text = blob.decode("utf-8").replace("<body>", f"<body>{top}", 1).replace("</body>", f"{bottom}</body>", 1)
    return text.encode("utf-8")


def _draw(sample: Sample, fmt: str, layout: str | None, rng: random.Random) -> tuple[bytes, str | None]:
    if layout is not None:
        lines = TEXT_LAYOUTS[layout](sample.blocks, rng)
        encoding = "gb18030" if rng.random() < 0.2 else "utf-8"
        return "\n".join(lines).encode(encoding), f"{layout}/{encoding}"
    blob = WRITERS[fmt_name(fmt)](sample.blocks)
    if fmt == "html":
        return _html_with_chrome(blob), "web page"
    return blob, None


def fmt_name(fmt: str) -> OutputFormat:
    names: dict[str, OutputFormat] = {"md": "md", "html": "html", "docx": "docx", "pdf": "pdf"}
    return names[fmt]


def _vanish_one_cell(sample: Sample, rng: random.Random) -> str | None:
    """Blank one table-三 value: the table's identities still force it, so the gold keeps it."""
    cells = [c for c in _cells(sample) if c.key and c.key.startswith("requests.")
             and not c.key.startswith("requests.carried_forward.")]
    if not cells:
        return None
    cell = rng.choice(cells)
    cell.text = ""
    return cell.key


def make_corpus(out: Path, count: int, *, seed: int = 7, defect_share: float = 0.3,
                formats: tuple[str, ...] = SAMPLE_FORMATS, families: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Write ``count`` samples under ``out`` (cases/, gold/, manifest.json); returns the manifest.
    ``families``: layout families of issue #10 instead of the usual formats (sample/families.py)."""
    unknown = [f for f in formats if f not in SAMPLE_FORMATS]
    if unknown:
        raise ValueError(f"未知的示例格式：{', '.join(unknown)}（可选：{', '.join(SAMPLE_FORMATS)}）")
    if families:
        from nianbao.sample.families import make_family_corpus

        return make_family_corpus(out, count, families, seed=seed, defect_share=defect_share)
    rng = random.Random(seed)
    (out / "cases").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    used: set[str] = set()
    while len(manifest) < count:
        agency = names.agency_name(rng, used)
        first = rng.randint(FIRST_YEAR, LAST_YEAR - 1)
        carried: dict[str, int] = {}
        for year in range(first, min(LAST_YEAR, first + rng.randint(1, 4)) + 1):
            if len(manifest) >= count:
                break
            template = load_template(template_for_year(year))
            values = report_values(template, rng, size=rng.choice((10, 40, 150, 600)),
                                   carried_over=carried if template.id == "2021" else None)
            if template.id == "2021" and _LOCAL.search(agency):
                values["active.rules.issued"] = 0  # counties and districts make no 规章
            carried = {c: int(values.get(f"requests.carried_forward.{c}") or 0) for c in APPLICANTS}
            ident = f"{len(manifest) + 1:04d}"
            manifest.append(_one_sample(out, ident, agency, year, template, values, rng, defect_share, formats))
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def _one_sample(out: Path, ident: str, agency: str, year: int, template: Template,
                values: dict[str, Number | None], rng: random.Random, defect_share: float,
                formats: tuple[str, ...]) -> dict[str, Any]:
    data = ReportData.model_validate({"meta": {"year": year, "agency": agency, "template": template.id},
                                      "values": dict(values)})
    sample = Sample(ident, data, template, gold_values=dict(values))
    chosen: list[str] = []
    if rng.random() < defect_share:
        chosen = rng.sample(sorted(DEFECTS), k=rng.choice((1, 1, 2)))
    planted = [name for name in chosen if name in _DATA_DEFECTS and DEFECTS[name](sample, rng)]
    # The prose restates the tables as printed (defects on the data included).
    sample.data = report_data(agency, year, template, sample.data.values, rng)
    sample.blocks = build_blocks(sample.data)
    planted += [name for name in chosen if name not in _DATA_DEFECTS and DEFECTS[name](sample, rng)]
    fmt = rng.choice(formats)
    layout = rng.choice(sorted(TEXT_LAYOUTS)) if fmt == "txt" else None
    vanished = None
    if layout in ("cell", "pdftotext") and rng.random() < 0.3 and not {"results_total", "row_total"} & set(planted):
        vanished = _vanish_one_cell(sample, rng)
        if vanished is not None:
            sample.rules.add("structure.cell_count")  # the row prints one number fewer than the template
    if fmt in ("pdf", "docx", "html") and rng.random() < 0.3:
        split_digits(sample.blocks, rng)
        layout = "split digits"
    blob, description = _draw(sample, fmt, layout if fmt == "txt" else None, rng)
    if layout == "split digits":
        description = "split digits"
    source = f"cases/{ident}.{fmt}"
    (out / source).write_bytes(blob)
    gold = {"source": source, "meta": {"year": year, "agency": agency, "template": template.id},
            "values": sample.gold_values, "findings": sorted(sample.rules)}
    (out / "gold" / f"{ident}.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")
    return {"id": ident, "source": source, "agency": agency, "year": year, "template": template.id,
            "format": fmt, "layout": description, "defects": planted, "findings": sorted(sample.rules),
            "vanished_cell": vanished}
