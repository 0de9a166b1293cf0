"""The 审核意见 letter: a report's confirmed findings as the DOCX an office sends back (issue #13).

A library (no FastAPI): ``build_letter`` reads the store, ``letter_docx`` writes the DOCX. The wording
comes from a TOML template (the bundled ``letter_template.toml`` or an office's own copy).
"""

from __future__ import annotations

import copy
import io
import string
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import docx
import sqlalchemy as sa
from docx.enum.text import WD_ALIGN_PARAGRAPH

from nianbao.store import schema
from nianbao.store.app_schema import finding_reviews

DEFAULT_TEMPLATE = Path(__file__).with_name("letter_template.toml")
CONFIRMED = "确认"
PLACEHOLDERS = frozenset({"agency", "year", "file_name", "report_title", "count", "office", "date"})
_TEXT_FIELDS = ("title", "salutation", "opening", "no_findings", "closing")
_LABEL_FIELDS = ("office", "place_label", "line_label", "comment_label", "date_format")
_FIELD_PLACEHOLDERS = {"date_format": frozenset({"y", "m", "d"}), "line_label": frozenset({"line"})}


class LetterError(Exception):
    """A letter template that cannot be used (one Chinese line naming the file)."""


@dataclass(frozen=True)
class LetterTemplate:
    office: str
    title: str
    salutation: str
    opening: str
    no_findings: str
    closing: str
    date_format: str
    place_label: str
    line_label: str
    comment_label: str
    severity: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LetterFinding:
    rule: str
    severity: str
    message: str
    place: str
    comment: str
    reviewer: str


@dataclass(frozen=True)
class Letter:
    report_id: int
    agency: str
    year: int | None
    file_name: str
    title: str
    salutation: str
    opening: str
    findings: list[LetterFinding]
    closing: str
    office: str
    date: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean(text: str | None) -> str:
    """Untrusted text made safe for a DOCX run: control, surrogate and non-characters dropped."""
    kept = []
    for ch in text or "":
        if ch in "\n\t":
            kept.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in "\ufffe\uffff":
            continue
        else:
            kept.append(ch)
    return "".join(kept).strip()


def _check_placeholders(source: Path, name: str, text: str, allowed: frozenset[str]) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise LetterError(f"审核意见模板 {source}：{name} 的占位符写法有误（{exc}）") from None
    for f in fields:
        if f not in allowed:
            raise LetterError(f"审核意见模板 {source}：{name} 含未知占位符 {{{f}}}，可用：{'、'.join(sorted(allowed))}")


def load_template(path: Path | None = None) -> LetterTemplate:
    """The letter's wording from ``path`` (default: the bundled template); raises LetterError."""
    source = path or DEFAULT_TEMPLATE
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LetterError(f"审核意见模板 {source} 无法读取：{exc}") from None
    values: dict[str, str] = {}
    for name in _TEXT_FIELDS + _LABEL_FIELDS:
        value = data.get(name)
        if not isinstance(value, str):
            raise LetterError(f"审核意见模板 {source}：缺少文字项 {name}")
        _check_placeholders(source, name, value, _FIELD_PLACEHOLDERS.get(name, PLACEHOLDERS if name in _TEXT_FIELDS
                                                                        else frozenset()))
        values[name] = value
    severity = data.get("severity", {})
    if not isinstance(severity, dict) or not all(isinstance(v, str) for v in severity.values()):
        raise LetterError(f"审核意见模板 {source}：[severity] 应为文字对照表")
    return LetterTemplate(severity=dict(severity), **values)


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, values: dict[str, str]) -> str:
    return text.format_map(_Safe(values))


def fingerprint(rule: str, keys: str, line: int | None) -> str:
    """The review mark's key; the same form as ``routes_review.fingerprint`` (kept in step by a test)."""
    return f"{rule}|{keys}|{'' if line is None else line}"


def _place(template: LetterTemplate, place: str | None, line: int | None) -> str:
    parts = [clean(place)] if clean(place) else []
    if line is not None:
        parts.append(_fill(template.line_label, {"line": str(line)}))
    return "，".join(parts)


def build_letter(conn: sa.Connection, report_id: int, template: LetterTemplate,
                 today: date | None = None) -> Letter | None:
    """The letter for report ``report_id`` with its 确认 findings, or None when there is no such report."""
    R, A, F = schema.reports, schema.agencies, schema.findings
    meta = conn.execute(sa.select(R.c.id, R.c.path, R.c.year, R.c.title, R.c.agency.label("printed"),
                                  A.c.name.label("agency"))
                        .select_from(R.outerjoin(A, A.c.id == R.c.agency_id)).where(R.c.id == report_id)).first()
    if meta is None:
        return None
    marks = {m.fingerprint: m for m in conn.execute(
        finding_reviews.select().where(finding_reviews.c.report_id == report_id,
                                       finding_reviews.c.decision == CONFIRMED))}
    findings = []
    for row in conn.execute(sa.select(F).where(F.c.report_id == report_id).order_by(F.c.line, F.c.rule, F.c.id)):
        mark = marks.get(fingerprint(row.rule, row._mapping["keys"], row.line))
        if mark is None:
            continue
        findings.append(LetterFinding(rule=row.rule, severity=template.severity.get(row.severity, row.severity),
                                      message=clean(row.message), place=_place(template, row.place, row.line),
                                      comment=clean(mark.comment), reviewer=clean(mark.reviewer)))
    day = today or date.today()
    values = {"agency": clean(meta.agency or meta.printed) or "（未识别机关）",
              "year": "" if meta.year is None else str(meta.year),
              "file_name": clean(Path(meta.path).name), "report_title": clean(meta.title),
              "count": str(len(findings)), "office": template.office,
              "date": _fill(template.date_format, {"y": str(day.year), "m": str(day.month), "d": str(day.day)})}
    opening = template.opening if findings else template.no_findings
    return Letter(report_id=report_id, agency=values["agency"], year=meta.year, file_name=values["file_name"],
                  title=_fill(template.title, values), salutation=_fill(template.salutation, values),
                  opening=_fill(opening, values), findings=findings, closing=_fill(template.closing, values),
                  office=template.office, date=values["date"])


@cache
def _blank_document() -> Any:
    return docx.Document()


def letter_docx(letter: Letter, template: LetterTemplate) -> bytes:
    """The letter as DOCX bytes (every text a plain run: python-docx escapes it)."""
    # A copy of one parsed blank document: parsing python-docx's default template (styles.xml and
    # stylesWithEffects.xml, 800 kB) is most of a letter's cost, and a zip holds up to 2,000 letters.
    document = copy.deepcopy(_blank_document())
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.add_run(letter.title).bold = True
    document.add_paragraph().add_run(letter.salutation)
    document.add_paragraph().add_run(letter.opening)
    for number, finding in enumerate(letter.findings, 1):
        item = document.add_paragraph()
        item.add_run(f"{number}. ")
        item.add_run(f"【{finding.severity}】" if finding.severity else "")
        item.add_run(finding.message)
        if finding.place:
            document.add_paragraph().add_run(f"{template.place_label}：{finding.place}")
        if finding.comment:
            document.add_paragraph().add_run(f"{template.comment_label}：{finding.comment}")
    document.add_paragraph().add_run(letter.closing)
    for text in (letter.office, letter.date):
        signature = document.add_paragraph()
        signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signature.add_run(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def letter_pdf(letter: Letter, template: LetterTemplate) -> bytes:
    """The letter as PDF bytes, laid out as the DOCX (reportlab, no office suite): an embedded CJK
    TrueType font when the system has one, else STSong-Light, as ``nianbao render`` picks it."""
    from html import escape

    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from nianbao.render.writers import pdf_font

    font = pdf_font(pdfmetrics, UnicodeCIDFont)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=18, wordWrap="CJK", spaceAfter=4)
    indented = ParagraphStyle("indented", parent=body, leftIndent=22)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=22, alignment=TA_CENTER, spaceAfter=14)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        # Paragraph reads a mini-markup: report text is escaped so it stays text; line breaks kept.
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list[Any] = [para(letter.title, title), para(letter.salutation, body), para(letter.opening, body)]
    for number, finding in enumerate(letter.findings, 1):
        severity = f"【{finding.severity}】" if finding.severity else ""
        story.append(para(f"{number}. {severity}{finding.message}", body))
        if finding.place:
            story.append(para(f"{template.place_label}：{finding.place}", indented))
        if finding.comment:
            story.append(para(f"{template.comment_label}：{finding.comment}", indented))
    story += [para(letter.closing, body), Spacer(1, 18), para(letter.office, right), para(letter.date, right)]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                                 bottomMargin=25 * mm, title=letter.title, author=letter.office)
    document.build(story)
    return out.getvalue()


def letter_filename(letter: Letter, suffix: str = ".docx") -> str:
    """The download's name, e.g. ``审核意见-某某局-2023.docx`` (no path separators)."""
    stem = "-".join(p for p in ("审核意见", letter.agency, "" if letter.year is None else str(letter.year)) if p)
    return "".join("_" if ch in '/\\:*?"<>|' else ch for ch in stem) + suffix
