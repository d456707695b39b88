"""Procedure teams in Chromium at 1280 and 390 px (docs/teams.md): the desk finds times when the whole team is
free, books one for a patient, and the booked time is gone from the next search; axe and the layout checks find
nothing on the search."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.models import Role
from app.services.booking.lists import local_today
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_patient_portal import assert_accessible
from tests.integration.team_world import team_world
from tests.integration.test_team_pages import _tied_patient


@pytest.mark.parametrize("width", (1280, 390))
def test_the_desk_books_a_procedure_team(page, live_server, make, width):
    world = team_world(make)
    make.user(Role.STAFF, world.hospital, email="desk@example.org")
    patient = _tied_patient(make, world.hospital)
    day = local_today(world.hospital) + timedelta(days=1)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "desk@example.org", PASSWORD)
    page.goto(f"{live_server}/staff/patients/{patient.id}")
    page.get_by_role("link", name="Book a procedure team").click()
    page.get_by_label("Procedure").select_option(label=f"Laser surgery · {world.hospital.name}")
    page.get_by_label("From").fill(day.isoformat())
    page.get_by_label("To").fill(day.isoformat())
    page.get_by_role("button", name="Find team times").click()
    first = page.locator(".team-times li").first
    expect(first).to_contain_text("09:00")
    expect(first).to_contain_text("surgeon: Surgeon 1")
    expect(first).to_contain_text("anaesthetist: Anaesthetist")
    expect(first).to_contain_text("theatre: Theatre A")
    assert_accessible(page)
    screenshot(page, f"teams-search-{width}", full_page=False)
    first.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Team booked for")).to_be_visible()
    expect(page.get_by_text("Team", exact=True).first).to_be_visible()  # the badge on the patient's list
    page.go_back()
    page.reload()
    expect(page.locator(".team-times li").first).not_to_contain_text("09:00")
    if width >= 1200:  # the navigation bar is open; on a phone it is behind the menu button
        page.get_by_role("link", name="Teams", exact=True).click()
    else:
        page.goto(f"{live_server}/staff/teams")
    expect(page.get_by_role("heading", name="Procedure teams")).to_be_visible()
    expect(page.get_by_text("No team appointment needs rebooking.")).to_be_visible()
    assert_accessible(page)
