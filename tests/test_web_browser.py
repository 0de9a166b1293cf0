"""The reviewer's desk in a real browser: Playwright driving Debian's chromium (headless).

Signs in, opens a flagged report from the list, sees the report's hostile text as text (no
script ran), and confirms a finding with a comment. Skips when /usr/bin/chromium is absent
(``make system-deps`` installs it); never downloads a browser.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder import consistent_values, report_text
from nianbao.store.db import open_store
from nianbao.store.ingest import ingest
from nianbao.web import Settings, create_app
from nianbao.web.accounts import add_user

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (make system-deps)")
playwright_api = pytest.importorskip("playwright.sync_api")

INJECTION = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"
PASSWORD = "browser pass 1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    import uvicorn

    folder = tmp_path / "reports"
    folder.mkdir()
    values = consistent_values()
    values["requests.total.total"] = 13  # an error finding to review
    (folder / "hostile.txt").write_text(report_text(values, agency="青川县示范局", section_six="某某" + INJECTION),
                                        encoding="utf-8")
    db = str(tmp_path / "browser.db")
    store = open_store(db)
    ingest(store, [folder / "hostile.txt"], jobs=1)
    with store.engine.begin() as conn:
        add_user(conn, "审核员甲", "reviewer", PASSWORD)
    store.engine.dispose()
    port = _free_port()
    app = create_app(Settings(db=db, upload_dir=tmp_path / "uploads"))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_sign_in_open_a_report_and_confirm_a_finding(server: str) -> None:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
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
        finally:
            browser.close()
