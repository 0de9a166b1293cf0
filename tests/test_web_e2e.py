"""The reviewer's whole round in a real browser: Playwright driving Debian's chromium (headless).

Sign in; upload three reports and a zip of two; watch the job page until it is done; open the
flagged report, click a flagged cell and land on its source line; confirm a finding with a
comment; download the 审核意见 DOCX and find the finding and the comment in it; export the list
as CSV; open the report whose text carries ``<script>`` and see it as text. Skips when
/usr/bin/chromium is absent (``make system-deps`` installs it); never downloads a browser.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from builder import consistent_values, report_text
from web_support import chromium, needs_chromium, served, store_with_users

if TYPE_CHECKING:
    from playwright.sync_api import Dialog

pytestmark = needs_chromium
playwright_api = pytest.importorskip("playwright.sync_api")

INJECTION = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"
PASSWORD = "e2e password 1"
COMMENT = "总计与分项之和不符，请核对后更正"


def _reports(folder: Path) -> list[Path]:
    """Three report files and a zip of two more: one with an error, one with hostile text."""
    folder.mkdir()
    flagged: dict[str, int | float | str] = {**consistent_values(), "requests.total.total": 13}
    plain: dict[str, int | float | str] = {**consistent_values()}
    (folder / "flagged.txt").write_text(report_text(flagged, agency="青川县示范局"), encoding="utf-8")
    (folder / "plain.txt").write_text(report_text(plain, agency="宝清县人民政府", year=2022), encoding="utf-8")
    (folder / "hostile.txt").write_text(report_text(plain, agency="饶河县人民政府", section_six="某某" + INJECTION),
                                        encoding="utf-8")
    with zipfile.ZipFile(folder / "more.zip", "w") as bundle:
        bundle.writestr("县/集贤.txt", report_text(plain, agency="集贤县人民政府"))
        bundle.writestr("县/友谊.txt", report_text(plain, agency="友谊县人民政府"))
    return [folder / n for n in ("flagged.txt", "plain.txt", "hostile.txt", "more.zip")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db = str(tmp_path / "e2e.db")
    store_with_users(db, [("审核员乙", "reviewer")], PASSWORD)
    with served(db, tmp_path / "uploads") as url:
        yield url


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_upload_review_letter_and_export_in_a_browser(server: str, tmp_path: Path) -> None:
    files = _reports(tmp_path / "upload")
    expect = playwright_api.expect
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

        # sign in
        page.goto(server + "/reports")
        assert page.url.endswith("/login")
        page.fill("input[name=name]", "审核员乙")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login button")
        page.wait_for_url("**/reports")

        # upload three reports and a zip, then watch the job until it is done
        page.goto(server + "/upload")
        page.set_input_files("#files", [str(f) for f in files])
        page.click("form.upload button[type=submit]")
        page.wait_for_url("**/uploads/*", timeout=60_000)
        seen: set[str] = set()
        deadline = time.monotonic() + 240
        while "已完成" not in page.locator("#job-status").inner_text():
            seen.update(page.locator("tr.job-file").evaluate_all("rows => rows.map(r => r.dataset.state)"))
            assert time.monotonic() < deadline, "the upload job did not finish"
            page.wait_for_timeout(200)
        expect(page.locator("tr.job-file")).to_have_count(5)
        assert page.locator("#job-progress").evaluate("bar => [bar.value, bar.max]") == [5, 5]
        states = page.locator("tr.job-file").evaluate_all("rows => rows.map(r => r.dataset.state)")
        assert states == ["已入库"] * 5, (states, seen)
        names = page.locator("tr.job-file td.name").all_inner_texts()
        assert {"flagged.txt", "plain.txt", "hostile.txt"} <= set(names)
        assert sum(n.startswith("more.zip/") for n in names) == 2
        links = dict(zip(names, page.locator("tr.job-file a.report-link").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"), strict=True))

        # open the flagged report and click a flagged cell: its source line is the target
        page.goto(server + links["flagged.txt"])
        cell = page.locator("td.cell.flagged").first
        expect(cell).to_be_visible()
        shown = cell.inner_text().strip()
        cell.locator("a[href*='#L']").click()
        page.wait_for_url("**#L*")
        line_id = page.url.rsplit("#", 1)[1]
        target = page.locator("#source :target")
        expect(target).to_have_count(1)
        assert target.get_attribute("id") == line_id
        assert shown and shown in target.inner_text()  # the number is printed on that line
        expect(page.locator(f"#source #{line_id}")).to_be_in_viewport()

        # confirm a finding with a comment
        finding = page.locator("section.finding").first
        message = re.sub(r"^\[[^]]+\] ", "", finding.locator("p.message").inner_text().strip())
        finding.locator("select[name=decision]").select_option("确认")
        finding.locator("input[name=comment]").fill(COMMENT)
        finding.locator("button").click()
        page.wait_for_load_state()
        mark = page.locator("section.finding p.mark").first.inner_text()
        assert "确认" in mark and "审核员乙" in mark and COMMENT in mark

        # the 审核意见 letter holds the confirmed finding and its comment
        with page.expect_download() as letter:
            page.click("text=下载审核意见（DOCX）")
        saved = tmp_path / "letter.docx"
        letter.value.save_as(saved)
        text = _docx_text(saved)
        assert COMMENT in text and message in text and "青川县示范局" in text

        # export the list as CSV
        page.goto(server + "/reports")
        assert page.locator("table.list tbody tr").count() == 5
        with page.expect_download() as export:
            page.click("p.export a:text('CSV')")
        exported = tmp_path / "export.csv"
        export.value.save_as(exported)
        rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
        body = "\n".join(",".join(r) for r in rows[1:])
        assert len(rows) == 6 and all(a in body for a in ("青川县示范局", "集贤县人民政府", "饶河县人民政府"))

        # hostile report text is shown as text; nothing in it runs
        page.goto(server + links["hostile.txt"])
        assert "PWNED" not in page.title() and not dialogs
        assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
        assert INJECTION in page.inner_text("main")
