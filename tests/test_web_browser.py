"""The reviewer's desk in a real browser: Playwright driving Debian's chromium (headless).

Signs in, opens a flagged report from the list, sees the report's hostile text as text (no
script ran), and confirms a finding with a comment. Skips when /usr/bin/chromium is absent
(``make system-deps`` installs it); never downloads a browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from builder import consistent_values, report_text
from web_support import chromium, needs_chromium, served, store_with_users

pytestmark = needs_chromium
playwright_api = pytest.importorskip("playwright.sync_api")

INJECTION = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"
PASSWORD = "browser pass 1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "reports"
    folder.mkdir()
    values = consistent_values()
    values["requests.total.total"] = 13  # an error finding to review
    (folder / "hostile.txt").write_text(report_text(values, agency="青川县示范局", section_six="某某" + INJECTION),
                                        encoding="utf-8")
    db = str(tmp_path / "browser.db")
    store_with_users(db, [("审核员甲", "reviewer")], PASSWORD, [folder / "hostile.txt"])
    with served(db, tmp_path / "uploads") as url:
        yield url


def test_sign_in_open_a_report_and_confirm_a_finding(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server + "/reports")
        assert page.url.endswith("/login")  # not signed in: sent to the login page
        page.fill("input[name=name]", "审核员甲")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login button")
        page.wait_for_url("**/reports")
        assert "青川县示范局" in page.inner_text("table.list")
        page.click("text=青川县示范局")
        page.wait_for_url("**/reports/*")
        assert "PWNED" not in page.title() and not dialogs
        assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
        assert INJECTION in page.inner_text("main")  # shown as text
        first = page.locator("section.finding").first
        assert first.is_visible()
        first.locator("select[name=decision]").select_option("确认")
        first.locator("input[name=comment]").fill("总计与分项之和不符，请更正")
        first.locator("button").click()
        page.wait_for_load_state()
        mark = page.locator("section.finding p.mark").first.inner_text()
        assert "确认" in mark and "审核员甲" in mark and "总计与分项之和不符，请更正" in mark
