"""Uploads in a real browser (Playwright driving Debian's chromium, headless): files chosen and one
dropped on the drop zone go up in one job whose page updates itself until 已完成; without
JavaScript the plain form and the page's own refresh do the same. Skips without /usr/bin/chromium."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder import consistent_values, report_text
from web_support import chromium, needs_chromium, served, store_with_users

pytestmark = needs_chromium
playwright_api = pytest.importorskip("playwright.sync_api")
PASSWORD = "browser pass 1"


def _report(county: str) -> str:
    values: dict[str, int | float | str] = dict(consistent_values())
    return report_text(values, agency=f"{county}人民政府", year=2023)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db = str(tmp_path / "browser.db")
    store_with_users(db, [("审核员甲", "reviewer")], PASSWORD)
    with served(db, tmp_path / "saved") as url:
        yield url


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "picked"
    folder.mkdir()
    paths = []
    for name, county in (("jixian.txt", "集贤县"), ("youyi.txt", "友谊县"), ("baoqing.txt", "宝清县")):
        path = folder / name
        path.write_text(_report(county), encoding="utf-8")
        paths.append(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("folder/raohe.txt", _report("饶河县"))
    (folder / "folder.zip").write_bytes(buffer.getvalue())
    return [*paths, folder / "folder.zip"]


def _sign_in(page: object, server: str) -> None:
    assert isinstance(page, playwright_api.Page)
    page.goto(server + "/login")
    page.fill("input[name=name]", "审核员甲")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button")
    page.wait_for_url("**/reports")


def test_drop_upload_and_watch_the_job_finish(server: str, files: list[Path]) -> None:
    expect = playwright_api.expect
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "404" not in msg.text
                else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
                and not r.url.endswith("/favicon.ico") else None)
        _sign_in(page, server)
        page.goto(server + "/upload")
        assert page.locator("#drop-zone").is_visible()  # shown by the script, hidden without it
        page.set_input_files("#files", [str(f) for f in files])
        page.evaluate("""text => {
            const dropped = new DataTransfer();
            dropped.items.add(new File([text], "dropped.txt", {type: "text/plain"}));
            document.getElementById("drop-zone").dispatchEvent(
                new DragEvent("drop", {dataTransfer: dropped, bubbles: true, cancelable: true}));
        }""", _report("桦川县"))
        expect(page.locator("#chosen li")).to_have_count(5)
        assert page.evaluate("document.getElementById('files').files.length") == 5
        page.click("#upload-form button[type=submit]")
        page.wait_for_url("**/uploads/*")
        page.evaluate("window.notReloaded = true")
        expect(page.locator("#job-status")).to_contain_text("已完成", timeout=120_000)
        assert page.evaluate("window.notReloaded === true")  # the script updated the page in place
        assert "已入库 5，已在库中 0，失败 0" in page.inner_text("#job-status")
        rows = page.locator("tr.job-file")
        assert rows.count() == 5
        assert [rows.nth(i).get_attribute("data-state") for i in range(5)] == ["已入库"] * 5
        names = page.locator("tr.job-file td.name").all_inner_texts()
        assert names == ["jixian.txt", "youyi.txt", "baoqing.txt", "folder.zip/raohe.txt", "dropped.txt"]
        assert page.locator("a.report-link").count() == 5
        page.locator("a.report-link").nth(3).click()
        page.wait_for_url("**/reports/*")
        assert "饶河县" in page.inner_text("main")
        assert not errors, errors  # no CSP violation, no script error


def test_without_javascript_the_form_and_the_refresh_do_it(server: str, files: list[Path]) -> None:
    expect = playwright_api.expect
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=False).new_page()
        _sign_in(page, server)
        page.goto(server + "/upload")
        assert not page.locator("#drop-zone").is_visible()
        page.set_input_files("#files", [str(f) for f in files[:2]])
        page.click("#upload-form button[type=submit]")
        page.wait_for_url("**/uploads/*")
        expect(page.locator("#job-status")).to_contain_text("已完成", timeout=120_000)  # meta refresh
        assert page.locator("tr.job-file[data-state='已入库']").count() == 2
