"""The dashboard's charts as SVG, drawn on the server with matplotlib (no script in the page, prints well).

Text is drawn as paths (matplotlib's ``svg.fonttype`` default), so a viewer or printer needs no
font; the Chinese labels use the CJK font ``nianbao.store.charts`` finds (fonts-wqy-zenhei or
``NIANBAO_CJK_FONT``), and without one the chart is still drawn (glyph warnings muted). A sum that
is unknown (some report left a cell blank) gets no bar: its place says how many reports left it blank.
Figures are built with matplotlib's object API, not pyplot, whose global state is not thread-safe.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from typing import Any

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from nianbao.render.writers import chart_font as _font
from nianbao.web.dashboard import GroupTotals, Total

CHARTS = ("trend", "outcomes", "appeals", "regions", "rules")
MAX_BARS = 20
COLORS = ("#8c1c13", "#d9822b", "#4e79a7", "#59a14f", "#9c755f", "#b07aa1", "#76b7b2")


def _props() -> FontProperties | None:
    font = _font()
    return FontProperties(fname=font) if font else None


def _svg(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.tight_layout()
    # bbox "tight" keeps a legend placed below the axes; no date: the same data gives the same file
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return out.getvalue()


def _note(axes: Any, text: str, props: FontProperties | None) -> None:
    axes.text(0.5, 0.5, text, transform=axes.transAxes, ha="center", va="center", color="#666",
              fontproperties=props)


def _bars(axes: Any, labels: list[str], totals: list[Total | None], props: FontProperties | None,
          horizontal: bool = False) -> None:
    """One bar per known total; an unknown one is a labelled gap (never a bar of 0)."""
    positions = list(range(len(labels)))
    heights = [float(t.value) if t is not None and t.value is not None else 0.0 for t in totals]
    known = [t is not None and t.value is not None for t in totals]
    draw = axes.barh if horizontal else axes.bar
    bars = draw([p for p, k in zip(positions, known, strict=True) if k],
                [h for h, k in zip(heights, known, strict=True) if k], color=COLORS[0])
    axes.bar_label(bars, fmt="%g", fontsize=8)
    for position, total in zip(positions, totals, strict=True):
        if total is None or total.value is not None:
            continue
        text = f"未知（{total.blank} 份未填）"
        if horizontal:
            axes.text(0, position, " " + text, va="center", color="#b00020", fontsize=8, fontproperties=props)
        else:
            axes.text(position, 0, text, ha="center", va="bottom", rotation=90, color="#b00020", fontsize=8,
                      fontproperties=props)
    ticks = axes.set_yticks if horizontal else axes.set_xticks
    ticks(positions, labels, fontproperties=props)
    if horizontal:
        axes.invert_yaxis()


def trend(years: list[GroupTotals], props: FontProperties | None) -> Figure:
    figure = Figure(figsize=(7, 3.6))
    axes = figure.subplots()
    axes.set_title("各年度本年新收政府信息公开申请（件）", fontproperties=props)
    shown = [g for g in years if g.new_requests is not None]
    if not shown:
        _note(axes, "没有可统计的年度", props)
        return figure
    _bars(axes, [f"{g.name}年" for g in shown], [g.new_requests for g in shown], props)
    return figure


def outcomes(years: list[GroupTotals], props: FontProperties | None) -> Figure:
    """The outcome mix per year, stacked; a year with any category unknown is named, not drawn."""
    figure = Figure(figsize=(8, 0.6 * max(len(years), 2) + 2.2))
    axes = figure.subplots()
    axes.set_title("各年度申请办理结果构成（件）", fontproperties=props)
    rows = [g for g in years if g.outcomes]
    if not rows:
        _note(axes, "没有可统计的年度", props)
        return figure
    names = [o.name for o in rows[0].outcomes]
    labelled = False  # the legend names each category once, from the first year drawn
    for position, group in enumerate(rows):
        if any(o.value is None for o in group.outcomes):
            blank = max(o.blank for o in group.outcomes)
            axes.text(0, position, f" 有报告未填（至少 {blank} 份），不作合计", va="center", color="#b00020",
                      fontsize=8, fontproperties=props)
            continue
        left = 0.0
        for index, total in enumerate(group.outcomes):
            width = float(total.value or 0)
            axes.barh(position, width, left=left, color=COLORS[index % len(COLORS)],
                      label=None if labelled else total.name)
            left += width
        labelled = True
    axes.set_yticks(range(len(rows)), [f"{g.name}年" for g in rows], fontproperties=props)
    axes.invert_yaxis()
    if labelled:
        axes.legend(prop=props, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(len(names), 3),
                    frameon=False)
    return figure


def appeals(group: GroupTotals | None, props: FontProperties | None) -> Figure:
    """行政复议/行政诉讼 by result (维持/纠正/其他/未审结) for one year, the columns as the template has them."""
    figure = Figure(figsize=(8, 3.8))
    axes = figure.subplots()
    if group is None or not group.appeals:
        axes.set_title("行政复议、行政诉讼结果（件）", fontproperties=props)
        _note(axes, "没有可统计的年度", props)
        return figure
    axes.set_title(f"{group.name}年行政复议、行政诉讼结果（件）", fontproperties=props)
    rows = group.appeals
    columns = [c for c in rows[0]["cells"] if not c.name.endswith("总计")]
    width = 0.8 / max(len(rows), 1)
    for index, row in enumerate(rows):
        cells = [c for c in row["cells"] if not c.name.endswith("总计")]
        positions = [i + (index - (len(rows) - 1) / 2) * width for i in range(len(cells))]
        known = [(p, float(c.value)) for p, c in zip(positions, cells, strict=True) if c.value is not None]
        bars = axes.bar([p for p, _ in known], [h for _, h in known], width=width, label=row["name"],
                        color=COLORS[index % len(COLORS)])
        axes.bar_label(bars, fmt="%g", fontsize=8)
        for p, c in zip(positions, cells, strict=True):
            if c.value is None:
                axes.text(p, 0, f"未知（{c.blank} 份未填）", rotation=90, ha="center", va="bottom", fontsize=7,
                          color="#b00020", fontproperties=props)
    axes.set_xticks(range(len(columns)), [c.name for c in columns], fontproperties=props)
    axes.legend(prop=props, fontsize=8)
    return figure


def regions(groups: list[GroupTotals], year: int | None, props: FontProperties | None) -> Figure:
    shown = [g for g in groups if g.new_requests is not None][:MAX_BARS]
    figure = Figure(figsize=(8, 0.35 * max(len(shown), 3) + 1.5))
    axes = figure.subplots()
    more = f"，报告最多的 {MAX_BARS} 个地区" if len(groups) > MAX_BARS else ""
    axes.set_title(f"{'' if year is None else f'{year}年'}各地区本年新收申请（件{more}）", fontproperties=props)
    if not shown:
        _note(axes, "没有可统计的地区", props)
        return figure
    _bars(axes, [g.name for g in shown], [g.new_requests for g in shown], props, horizontal=True)
    return figure


def rules(top: list[dict[str, Any]], props: FontProperties | None) -> Figure:
    figure = Figure(figsize=(8, 0.35 * max(len(top), 3) + 1.5))
    axes = figure.subplots()
    axes.set_title("最常见的审核发现（条）", fontproperties=props)
    if not top:
        _note(axes, "没有审核发现", props)
        return figure
    labels = [str(r["title"] or r["rule"]) for r in top]
    bars = axes.barh(range(len(top)), [r["findings"] for r in top], color=COLORS[2])
    axes.bar_label(bars, fmt="%g", fontsize=8)
    axes.set_yticks(range(len(top)), labels, fontproperties=props, fontsize=8)
    axes.invert_yaxis()
    return figure


def chart_svg(draw: Callable[[FontProperties | None], Figure]) -> bytes:
    """Draw with the CJK font when there is one; without it, still draw (boxes for Chinese glyphs)."""
    props = _props()
    with warnings.catch_warnings():
        if props is None:
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        return _svg(draw(props))
