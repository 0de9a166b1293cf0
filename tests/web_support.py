"""What the web tests share: a store with its users, a zip of members, the app served by uvicorn on a free port, and
Debian's chromium driven by Playwright (headless; never downloaded, so the browser tests skip
without /usr/bin/chromium)."""

from __future__ import annotations

import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from nianbao.store.db import open_store
from nianbao.store.ingest import ingest
from nianbao.web import Settings, create_app
from nianbao.web.accounts import add_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (make system-deps)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def store_with_users(db: str, users: Sequence[tuple[str, str]], password: str, reports: Sequence[Path] = ()) -> int:
    """A store at ``db`` holding ``reports`` (ingested one job at a time) and ``users`` (name, role),
    all with ``password``; returns how many reports were stored. The engine is disposed after."""
    store = open_store(db)
    stored = ingest(store, list(reports), jobs=1).stored if reports else 0
    with store.engine.begin() as conn:
        for name, role in users:
            add_user(conn, name, role, password)
    store.engine.dispose()
    return stored


def zip_of(members: dict[str, bytes]) -> bytes:
    """A deflated zip archive of these members (name → content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@contextmanager
def served(db: str, upload_dir: Path) -> Iterator[str]:
    """The web app on the store ``db``, served by uvicorn in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    app = create_app(Settings(db=db, upload_dir=upload_dir))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, closed afterwards whatever the test did."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
