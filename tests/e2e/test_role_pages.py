"""Each demo login sees its role's home page in Chromium; the screenshots document the main pages."""
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD
from tests.e2e.conftest import nav_problems, screenshot

HOMES = [
    ("admin@waitless.example", "Administration", "admin-home"),
    ("staff@waitless.example", "Front desk", "staff-home"),
    ("nurse@waitless.example", "Nurse station", "nurse-home"),
    ("doctor1@waitless.example", "Good day", "doctor-home"),
    ("patient1@waitless.example", "Hello", "patient-home-demo"),
]


def login(page, base: str, email: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_every_role_home_page(browser, live_server, demo_region):
    violations: list[str] = []  # of the Content-Security-Policy, as in the page fixture
    for email, heading, shot in HOMES:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text
                else None)
        login(page, live_server, email)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        screenshot(page, shot)
        context.close()
    assert violations == [], violations


def test_admin_pages_and_german(page, live_server, demo_region):
    login(page, live_server, "admin@waitless.example")
    for path, shot in (("/admin/hospitals", "admin-hospitals"), ("/admin/doctors", "admin-doctors"),
                       ("/admin/users", "admin-users"), ("/admin/audit", "admin-audit")):
        page.goto(live_server + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        screenshot(page, shot)
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    # the longest labels (German, the admin's navigation) still fit at 1280 px, the user menu on the screen
    assert nav_problems(page, 1280) == []
    expect(page.locator("nav .dropdown-toggle")).to_be_in_viewport(ratio=1)
    screenshot(page, "admin-audit-de")
