"""A theatre manager books an elective case, then an emergency over it, and sees the displaced booking."""
from datetime import date, time, timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.models import Role, Room
from app.services import locations
from app.services.availability import resource_for_room
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def test_manager_books_elective_then_emergency(page, live_server, mail_folder, make):
    hospital = make.hospital(name="Thames Riverside Hospital")
    room = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True, floor="2")
    db.session.add(room)
    db.session.flush()
    rules = [RuleInput(weekday=d, start=time(8), end=time(18), slot_minutes=30) for d in range(5)]
    put_schedule(None, resource_for_room(room.id).id, hospital.id,
                 ScheduleInput(valid_from=date.today() - timedelta(days=7), valid_till=None, rules=rules,
                               min_notice_minutes=0))
    manager = make.user(Role.STAFF, hospital, email="sister@example.org", name="Sister Julienne")
    make.doctor(hospital, make.specialty("Surgery", "SUR"), name="Dr Grey")
    make.patient(name="Paula Patient")
    locations.grant(manager.id, room, manager, "manager")
    db.session.commit()
    monday = date.today() + timedelta(days=7 - date.today().weekday())

    page.goto(live_server + "/auth/login")
    page.get_by_label("E-mail").fill(manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Theatres & rooms").click()
    expect(page.get_by_role("cell", name="Manager")).to_be_visible()
    screenshot(page, "theatre-list")
    page.get_by_role("link", name="Theatre A").click()
    page.get_by_label("Day", exact=True).fill(monday.isoformat())
    page.get_by_role("button", name="Show").click()

    page.get_by_label("Date", exact=True).fill(monday.isoformat())
    page.get_by_label("Start time").fill("10:10")  # off the 30-minute grid: refused, input kept
    page.get_by_label("Length in minutes").fill("90")
    page.get_by_label("Doctor (optional)").select_option(label="Dr Grey")
    page.get_by_label("Patient (optional)").select_option(label="Paula Patient (1980-01-01)")
    page.get_by_label("Reason or procedure").fill("Hip replacement")
    page.get_by_role("button", name="Book the room").click()
    expect(page.locator("#start_time + .invalid-feedback")).to_be_visible()
    expect(page.get_by_label("Reason or procedure")).to_have_value("Hip replacement")
    screenshot(page, "theatre-book-error")
    page.get_by_label("Start time").fill("10:00")
    page.get_by_role("button", name="Book the room").click()
    expect(page.get_by_text("Booked Theatre A on")).to_be_visible()
    expect(page.get_by_role("cell", name="Hip replacement")).to_be_visible()

    page.get_by_label("Start time").fill("10:35")
    page.get_by_label("Length in minutes").fill("45")
    page.get_by_label("Reason or procedure").fill("Ruptured appendix")
    page.get_by_label("Emergency").check()
    expect(page.get_by_text("It cancels every elective booking it overlaps")).to_be_visible()
    page.get_by_role("button", name="Book the room").click()
    expect(page.get_by_text("1 elective booking was displaced and its owners were told.")).to_be_visible()
    expect(page.get_by_text("EMERGENCY", exact=True)).to_be_visible()
    expect(page.get_by_text("Displaced by an emergency booking")).to_be_visible()
    screenshot(page, "theatre-day")
    assert len(list(mail_folder.glob("*.eml"))) == 2  # the booker (the manager) and the patient

    page.get_by_role("link", name="Manage access").click()
    expect(page.get_by_role("heading", name="Who may book Theatre A")).to_be_visible()
    screenshot(page, "theatre-access")
