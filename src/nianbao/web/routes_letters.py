"""The 审核意见 letter: per agency, DOCX and PDF, from an editable template (issue #13)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
