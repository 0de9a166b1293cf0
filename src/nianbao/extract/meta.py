"""Report metadata: title, report year, issuing agency (发布机关) and publication date."""

from __future__ import annotations

import re
from datetime import date

from nianbao.layout.lines import Line
from nianbao.models import Meta, Section

_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD = re.compile(
    r"(?:19|20)\d{2}\s*年?\s*1\s*月?\s*1\s*日?\s*(?:起\s*)?(?:至|到|—|-|~)\s*((?:19|20)\d{2})\s*年?\s*12\s*月?\s*31"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?")
_DATE_LABEL = re.compile(r"(发布|发文|成文|公开|印发)(日期|时间)")
_REPORT_WORD = re.compile(r"报\s*告")
_GOV_SHORT = re.compile(r"[省市区县镇乡旗州]政府$")
MAX_TITLE_LINE = 60


def extract_meta(lines: list[Line], sections: list[Section]) -> Meta:
    body_start = sections[0].line if sections else len(lines) + 1
    top = [ln for ln in lines if ln.number < body_start and not ln.blank and not ln.chrome]
    title, title_line = _title(top)
    year, year_line = _year(title, title_line, lines)
    published = _published(top, lines, sections)
    if year is None and published is not None:
        year = int(published[:4]) - 1
    return Meta(year=year, agency=_agency(title) if title else None, title=title, published=published,
                year_line=year_line, title_line=title_line)


def _title(top: list[Line]) -> tuple[str | None, int | None]:
    """The short line at the top that says 报告, with the line above it when the title is
    printed on two lines (the issuer above, or a title wrapped mid-word: …工作年 / 度报告).
    A crawler's field name before it (标题：) is not part of the title."""
    short: list[Line] = []
    for line in top[:8]:
        text = _CRAWLER_FIELD.sub("", line.text.strip())
        if len(text) > MAX_TITLE_LINE or "。" in text:
            break
        if _DATE.search(text) and not _REPORT_WORD.search(text):
            continue  # "2022/1/29 14:59:38 来源:区政府办"
        short.append(line)
        if _REPORT_WORD.search(text):
            own = _nospace(text)
            above = _nospace(_CRAWLER_FIELD.sub("", short[-2].text.strip())) if len(short) >= 2 else ""
            # the title wrapped: the issuer above, a cut inside the words (…工作年 / 度报告), or
            # any cut that leaves this line without the agency (…2023年度 / 政府信息公开…)
            if above and (_looks_like_issuer(above) or ("信息公开" in above and "信息公开" not in own)
                          or (_agency(own) is None and _agency(above + own) is not None)):
                return above + own, short[-2].number
            return own, line.number
    return None, None


# What a crawler writes before the page's title: 标题: / 题目： / title:
_CRAWLER_FIELD = re.compile(r"^(?:标题|题目|文章标题|title|Title)\s*[:：]\s*")


def _nospace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _looks_like_issuer(text: str) -> bool:
    return bool(re.search(r"(政府|办公室|办公厅|局|委员会|委|厅|部|署|中心|院|办|所|处|街道|镇|乡)\s*$", text.strip()))


def _year(title: str | None, title_line: int | None, lines: list[Line]) -> tuple[int | None, int | None]:
    if title:
        m = _YEAR.search(title)
        if m:
            return int(m.group(1)), title_line
    for line in lines:
        m = _PERIOD.search(line.text)
        if m:
            return int(m.group(1)), line.number
    for line in lines[:80]:
        m = re.search(r"((?:19|20)\d{2})\s*年度", line.text)
        if m:
            return int(m.group(1)), line.number
    return None, None


def _agency(title: str) -> str | None:
    """发布机关: what the title prints before 政府信息公开, years removed.

    "…人民政府信息公开…" shares its 政府 with the tail; "…办公室政府信息公开…" does not.
    """
    text = re.sub(r"(?:19|20)\d{2}年度?", "", _nospace(title))
    text = re.sub(r"^关于", "", text)
    index = text.find("信息公开")
    if index <= 0:
        return None
    head = text[:index]
    if head.endswith("政府") and not head.endswith("人民政府") and not _GOV_SHORT.search(head):
        head = head[: -len("政府")]
    head = re.sub(r"(关于|的)$", "", head)
    return head or None


def _published(top: list[Line], lines: list[Line], sections: list[Section]) -> str | None:
    """A date printed under the title (web pages), labelled 发布日期, or signed at the end."""
    for line in top:
        m = _DATE.search(line.text)
        if m and len(line.text.strip()) <= MAX_TITLE_LINE and "统计" not in line.text:
            return _iso(m)
    for line in lines:
        # 日期 or 时间 ends every _DATE_LABEL match: two substring tests spare most lines the regex
        if ("日期" in line.text or "时间" in line.text) and _DATE_LABEL.search(line.text):
            m = _DATE.search(line.text)
            if m:
                return _iso(m)
    last_section_end = sections[-1].line if sections else 0
    for line in _last_content_lines(lines, last_section_end, 3):
        text = line.text.strip()
        m = _DATE.fullmatch(text)
        if m:
            return _iso(m)
    return None


def _last_content_lines(lines: list[Line], after: int, count: int) -> list[Line]:
    """The last ``count`` lines after line ``after`` that are neither blank nor chrome, last first
    (read from the end: lines come in order, and the end is all that is wanted)."""
    found: list[Line] = []
    for line in reversed(lines):
        if len(found) == count or line.number <= after:
            break
        if not line.blank and not line.chrome:
            found.append(line)
    return found


def _iso(m: re.Match[str]) -> str | None:
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None
