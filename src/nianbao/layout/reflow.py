"""Text read by its labels, not its lines: a page saved by a crawler runs the whole report into
one line (or a few), headings, labels and numbers glued together. This stage cuts such a line
back into the lines the report printed, at the anchors the templates know:

* section headings (every template's titles and the ``headings`` legacy reports printed),
  matched exactly or, for misprints such as 行政法复议, closely;
* table rows: inside a run of at least ``MIN_ROWS`` row labels each followed by nothing but
  numbers, a line starts at every row, block and group label of the templates;
* web chrome and a crawler's fields (``【打印】``, ``当前位置``, ``发布时间：``), so that chrome
  is its own line and no longer takes the report with it.

A row's numbers stay as printed: one run of digits is kept glued to its label (the table
reader cuts it where the identities allow), several numbers apart go into a cell of their own.
Each new line keeps its place: the source line and the character where it starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from nianbao.layout.lines import CHROME_MARKERS, Line, is_chrome
from nianbao.normalize import UNITS, clean_text, dice
from nianbao.templates import all_templates

LONG_LINE = 300  # a line this long may be a run-together page
# A shorter line may still be a run-together table (a crawled 统计表 on a line of its own):
# so many labels with numbers glued after them (文件数条7212065, 申请数量713000074).
SHORT_TABLE_LINE = 100
_GLUED_NUMBER = re.compile(r"[\u4e00-\u9fff)）”]\s?\d")
MIN_GLUED = 6
MIN_ROWS = 3  # so many numeric rows in a run before a stretch of text is taken for a table
_CN = "一二三四五六七八九十"
_HEADING_START = re.compile(rf"([{_CN}]{{1,2}})\s*[、.．]\s*")
_NUMERIC_TAIL = re.compile(r"^[\d\s.,+\-−/—–]*$")
_ONE_RUN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")
_FIELD_CUTS = ("发布时间:", "发布日期:", "来源:", "信息来源:", "浏览次数", "【字体", "当前位置", "您当前的位置")
_TAIL_PREFIX = re.compile("^(?:" + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + ")")
_TAIL_SUFFIX = re.compile(r"(?:其中\s*[:：]?|\d[.、])\s*$")
_QUOTE_CLASS = "[\"'“”‘’「」]?"


@dataclass(frozen=True)
class _Anchors:
    headings: tuple[str, ...]  # cleaned section titles, no whitespace
    heading_exact: re.Pattern[str]
    labels: re.Pattern[str]  # every row, block and group label of a table read by rows
    table_heads: re.Pattern[str]  # the corner of a table with no section of its own (指标名称 …)
    enumerators: dict[str, tuple[tuple[re.Pattern[str], bool], ...]]  # by label body: (enumerator$, required)
    chrome: re.Pattern[str]


def reflow(lines: list[Line]) -> list[Line]:
    """The lines with every run-together line cut at its anchors, renumbered; unchanged (the same
    list) when no line needs it."""
    # (no line of SHORT_TABLE_LINE characters or fewer may run together: a length test spares the call)
    candidates = [line for line in lines if len(line.text) > SHORT_TABLE_LINE and _may_run_together(line)]
    if not candidates:
        return lines
    anchors = _anchors()
    pieces_of = {line.number: _cut(line.text, anchors) for line in candidates}
    if all(len(pieces) <= 1 for pieces in pieces_of.values()):
        return lines
    out: list[Line] = []
    for line in lines:
        pieces = pieces_of.get(line.number)
        if not pieces or len(pieces) <= 1:
            out.append(Line(len(out) + 1, line.raw, line.text, line.chrome, line.blank,
                            line.place or f"原文第{line.number}行", line.grid))
            continue
        for start, raw, text in pieces:
            place = f"{line.place + '，' if line.place else '原文'}第{line.number}行第{start + 1}字起"
            out.append(Line(len(out) + 1, raw, text, is_chrome(text), not text.strip(), place))
    return out


def _may_run_together(line: Line) -> bool:
    if line.blank or line.grid or "\t" in line.text:  # (a one-line page holds chrome: not a reason to skip it)
        return False
    size = len(line.text)
    if size > LONG_LINE:
        return True
    # a table line of another layout (markdown pipes, pdftotext -layout columns) is read as it is
    return (size > SHORT_TABLE_LINE and "|" not in line.text and "  " not in line.text
            and len(_GLUED_NUMBER.findall(line.text)) >= MIN_GLUED)


def _cut(text: str, anchors: _Anchors) -> list[tuple[int, str, str]]:
    """(start, raw piece, reading text) for each line the text holds."""
    cuts = {0, *_heading_cuts(text, anchors), *(m.start() for m in anchors.chrome.finditer(text)),
            *(m.start() for m in anchors.table_heads.finditer(text))}
    ordered = sorted(cuts)
    rows: dict[int, int] = {}  # row start → where its label ends
    for start, end in zip(ordered, [*ordered[1:], len(text)], strict=True):
        rows.update(_row_cuts(text, start, end, anchors))
    ordered = sorted(cuts | set(rows))
    pieces = []
    for start, end in zip(ordered, [*ordered[1:], len(text)], strict=True):
        raw = text[start:end]
        if not raw.strip():
            continue
        reading = _row_text(text[start:rows[start]], text[rows[start]:end]) if start in rows else _loose(raw)
        pieces.append((start, raw, reading))
    return pieces


def _heading_cuts(text: str, anchors: _Anchors) -> list[int]:
    """A cut before each section heading and one after its title (the heading is a line of its own)."""
    cuts: list[int] = []
    for found in _HEADING_START.finditer(text):
        start = found.start()
        before = text[start - 1] if start else " "
        if start and not (before.isspace() or before in "。;;!！?？)）]】" or before.isdigit()):
            continue
        title_end = _title_end(text, found.end(), anchors)
        if title_end is not None:
            cuts.extend((start, title_end))
    return cuts


def _title_end(text: str, start: int, anchors: _Anchors) -> int | None:
    """Where a known section title that starts at ``start`` ends (exactly, or a close misprint)."""
    window = text[start:start + 60]
    squeezed, offsets = _squeeze(window)
    exact = anchors.heading_exact.match(squeezed)
    if exact:
        return start + offsets[exact.end() - 1] + 1
    best: tuple[float, int] | None = None
    for title in anchors.headings:
        if len(title) < 6 or squeezed[:2] != title[:2]:
            continue
        for size in range(len(title) - 2, len(title) + 3):
            if size > len(squeezed):
                break
            score = dice(squeezed[:size], title)
            if score >= 0.8 and (best is None or score > best[0]):
                best = (score, size)
    return start + offsets[best[1] - 1] + 1 if best else None


def _row_cuts(text: str, start: int, end: int, anchors: _Anchors) -> dict[int, int]:
    """Row starts (→ label end) in ``text[start:end]``: the runs of labels followed by numbers only."""
    squeezed, offsets = _squeeze(text[start:end])
    found: list[tuple[int, int]] = []
    for match in anchors.labels.finditer(squeezed):
        key = "".join(ch for ch in match.group() if ch not in _QUOTES)
        begin = _enumerator_start(squeezed, match.start(), key, anchors)
        if begin is not None:
            found.append((max(begin, found[-1][1] if found else 0), match.end()))
    rows: dict[int, int] = {}
    run: list[tuple[int, int]] = []
    numeric = 0

    def close() -> None:
        if numeric >= MIN_ROWS:
            rows.update((start + offsets[a], start + offsets[b - 1] + 1) for a, b in run)

    for index, (a, b) in enumerate(found):
        tail = squeezed[b: found[index + 1][0] if index + 1 < len(found) else len(squeezed)]
        lead = _TAIL_SUFFIX.search(tail)  # 其中： before the next label belongs to it
        if lead and index + 1 < len(found):
            found[index + 1] = (b + lead.start(), found[index + 1][1])
            tail = tail[:lead.start()]
        kind = _tail_kind(tail)
        if kind == "prose":
            close()
            run, numeric = [], 0
            continue
        run.append((a, b))
        numeric += kind == "numbers"
    close()
    return rows


def _tail_kind(tail: str) -> str:
    """What follows a label up to the next: numbers, header words (no digits), or prose."""
    core = _TAIL_SUFFIX.sub("", _TAIL_PREFIX.sub("", tail.strip())).strip()
    if not core:
        return "header"
    if _NUMERIC_TAIL.match(core):
        return "numbers" if any(ch.isdigit() for ch in core) else "header"
    if any(ch.isdigit() for ch in core) or len(core) > 60 or "。" in core:
        return "prose"
    return "header"


def _row_text(label: str, tail: str) -> str:
    """A row as the table reader takes it: one run of digits glued to the label (and its unit),
    several numbers in a cell of their own."""
    label = label.strip()
    unit = _TAIL_PREFIX.match(tail.strip())
    head = unit.group() if unit else ""
    rest = tail.strip()[len(head):]
    run = _ONE_RUN.match(rest)
    if run:
        return f"{label}{head}{run.group(1)}"
    if rest.strip() and _NUMERIC_TAIL.match(rest):
        return f"{label}{head}\t{' '.join(rest.split())}"
    return f"{label}{tail.rstrip()}"


_TRAILING_RUN = re.compile(r"(?<=[\u4e00-\u9fff)）])\s+\d{5,}\s*$")
_TRAILING_NUMBERS = re.compile(r"(?:\s+[+\-]?\d+(?:\.\d+)?){3,}\s*$")


def _loose(piece: str) -> str:
    """A piece that is not a row: a header followed by numbers apart (表四 printed as one run of
    fifteen) gets its numbers in a cell of their own; other text stays as it is."""
    piece = piece.strip()
    if "。" in piece:
        return piece
    numbers = _TRAILING_NUMBERS.search(piece)
    if numbers is not None and numbers.start() > 0:
        return f"{piece[:numbers.start()].rstrip()}\t{' '.join(numbers.group().split())}"
    run = _TRAILING_RUN.search(piece)
    if run is not None and run.start() > 0:  # one glued run after the header: kept glued to it
        return piece[:run.start()].rstrip() + run.group().strip()
    return piece


def _squeeze(text: str) -> tuple[str, list[int]]:
    """The text without whitespace between two non-digits (labels and titles are matched
    without it; digits apart stay apart), and each kept character's index in ``text``."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        if ch.isspace():
            before = chars[-1] if chars else ""
            after = text[index + 1: index + 2]
            if not (before.isdigit() and after.isdigit()):
                continue
        chars.append(ch)
        offsets.append(index)
    return "".join(chars), offsets




@cache
def _anchors() -> _Anchors:
    titles: set[str] = set()
    labels: set[str] = set()
    table_titles: set[str] = set()
    corners: set[str] = set()
    for template in all_templates():
        for section in template.sections:
            titles.update((section.title, *section.variants))
        titles.update(template.headings)
        for table in template.tables:
            if table.section is None:  # its header starts a line: it holds the column names (累计)
                table_titles.add(table.title)
                corners.update(a for a in (table.corner, *table.anchors) if a and len(a) <= 4)
            if table.layout != "rows":
                continue
            labels.update(table.group_labels)
            labels.update(block.label for block in table.blocks)
            for _, row in table.rows(unmapped=True):
                labels.update((row.label, *row.variants))
    headings = tuple(sorted({_plain(t) for t in titles}, key=len, reverse=True))
    # A table title may carry the agency before it (七、平潭综合实验区政府信息公开情况统计表).
    exact = "|".join([*map(re.escape, headings),
                      *(rf"[^。,;:]{{0,30}}?{re.escape(_plain(t))}" for t in table_titles)])
    # Bodies only, as one alternation of literals (fast); the enumerator is checked looking back.
    specs = [_label_spec(label) for label in labels]
    bodies = sorted({body for body, *_ in specs}, key=len, reverse=True)
    enumerators: dict[str, list[tuple[re.Pattern[str], bool]]] = {}
    for _, key, enum, required in specs:
        enumerators.setdefault(key, []).append((re.compile(f"{enum}$"), required))
    label_pattern = "|".join(bodies)
    chrome = "|".join(re.escape(clean_text(m)) for m in (*CHROME_MARKERS, *_FIELD_CUTS))
    return _Anchors(headings=headings, heading_exact=re.compile(f"(?:{exact})"),
                    labels=re.compile(label_pattern), chrome=re.compile(chrome),
                    enumerators={k: tuple(v) for k, v in enumerators.items()},
                    table_heads=re.compile("|".join(map(re.escape, sorted(corners)))))


def _plain(text: str) -> str:
    return "".join(clean_text(text).split())


_ENUM = re.compile(rf"^(?:\((?P<pcn>[{_CN}]{{1,3}})\)、?|(?P<cn>[{_CN}]{{1,3}})[、.]"
                   r"|(?P<num>\d{1,2})[.、]|\((?P<pnum>\d{1,2})\))")
_QUOTES = set("\"'“”‘’「」")


def _label_spec(label: str) -> tuple[str, str, str, bool]:
    """(body pattern, body key, enumerator pattern, enumerator required) of a label: the body
    as printed with or without its quotes; the enumerator in any style, left out only when the
    body is long enough to be unmistakable. A label printed without one in the template may be
    numbered all the same (其中：1、政府网站公开数)."""
    plain = _plain(label)
    enum = _ENUM.match(plain)
    body = plain[enum.end():] if enum else plain
    body_pattern = "".join(_QUOTE_CLASS if ch in _QUOTES else re.escape(ch) for ch in body)
    key = "".join(ch for ch in body if ch not in _QUOTES)
    if not enum:
        return body_pattern, key, r"(?:\d[.、]|\(\d\))", False
    if enum.group("pcn") or enum.group("cn"):
        cn = enum.group("pcn") or enum.group("cn")
        enum_pattern = rf"(?:\({cn}\)、?|{cn}[、.])"
    else:
        number = enum.group("num") or enum.group("pnum")
        enum_pattern = rf"(?:{number}[.、]|\({number}\))"
    return body_pattern, key, enum_pattern, len(key) < 4


def _enumerator_start(squeezed: str, start: int, key: str, anchors: _Anchors) -> int | None:
    """Where a label whose body starts at ``start`` really starts (its enumerator before it);
    None when the body alone is too short to be this label without its enumerator."""
    before = squeezed[max(0, start - 6):start]
    options = anchors.enumerators.get(key, ())
    for pattern, _required in options:
        found = pattern.search(before)
        if found:
            return start - (len(before) - found.start())
    return None if options and all(required for _, required in options) else start
