"""The reviewer's desk: a FastAPI app over the store (server-rendered pages and a JSON API)."""

from __future__ import annotations

from nianbao.web.app import Settings, create_app

__all__ = ["Settings", "create_app"]
