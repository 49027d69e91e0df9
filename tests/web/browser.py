"""A real browser for the web tests: Debian's chromium driven by Playwright's Python API (never
a downloaded browser), the app under uvicorn on 127.0.0.1, axe-core (npm, in .cache) injected
into each page, and a screenshot of each page under .cache/screenshots/."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from tests.servers import free_port
from trainmaster.web.app import create_app
from trainmaster.web.settings import Site

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / ".cache/axe-core/node_modules/axe-core/axe.min.js"
SCREENSHOTS = ROOT / ".cache/screenshots"
SERIOUS = ("serious", "critical")


@contextmanager
def serving(site: Site) -> Iterator[str]:
    """The app on a free 127.0.0.1 port, in this process (the same store object as the test)."""
    port = free_port()
    site.public_url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(create_app(site), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield site.public_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2 A and AA)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']}))"
        ".violations.map(v => [v.id, v.impact, v.nodes.length, v.help])"
    )
    return [f"{v[0]} ({v[1]}, {v[2]} nodes): {v[3]}" for v in found if v[1] in SERIOUS]


def snap(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
