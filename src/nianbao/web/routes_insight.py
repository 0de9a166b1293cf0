"""Dashboard, compare and exports from lists (issue #13)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
