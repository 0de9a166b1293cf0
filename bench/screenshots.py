"""Screenshots of the web app's main pages for the docs (docs/img/web-*.png), from a small demo store.

    .venv/bin/python bench/screenshots.py                 # needs /usr/bin/chromium (make system-deps)
    .venv/bin/python bench/screenshots.py --out /tmp/shots

Writes fictional sample reports (``nianbao sample``: text, PDF and Word), ingests them into a
fresh store with no user, serves the app on a free local port and drives Debian's chromium
through Playwright: the one-time setup page (which creates the admin), the reports list, a
report with a flagged cell clicked, an upload job, compare across years, the dashboard, and
the login page. Chinese text needs a CJK font (fonts-wqy-zenhei).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--font-render-hinting=none"]
ADMIN, PASSWORD = "管理员", "demo password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(db: Path, uploads: Path) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    from nianbao.web import Settings, create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(db=str(db), upload_dir=uploads)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def _demo(folder: Path, count: int) -> tuple[Path, list[dict[str, Any]], list[Path]]:
    """A store of ``count`` sample reports (no user yet), its manifest, and three more files to upload."""
    from nianbao.sample.corpus import make_corpus
    from nianbao.store.db import open_store
    from nianbao.store.ingest import ingest

    manifest = make_corpus(folder / "corpus", count, seed=5, defect_share=0.5, formats=("txt", "pdf", "docx"))
    db = folder / "demo.db"
    store = open_store(str(db))
    ingest(store, sorted((folder / "corpus" / "cases").iterdir()), jobs=2)
    store.engine.dispose()
    make_corpus(folder / "more", 3, seed=9, defect_share=0.5, formats=("txt", "docx"))
    return db, manifest, sorted((folder / "more" / "cases").iterdir())


def _compare_target(manifest: list[dict[str, Any]]) -> tuple[str, list[int]]:
    """The agency with the most years under one template, and those years."""
    years: dict[tuple[str, str], list[int]] = defaultdict(list)
    for entry in manifest:
        years[str(entry["agency"]), str(entry["template"])].append(int(entry["year"]))
    agency, template = max(years, key=lambda k: (len(years[k]), k[1] == "2021"))
    return agency, sorted(years[agency, template])


def shoot(out: Path, count: int) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="nianbao-shots-") as tmp:
        db, manifest, uploads = _demo(Path(tmp), count)
        base, server, thread = _serve(db, Path(tmp) / "uploads")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                page = browser.new_page(viewport={"width": 1360, "height": 860}, locale="zh-CN")

                def snap(name: str, full: bool = False) -> None:
                    path = out / f"web-{name}.png"
                    page.screenshot(path=str(path), full_page=full)
                    saved.append(path)

                page.goto(base + "/")
                page.wait_for_url("**/setup")
                page.fill("input[name=name]", ADMIN)
                page.fill("input[name=password]", PASSWORD)
                page.fill("input[name=password2]", PASSWORD)
                snap("setup")
                page.click("form.setup button")
                page.wait_for_url("**/reports")

                page.goto(base + "/reports?sort=errors&order=desc")
                snap("reports")

                links = page.locator("table.reports tbody td:nth-child(2) a").evaluate_all(
                    "links => links.map(a => a.getAttribute('href'))")
                for link in links:  # the first report (most errors first) with a flagged cell to click
                    page.goto(base + link)
                    flagged = page.locator("td.cell.flagged a[href*='#L']")
                    if flagged.count():
                        flagged.first.click()
                        page.wait_for_load_state()
                        break
                snap("report")

                page.goto(base + "/upload")
                page.set_input_files("#files", [str(f) for f in uploads])
                page.click("form.upload button[type=submit]")
                page.wait_for_url("**/uploads/*")
                deadline = time.monotonic() + 120
                while "已完成" not in page.locator("#job-status").inner_text() and time.monotonic() < deadline:
                    page.wait_for_timeout(300)
                snap("upload")

                agency, years = _compare_target(manifest)
                page.goto(base + "/compare?" + "&".join([f"agency={agency}", *(f"years={y}" for y in years)]))
                snap("compare")

                page.goto(base + "/dashboard")
                page.wait_for_load_state("networkidle")
                snap("dashboard")

                page.click("form.logout button")
                page.wait_for_url("**/login")
                snap("login")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    parser.add_argument("--count", type=int, default=24, help="sample reports in the demo store")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (make system-deps installs chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in shoot(args.out, args.count):
        print(path)


if __name__ == "__main__":
    main()
