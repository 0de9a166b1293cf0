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


# Sentence pools: each report draws its own few, so that two fictional reports do not read
# like copies of each other (continuity.copied_text compares consecutive years).
_ACTIVE = ("围绕重点领域信息公开，及时发布财政预决算、重大项目和民生实事信息",
           "对主动公开基本目录进行全面梳理，新增和调整目录事项", "做好政策文件的同步解读，采用图解、问答等方式回应关切",
           "在政府网站开设专题专栏，集中发布年度重点工作进展", "完善新闻发言人制度，围绕中心工作召开新闻发布会",
           "加强政务新媒体矩阵建设，推送政策信息和办事指南", "落实行政规范性文件统一公开要求，做到应公开尽公开")
_MANAGEMENT = ("严格落实公开前保密审查制度，坚持先审后发", "动态调整主动公开基本目录，及时清理过时信息",
               "建立政府信息公开属性源头认定机制，在拟文时同步明确公开方式",
               "开展行政规范性文件清理，集中公布现行有效文件目录",
               "健全信息发布协调机制，确保发布内容准确一致", "规范依申请公开办理流程，统一答复文书格式")
_PLATFORM = ("优化政府网站信息公开专栏，提升检索和浏览体验", "做好政务新媒体日常维护，及时更新发布内容",
             "升级依申请公开在线办理系统，实现申请全流程可查询", "推进政府公报数字化，公报内容在网站同步发布",
             "在政务服务大厅设置政府信息查阅点，方便群众就近查阅", "整合部门网站栏目，统一信息公开平台入口")
_OVERSIGHT = ("将政务公开纳入年度绩效考核", "开展政务公开社会评议，邀请群众代表参与评价", "组织政务公开业务培训",
              "开展政府网站和政务新媒体季度检查", "建立问题整改台账，逐项销号", "明确专人负责政务公开工作")
_PROBLEMS = ("政策解读形式较为单一，图解、视频等形式运用不多", "部分栏目更新不够及时，信息发布的时效性有待提高",
             "基层工作人员业务能力参差不齐，对公开要求理解不到位",
             "依申请公开答复的规范性有待提升，个别答复说理不够充分",
             "主动公开内容与群众需求的契合度不高，互动回应不够", "公开平台建设相对滞后，移动端服务功能不完善")
_MEASURES = ("丰富解读形式，增加图解、视频和现场解读", "建立信息发布提醒机制，定期巡查栏目更新情况",
             "分层分类开展业务培训，提升工作人员能力", "完善答复文书模板，加强答复前的法制审核",
             "加强对公众关注热点的研判，提高回应的针对性", "推进平台升级改造，完善移动端查询和申请功能",
             "健全考核评价机制，把公开质量纳入日常督查")


def _some(rng: random.Random, pool: tuple[str, ...], count: int) -> str:
    return "，".join(rng.sample(pool, count))


def overview(agency: str, year: int, values: dict[str, Number | None], rng: random.Random) -> str:
    """Section 一 of a 2019/2021 report: the five topics, with numbers that restate the tables."""
    new = _n(values, "requests.new_received.total")
    review = _n(values, "appeals.review.total")
    items = rng.randint(80, 3000)
    requests = (f"（二）依申请公开情况。{year}年，全年共受理政府信息公开申请{new}件，均在法定期限内予以答复。"
                if new else f"（二）依申请公开情况。{year}年，本机关未收到政府信息公开申请。")
    appeals = (f"因政府信息公开引发行政复议{review}件。" if review else "")
    return "\n\n".join([
        f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，{rng.choice(_ACTIVE)}。",
        f"（一）主动公开情况。全年主动公开各类政府信息{items}条，{_some(rng, _ACTIVE, 2)}。",
        requests + appeals,
        f"（三）政府信息管理情况。{_some(rng, _MANAGEMENT, 2)}。",
        f"（四）政府信息公开平台建设情况。{_some(rng, _PLATFORM, 2)}。",
        f"（五）监督保障情况。{_some(rng, _OVERSIGHT, 2)}，开展社会评议和年度考核，未发生责任追究情况。",
    ])


def problems(rng: random.Random) -> str:
    first, second = rng.sample(_PROBLEMS, 2)
    measures = rng.sample(_MEASURES, 3)
    return (f"存在的主要问题：一是{first}；二是{second}。"
            f"改进措施：下一步将{measures[0]}；{measures[1]}；{measures[2]}，不断提升政务公开工作质量。")


def other_matters(agency: str, year: int, fee_wan: float | None) -> str:
    fee = (f"{year}年度，{agency}依据《政府信息公开信息处理费管理办法》共收取信息处理费{fee_wan}万元。" if fee_wan
           else f"{year}年度，{agency}未收取政府信息公开信息处理费。")
    return (fee + "\n\n人大代表建议和政协提案办理结果按规定公开；年度政务公开工作要点各项任务均已落实。"
            "\n\n无其他需要报告的事项。")


def legacy_overview(agency: str, year: int, values: dict[str, Number | None]) -> str:
    items = _n(values, "legacy.proactive.items")
    received = _n(values, "legacy.request.received.total")
    return "\n\n".join([
        f"本报告根据《中华人民共和国政府信息公开条例》要求，由{agency}编制。",
        f"{year}年，{agency}主动公开政府信息{items}条，收到政府信息公开申请{received}件，均按时予以答复。",
        "本报告中所列数据的统计期限自" f"{year}年1月1日起至{year}年12月31日止。",
    ])
