from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from nianbao.ingest import read_text
from nianbao.models import Report
from nianbao.pipeline import parse_document

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def parse(text: str) -> Report:
    return parse_document(read_text(text, path="test.txt"))


def rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "gold").is_dir():
        pytest.skip("../shared is not present")
    return SHARED
