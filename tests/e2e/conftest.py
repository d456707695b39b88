"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server in a thread."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

# Debian's Chromium (scripts/ensure-browser installs it); CHROMIUM names another binary when needed
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
# The screenshots in docs/screenshots are refreshed only when asked (`make screenshots`); an ordinary test run
# writes them under instance/ so that it never changes the working tree.
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ("docs/screenshots" if os.environ.get("WAITLESS_SCREENSHOTS") == "1" else "instance/screenshots")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def live_server(app, monkeypatch):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # links in e-mails must point at this server; monkeypatch restores the setting for later tests
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def demo_region(runner):
    """The small demo (seed 1): every role's login with its pages filled."""
    result = runner.invoke(args=["demo", "seed", "--scale", "small", "--seed", "1"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        # fail, never skip: a run without the browser tests must not pass (make test runs scripts/ensure-browser)
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-browser (as root it installs chromium through apt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A browser tab that fails the test when the page breaks its own Content-Security-Policy (docs/security.md):
    an inline script, style or handler would silently stop working for real users."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert violations == [], violations


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
