"""Fictional agencies and the prose of their reports, written from templates.

Names combine made-up places with 示范 (青川县示范市场监督管理局), so no sample can be taken for
a real agency. Sentences that restate a table value use the value itself, so a sample without
planted defects agrees with its own tables.
"""

from __future__ import annotations

import random

from nianbao.models import Number

PLACES = ("青川", "白水", "西苑", "云岭", "枫桥", "北溪", "石湾", "兰亭", "松阳", "桐岭", "柳泉", "鹿鸣", "星河",
          "望江", "梅岗", "栖霞湾", "金沙", "临川", "碧溪", "芦荡")
LEVELS = ("县", "区", "市")
DEPARTMENTS = ("人民政府", "人民政府办公室", "市场监督管理局", "教育局", "自然资源局", "住房和城乡建设局",
               "交通运输局", "卫生健康委员会", "生态环境局", "民政局", "财政局", "应急管理局")


def agency_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(1000):
        name = f"{rng.choice(PLACES)}{rng.choice(LEVELS)}示范{rng.choice(DEPARTMENTS)}"
        if name not in used:
            used.add(name)
            return name
    raise ValueError("ran out of fictional agency names")


def _n(values: dict[str, Number | None], key: str) -> int:
    return int(values.get(key) or 0)


def overview(agency: str, year: int, values: dict[str, Number | None], rng: random.Random) -> str:
    """Section 一 of a 2019/2021 report: the five topics, with numbers that restate the tables."""
    new = _n(values, "requests.new_received.total")
    review = _n(values, "appeals.review.total")
    items = rng.randint(80, 3000)
    requests = (f"（二）依申请公开情况。{year}年，全年共受理政府信息公开申请{new}件，均在法定期限内予以答复。"
                if new else f"（二）依申请公开情况。{year}年，本机关未收到政府信息公开申请。")
    appeals = (f"因政府信息公开引发行政复议{review}件。" if review else "")
    return "\n\n".join([
        f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开标准化规范化建设。",
        f"（一）主动公开情况。全年通过政府网站主动公开各类政府信息{items}条，及时发布政策解读材料。",
        requests + appeals,
        "（三）政府信息管理情况。严格落实公开前保密审查制度，动态调整主动公开基本目录。",
        "（四）政府信息公开平台建设情况。优化政府网站信息公开专栏，做好政务新媒体日常维护。",
        "（五）监督保障情况。将政务公开纳入年度绩效考核，开展社会评议，组织业务培训2次，未发生责任追究情况。",
    ])


def problems(rng: random.Random) -> str:
    problem = rng.choice(("政策解读形式较为单一", "公开内容的时效性有待提高", "基层工作人员业务能力有待加强",
                          "依申请公开答复的规范性有待提升"))
    measure = rng.choice(("丰富解读形式，增加图解、视频解读", "建立信息发布提醒机制", "定期开展业务培训",
                          "完善答复文书模板，加强法制审核"))
    return (f"存在的主要问题：一是{problem}；二是政务公开工作与群众期盼相比仍有差距，部分栏目更新不够及时。"
            f"改进措施：下一步将{measure}，同时完善栏目更新和内容审核机制，加强对基层政务公开工作的指导和督促，"
            "不断提升政务公开工作质量。")


def other_matters(agency: str, year: int, fee_wan: float | None) -> str:
    fee = (f"{year}年度，{agency}依据《政府信息公开信息处理费管理办法》共收取信息处理费{fee_wan}万元。" if fee_wan
           else f"{year}年度，{agency}未收取政府信息公开信息处理费。")
    return fee + "\n\n无其他需要报告的事项。"


def legacy_overview(agency: str, year: int, values: dict[str, Number | None]) -> str:
    items = _n(values, "legacy.proactive.items")
    received = _n(values, "legacy.request.received.total")
    return "\n\n".join([
        f"本报告根据《中华人民共和国政府信息公开条例》要求，由{agency}编制。",
        f"{year}年，{agency}主动公开政府信息{items}条，收到政府信息公开申请{received}件，均按时予以答复。",
        "本报告中所列数据的统计期限自" f"{year}年1月1日起至{year}年12月31日止。",
    ])
