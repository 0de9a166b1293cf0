"""The 审核意见 letter: per report, as DOCX and as JSON, from an editable template (issue #13)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from nianbao.web.app import WebError, current, store_of
from nianbao.web.letter import (
    Letter,
    LetterError,
    LetterTemplate,
    build_letter,
    letter_docx,
    letter_filename,
    letter_pdf,
    load_template,
)

router = APIRouter()
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


def _template(request: Request) -> LetterTemplate:
    try:
        return load_template(request.app.state.settings.letter_template)
    except LetterError as exc:
        raise WebError(500, str(exc)) from None


def _letter(request: Request, report_id: int, template: LetterTemplate) -> Letter:
    with store_of(request).engine.connect() as conn:
        letter = build_letter(conn, report_id, template)
    if letter is None:
        raise WebError(404, f"没有编号为 {report_id} 的报告")
    return letter


def content_disposition(name: str, fallback: str) -> str:
    """An attachment header with an ASCII fallback and the RFC 5987 UTF-8 name."""
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(name, safe="")}'


def _download(request: Request, report_id: int, suffix: str) -> Response:
    """The letter as a file: ``.docx`` or ``.pdf``, named after agency and year."""
    current(request)
    template = _template(request)
    letter = _letter(request, report_id, template)
    content, media_type = ((letter_pdf(letter, template), PDF_TYPE) if suffix == ".pdf"
                           else (letter_docx(letter, template), DOCX_TYPE))
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": content_disposition(letter_filename(letter, suffix),
                                                                        f"letter-{report_id}{suffix}")})


@router.get("/reports/{report_id}/letter.docx", include_in_schema=False)
def letter_download(request: Request, report_id: int) -> Response:
    return _download(request, report_id, ".docx")


@router.get("/reports/{report_id}/letter.pdf", include_in_schema=False)
def letter_pdf_download(request: Request, report_id: int) -> Response:
    return _download(request, report_id, ".pdf")


@router.get("/api/reports/{report_id}/letter")
def letter_api(request: Request, report_id: int) -> dict[str, Any]:
    """The 审核意见 letter's content: title, opening, the 确认 findings with place and comment, closing."""
    current(request)
    return _letter(request, report_id, _template(request)).as_dict()
