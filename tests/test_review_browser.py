"""The review page in a real browser (Debian chromium, headless): it renders, the offending
cells are highlighted, and nothing from a report's text can inject markup or script."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from builder import consistent_values, report_text
from nianbao.batch import parse_batch
from nianbao.review.html import review_page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make system-deps)")

INJECTION = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
             f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    values = consistent_values()
    values["requests.total.total"] = 13  # results_total and balance fail in the 总计 column
    hostile = tmp_path / "r<b>x.txt"
    hostile.write_text(report_text(values, section_six="某某" + INJECTION), encoding="utf-8")
    clean = tmp_path / "clean.txt"
    clean.write_text(report_text(consistent_values(), year=2022), encoding="utf-8")
    path = tmp_path / "review.html"
    path.write_text(review_page(parse_batch([hostile, clean])), encoding="utf-8")
    return path


def test_page_renders_with_highlights_and_no_injection(tmp_path, page):
    result = _chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = result.stdout
    assert "<title>政府信息公开工作年度报告审核意见</title>" in dom  # no script changed the title
    assert "PWNED" not in dom.split("<body")[0]
    assert "<img" not in dom and "<script" not in dom  # the report's markup stayed text
    assert "&lt;script&gt;" in dom
    assert "r&lt;b&gt;x.txt" in dom
    assert 'data-key="requests.total.total" class="flag-error' in dom
    assert dom.count("<section") == 2


def test_page_screenshot_shows_the_highlight(tmp_path, page):
    from PIL import Image

    shot = tmp_path / "shot.png"
    _chromium(tmp_path, "--window-size=1200,2600", f"--screenshot={shot}", page.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 2600)
    colours = image.getcolors(maxcolors=1 << 20) or []
    # the error highlight's fill (#f8b4b4) and the summary's error cell (#fbd5d5) are painted
    painted = {colour for _, colour in colours}
    assert (0xF8, 0xB4, 0xB4) in painted or (0xFB, 0xD5, 0xD5) in painted
