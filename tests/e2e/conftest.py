"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server in a thread."""
from __future__ import annotations

import os
import re
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


def sign_in(page, live_server: str, email: str, password: str) -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label(re.compile("Password")).fill(password)
    page.locator("#main form [type=submit]").click()


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    """full_page=False keeps the first screen only: what a phone shows before any scrolling."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def axe_problems(page) -> list[tuple]:
    """Serious or critical axe-core violations, and colour contrasts axe could not decide ("incomplete"): a contrast
    that passes only by luck of the background is not a design (docs/accessibility.md)."""
    # colours settle at once (Bootstrap drops its transitions for reduced motion) and nothing is hovered: axe reads
    # the page as it rests, not halfway through a button's hover fade
    page.emulate_media(reduced_motion="reduce")
    page.mouse.move(0, 0)
    # evaluated through the DevTools protocol: a <script> tag would be refused by the page's own CSP
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations', 'incomplete']})")
    problems = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in result["violations"]
                if v["impact"] in ("serious", "critical")]
    problems += [("undecided " + v["id"], [(n["target"], n["any"][0]["message"] if n["any"] else "")
                                           for n in v["nodes"]][:5])
                 for v in result["incomplete"] if v["id"] == "color-contrast"]
    return problems


# Every control of the page's main part lies within the window: a table that scrolls inside its own box keeps the
# page from scrolling sideways but hides Status, Move and Cancel off-screen just the same (issue #13, part 4).
LAYOUT = """() => {
  const width = window.innerWidth;
  const problems = [];
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) problems.push(['scrolls sideways', scroll]);
  const off = [...document.querySelectorAll(
      'main a[href], main button, main input:not([type=hidden]), main select, main textarea')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 1 && (r.right > width + 1 || r.left < -1); })
    .map(e => e.outerHTML.slice(0, 80));
  if (off.length) problems.push(['controls off-screen', off.slice(0, 5)]);
  return problems;
}"""


def layout_problems(page) -> list:
    return page.evaluate(LAYOUT)


def nav_problems(page, width: int) -> list:
    """From 1200 px the navigation fits its bar and the user menu is not cut off at the edge (issue #13, part 4)."""
    problems = []
    menu = page.locator("nav .dropdown-toggle")
    if menu.count():
        right = menu.evaluate("e => e.getBoundingClientRect().right")
        if right > width:
            problems.append(("user menu cut off", right))
    overflow = page.evaluate("(n => n ? n.scrollWidth - n.clientWidth : 0)(document.querySelector('#nav'))")
    if overflow > 0:
        problems.append(("navigation overflows", overflow))
    return problems
