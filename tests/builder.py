"""Write small annual reports in the layouts found in the wild, for the tests.

The rows and labels come from the template data, so a test states only the numbers and the
layout damage it wants.
"""

from __future__ import annotations

from collections.abc import Callable

from nianbao.check.registry import Context
from nianbao.layout.lines import Line
from nianbao.models import Cell, Meta, Report, SourceInfo
from nianbao.templates import cell_key, load_template

T3_COLUMNS = ["natural_person", "business", "research", "social_org", "legal_service", "other_org", "total"]
T4_ROWS = ["review", "suit_direct", "suit_after_review"]
T4_COLUMNS = ["upheld", "corrected", "other", "pending", "total"]


def consistent_values(new: list[int] | None = None) -> dict[str, int]:
    """A 2021 report whose every identity holds: 10 applications granted, 3 unable, 2 carried."""
    new = new or [9, 2, 0, 0, 1, 0, 12]
    values: dict[str, int] = {}
    template = load_template("2021")
    for block, row in template.table("active").rows():  # type: ignore[union-attr]
        for i, col in enumerate(block.columns):
            values[cell_key(row.key, col.key)] = i + 2
    values["active.admin_fees.amount_wan"] = 0
    values["active.rules.issued"] = 0  # a county bureau makes no 规章 (active.rules_power)
    rows = [row.key for _, row in template.table("requests").rows() if not row.extra]  # type: ignore[union-attr]
    for row in rows:
        for col in T3_COLUMNS:
            values[f"{row}.{col}"] = 0
    for i, col in enumerate(T3_COLUMNS):
        values[f"requests.new_received.{col}"] = new[i]
    granted = [7, 1, 0, 0, 1, 0, 9]
    unable = [new[i] - granted[i] for i in range(7)]
    for i, col in enumerate(T3_COLUMNS):
        values[f"requests.granted.{col}"] = granted[i]
        values[f"requests.unable_not_held.{col}"] = unable[i]
        values[f"requests.total.{col}"] = new[i]
    for group, numbers in zip(T4_ROWS, ([1, 0, 0, 1, 2], [0, 1, 0, 0, 1], [0, 0, 0, 0, 0]), strict=True):
        for col, n in zip(T4_COLUMNS, numbers, strict=True):
            values[f"appeals.{group}.{col}"] = n
    return values


Cells = Callable[[str, list[str]], list[str]]


def tab_row(label: str, cells: list[str]) -> list[str]:
    return ["\t".join([label, *cells])]


def cell_per_line(label: str, cells: list[str]) -> list[str]:
    out = [label + " ", ""]
    for cell in cells:
        out += [cell + " ", ""]
    return out


def spaced_row(label: str, cells: list[str]) -> list[str]:
    return ["      " + label.ljust(24) + "   ".join(c.rjust(5) for c in cells)]


LAYOUTS: dict[str, Cells] = {"tab": tab_row, "cell": cell_per_line, "spaced": spaced_row}


def report_text(
    values: dict[str, int | float | str],
    *,
    layout: str = "tab",
    year: int = 2023,
    agency: str = "青川县示范局",
    section_six: str = "本机关本年度未收取信息处理费。",
    row_text: dict[str, str] | None = None,
    drop_rows: tuple[str, ...] = (),
    extra_top: list[str] | None = None,
    extra_bottom: list[str] | None = None,
) -> str:
    """The text of a 2021-template report. ``row_text`` replaces a row's whole printed line(s)
    (key: row key); ``values`` may hold strings to print a cell verbatim."""
    row_text = row_text or {}
    emit = LAYOUTS[layout]
    template = load_template("2021")
    lines = [f"{agency}{year}年政府信息公开工作年度报告", *(extra_top or []), "",
             f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。", "",
             "一、总体情况", "", f"{year}年，本局认真落实政府信息公开条例，主动公开、依申请公开工作有序开展。",
             "政府信息管理规范，政府信息公开平台建设稳步推进，监督保障有力。", "",
             "二、主动公开政府信息情况", ""]
    active = template.table("active")
    assert active is not None
    for block in active.blocks:
        lines += emit(block.label, [])
        lines += emit("信息内容", [c.label for c in block.columns])
        for row in block.rows:
            if row.key in row_text:
                lines += row_text[row.key].split("\n")
                continue
            lines += emit(row.label, [str(values[cell_key(row.key, c.key)]) for c in block.columns])
    lines += ["", "三、收到和处理政府信息公开申请情况", ""]
    lines += emit("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", ["申请人情况"])
    lines += emit("", ["自然人", "法人或其他组织", "总计"])
    lines += emit("", ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"])
    requests = template.table("requests")
    assert requests is not None
    for _, row in requests.rows():
        if row.extra or row.key in drop_rows:
            continue
        if row.key in row_text:
            lines += row_text[row.key].split("\n")
            continue
        lines += emit(row.label, [str(values[f"{row.key}.{c}"]) for c in T3_COLUMNS])
    lines += ["", "四、政府信息公开行政复议、行政诉讼情况", ""]
    lines += emit("行政复议", ["行政诉讼"])
    lines += emit("结果维持", ["结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"])
    flat = [str(values[f"appeals.{g}.{c}"]) for g in T4_ROWS for c in T4_COLUMNS]
    if "appeals" in row_text:
        lines += row_text["appeals"].split("\n")
    else:
        lines += ["\t".join(flat)] if layout == "tab" else (
            [x for n in flat for x in (n + " ", "")] if layout == "cell" else ["   ".join(flat)])
    lines += ["", "五、存在的主要问题及改进情况", "",
              "存在问题：一是公开质量有待提升，部分信息发布不够及时；二是政策解读形式较为单一，与群众期盼仍有差距。"
              "改进情况：下一步将加强业务培训，完善信息发布审核机制，丰富政策解读形式，不断提升政务公开工作质量。", "",
              "六、其他需要报告的事项", "", section_six, *(extra_bottom or [])]
    return "\n".join(lines) + "\n"


def prose_context(values: dict[str, int | float | None], sentences: list[str], *, template: str = "2021",
                  year: int = 2023, agency: str = "青川县示范局") -> Context:
    """A checking context with these table values and these lines of running text, for the
    unit tests of the rules on prose (no parsing: the rule sees exactly this)."""
    report = Report(source=SourceInfo(path="test.txt", sha256="", format="txt"),
                    meta=Meta(year=year, agency=agency, template=template),  # type: ignore[arg-type]
                    values=values, cells=[Cell(key=k, value=v) for k, v in values.items()], sections=[])
    lines = [Line(number=i, raw=s, text=s, chrome=False) for i, s in enumerate(sentences, start=1)]
    return Context(report=report, lines=lines)
