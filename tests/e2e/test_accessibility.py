"""Every role's pages and the waiting-room display in Chromium at 1280 and 390 px, on the demo: axe-core finds
no serious or critical violation and leaves no colour contrast undecided, nothing logs a console error (the
browser's own /favicon.ico request included), no page scrolls sideways and no control of the page sits off-screen
(issue #13, parts 4 and 8; docs/accessibility.md). At 390 px it takes the phone screenshots of docs/screenshots."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Hospital
from tests.e2e.conftest import axe_problems, layout_problems, nav_problems, screenshot
from tests.e2e.test_role_pages import HOMES, login

WIDTHS = (1280, 390)
PHONE = 390


# Pages a role reaches from a page rather than from its navigation
BEYOND_NAV = {"doctor1@waitless.example": ["/doctor/photo"]}

# The phone layouts documented in docs/screenshots, taken on the way (a role's home page, or a page it links to)
PHONE_SHOTS = {"staff@waitless.example home": "staff-home-phone",
               "staff@waitless.example /staff/desk": "queue-desk-phone",
               "nurse@waitless.example home": "queue-nurse-phone",
               "patient1@waitless.example home": "patient-home-phone",
               "doctor1@waitless.example home": "doctor-home-phone",
               "staff@waitless.example /staff/waitlist": "staff-waitlist-phone",
               "admin@waitless.example /admin/users": "admin-users-phone"}


def check(page, width: int) -> list:
    problems = axe_problems(page) + layout_problems(page)
    if width > PHONE:
        problems += nav_problems(page, width)
    return problems


def new_page(browser, width: int, errors: list[str]):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    return context, page


def shoot(page, width: int, where: str) -> None:
    if width == PHONE and where in PHONE_SHOTS:
        screenshot(page, PHONE_SHOTS[where], full_page=False)  # the first screen: the demo's lists run long


@pytest.mark.parametrize("width", WIDTHS)
def test_role_pages_are_accessible_without_console_errors(browser, live_server, demo_region, width):
    """Each demo login's home page, then every page its navigation links to."""
    errors: list[str] = []
    found: dict[str, list] = {}
    for email, heading, _shot in HOMES:
        context, page = new_page(browser, width, errors)
        login(page, live_server, email)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        page.wait_for_load_state("networkidle")  # the favicon request and the live pages' first fetches
        found[f"{email} home"] = check(page, width)
        shoot(page, width, f"{email} home")
        links = page.evaluate("[...document.querySelectorAll('#nav .navbar-nav a.nav-link[href]')]"
                              ".map(a => a.getAttribute('href')).filter(h => h.startsWith('/'))")
        assert links, email
        for href in links + BEYOND_NAV.get(email, []):
            page.goto(live_server + href)
            page.wait_for_load_state("networkidle")
            found[f"{email} {href}"] = check(page, width)
            shoot(page, width, f"{email} {href}")
        context.close()
    assert {where: problems for where, problems in found.items() if problems} == {}
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_start_page_and_waiting_room_display_are_accessible(browser, live_server, demo_region, width):
    """The pages nobody logs in for: the start page, then the waiting-room display."""
    hospital = db.session.scalars(select(Hospital).order_by(Hospital.id)).first()
    errors: list[str] = []
    context, page = new_page(browser, width, errors)
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert check(page, width) == []
    page.goto(f"{live_server}/kiosk/{hospital.id}/display")
    expect(page.get_by_role("heading", level=1)).to_contain_text(hospital.name)
    assert check(page, width) == []  # the start overlay, as the screen first shows
    page.get_by_role("button", name="Start display").click()
    expect(page.locator("#display-start")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    assert check(page, width) == []
    context.close()
    assert errors == []
