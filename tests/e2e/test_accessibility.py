"""Every role's pages and the waiting-room display in Chromium at 1280 and 390 px, on the demo: axe-core finds
no serious or critical violation and leaves no colour contrast undecided, nothing logs a console error (the
browser's own /favicon.ico request included), and no page scrolls sideways on a phone (issue #13, parts 4 and 8;
docs/accessibility.md)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Hospital
from tests.e2e.test_patient_portal import AXE
from tests.e2e.test_role_pages import HOMES, login

WIDTHS = (1280, 390)
PHONE = 390


def axe_problems(page) -> list[tuple]:
    """Serious or critical violations, and colour contrasts axe could not decide ("incomplete"): a contrast that
    passes only by luck of the background is not a design (docs/accessibility.md)."""
    # evaluated through the DevTools protocol: a <script> tag would be refused by the page's own CSP
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations', 'incomplete']})")
    problems = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in result["violations"]
                if v["impact"] in ("serious", "critical")]
    problems += [("undecided " + v["id"], [(n["target"], n["any"][0]["message"] if n["any"] else "")
                                           for n in v["nodes"]][:5])
                 for v in result["incomplete"] if v["id"] == "color-contrast"]
    return problems


def check(page, width: int) -> list:
    problems = axe_problems(page)
    menu = page.locator("nav .dropdown-toggle")
    if width > PHONE and menu.count():  # the user menu fits beside the navigation, not cut off at the edge
        right = menu.evaluate("e => e.getBoundingClientRect().right")
        if right > width:
            problems.append(("user menu cut off", right))
    if width == PHONE:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > PHONE:
            problems.append(("scrolls sideways", scroll))
    return problems


def new_page(browser, width: int, errors: list[str]):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    return context, page


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
        links = page.evaluate("[...document.querySelectorAll('#nav .navbar-nav a.nav-link[href]')]"
                              ".map(a => a.getAttribute('href')).filter(h => h.startsWith('/'))")
        assert links, email
        for href in links:
            page.goto(live_server + href)
            page.wait_for_load_state("networkidle")
            found[f"{email} {href}"] = check(page, width)
        context.close()
    assert {where: problems for where, problems in found.items() if problems} == {}
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_waiting_room_display_is_accessible(browser, live_server, demo_region, width):
    hospital = db.session.scalars(select(Hospital).order_by(Hospital.id)).first()
    errors: list[str] = []
    context, page = new_page(browser, width, errors)
    page.goto(f"{live_server}/kiosk/{hospital.id}/display")
    expect(page.get_by_role("heading", level=1)).to_contain_text(hospital.name)
    assert check(page, width) == []  # the start overlay, as the screen first shows
    page.get_by_role("button", name="Start display").click()
    expect(page.locator("#display-start")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    assert check(page, width) == []
    context.close()
    assert errors == []
