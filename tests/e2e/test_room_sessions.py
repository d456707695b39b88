"""A theatre manager publishes the room's weekly sessions on the availability editor at 1280 and 390 px
(docs/rooms.md): an overlapping session is refused on its field, the saved week shows in the preview, and an
elective case then books on it; axe and the layout checks find nothing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Role, Room
from app.services import locations
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_patient_portal import assert_accessible


@pytest.mark.parametrize("width", (1280, 390))
def test_a_manager_publishes_the_week_of_a_theatre(page, live_server, make, width):
    hospital = make.hospital(name="Thames Riverside Hospital")
    room = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True, floor="2")
    db.session.add(room)
    db.session.flush()
    manager = make.user(Role.STAFF, hospital, email="sister@example.org", name="Sister Julienne")
    locations.grant(manager.id, room, manager, "manager")
    db.session.commit()
    monday = date.today() + timedelta(days=7 - date.today().weekday())

    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, manager.email, PASSWORD)
    page.goto(f"{live_server}/locations/{room.id}")
    page.get_by_role("link", name="Publish sessions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions of Theatre A")
    assert_accessible(page)

    for n, (day, start, end) in enumerate((("Monday", "08:00", "13:00"), ("Monday", "12:00", "17:00")), start=1):
        page.get_by_label(f"Day, row {n}").select_option(label=day)
        page.get_by_label(f"Start, row {n}").fill(start)
        page.get_by_label(f"End, row {n}").fill(end)
        page.get_by_label(f"Slot minutes, row {n}").fill("30")
    page.get_by_role("button", name="Save sessions").click()
    expect(page.get_by_text("Nothing was saved.")).to_be_visible()
    expect(page.locator("#rules-1-start + .invalid-feedback")).to_have_text(
        "Overlaps another Monday rule (08:00-13:00).")
    expect(page.get_by_label("End, row 2")).to_have_value("17:00")  # what was typed is kept

    page.get_by_label("Day, row 2").select_option(label="Wednesday")
    page.get_by_role("button", name="Save sessions").click()
    expect(page.get_by_text("The sessions of Theatre A are saved")).to_be_visible()
    expect(page.get_by_text("How far ahead the room may be booked.")).to_be_visible()
    expect(page.get_by_text("How far ahead patients may book.")).to_have_count(0)
    expect(page.get_by_label("Legend")).to_contain_text("closed")
    expect(page.get_by_label("Legend")).not_to_contain_text("leave")
    expect(page.get_by_label("Day, row 2")).to_have_value("2")
    assert_accessible(page)
    screenshot(page, f"room-sessions-{width}", full_page=width > 400)  # a phone: its first screen

    page.get_by_role("link", name="The room's day").click()
    page.get_by_label("Day", exact=True).fill(monday.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Published sessions:")).to_be_visible()
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("Length in minutes").fill("90")
    page.get_by_label("Reason or procedure").fill("Hip replacement")
    page.get_by_role("button", name="Book the room").click()
    expect(page.get_by_text("Booked Theatre A on")).to_be_visible()
