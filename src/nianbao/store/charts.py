"""Charts for `nianbao summary --plot`: applications and outcomes per group (region, level or year)."""

from __future__ import annotations

import warnings
from io import BytesIO

from nianbao.check.labels import cell_name
from nianbao.render.writers import chart_font
from nianbao.store.queries import Group, number
from nianbao.templates import load_template

# Drawn per group: new applications, and what was decided (办理结果总计), from the 2019/2021 tables.
SERIES = ("requests.new_received.total", "requests.total.total")


def summary_chart(groups: list[Group], by: str) -> bytes:
    """The chart as PNG. Without a CJK font (fonts-wqy-zenhei, or NIANBAO_CJK_FONT) the Chinese
    labels cannot be drawn: the chart is still written, and matplotlib's glyph warnings are muted."""
    with warnings.catch_warnings():
        if chart_font() is None:
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        return _draw(groups, by)


def _draw(groups: list[Group], by: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font = chart_font()
    props = None
    if font is not None:
        font_manager.fontManager.addfont(font)
        props = font_manager.FontProperties(fname=font)
    names = [g.name if len({x.template for x in groups}) == 1 else f"{g.name}（{g.template}）" for g in groups]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(groups) + 2), 4.5))
    width = 0.4
    template = load_template("2021")
    for index, key in enumerate(SERIES):
        label = cell_name(template, key).replace("“", "").replace("”", " ")
        heights = [float(number(g.sums.get(key)) or 0) for g in groups]
        positions = [i + (index - 0.5) * width for i in range(len(groups))]
        axes.bar(positions, heights, width=width, label=label)
    axes.set_xticks(range(len(groups)))
    axes.set_xticklabels(names, rotation=30 if len(groups) > 4 else 0, ha="right" if len(groups) > 4 else "center",
                         fontproperties=props)
    title = {"year": "各年度", "level": "各层级", "province": "各省", "region": "各地区"}.get(by, "")
    axes.set_title(f"{title}政府信息公开申请数量（件）", fontproperties=props)
    axes.legend(prop=props)
    if by == "year" and len(groups) > 1:
        axes.plot(range(len(groups)), [float(number(g.sums.get(SERIES[0])) or 0) for g in groups], marker="o",
                  color="gray", linewidth=1)
    figure.tight_layout()
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    plt.close(figure)
    return buffer.getvalue()
