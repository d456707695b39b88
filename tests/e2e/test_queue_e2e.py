"""In Chromium, one morning clinic from four screens at once: the desk issues three tokens (one an emergency, which
goes to the top), the nurse station calls next and records vitals, the doctor completes and calls the next patient,
and the waiting-room display (its own context, no login) shows each call live. Then a patient checks in at the kiosk.
Every wait is on the DOM (expect / wait_for_selector), never a sleep.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from app.extensions import db
from app.models import Queue, Role, Room
from app.services import booking
from app.services import queue as queue_service
from app.services.availability.views import local_today
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot

VIEWPORT = {"width": 1280, "height": 900}


def open_as(browser, base: str, email: str | None, path: str):
    page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    page.set_default_timeout(10_000)
    if email:
        page.goto(base + "/auth/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/auth/login" not in url)
    page.goto(base + path)
    return page


def live(page) -> None:
    expect(page.locator("html[data-live=on]")).to_have_count(1)  # joined the hospital's queue room


def issue_known(desk, name: str, priority: str = "Normal") -> str:
    desk.get_by_label("Name, phone or date of birth").fill(name)
    desk.get_by_role("button", name="Find").click()
    desk.get_by_label(name).check()
    desk.locator("#doctor").select_option(label="Dr Ada Heart · Cardiology")
    desk.locator("#priority").select_option(label=priority)
    desk.get_by_role("button", name="Issue token").click()
    expect(desk.get_by_role("heading", name="Token issued")).to_be_visible()
    return desk.get_by_test_id("slip-token").inner_text()


def test_a_morning_clinic_runs_from_desk_station_and_doctor_with_the_display_live(browser, live_server, make):
    hospital = make.hospital(name="Thames Riverside Hospital")
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio, name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    room = Room(hospital_id=hospital.id, name="Room 3")
    db.session.add(room)
    db.session.flush()
    db.session.add(Queue(hospital_id=hospital.id, doctor_id=doctor.id, prefix="CAR", room_id=room.id))
    staff = make.user(Role.STAFF, hospital, name="Florence Desk")
    nurse = make.user(Role.NURSE, hospital, name="Mary Seacole")
    for known in (make.patient(name="Grace Hopper"), make.patient(name="Alan Turing")):
        known.registered_hospital_id = hospital.id  # the desk's own patients: its search finds them (docs/security.md)
    booked = make.patient(name="Rosalind Franklin")
    tz = ZoneInfo(hospital.timezone)
    start = datetime.combine(local_today(hospital.timezone), time(11), tz).astimezone(ZoneInfo("UTC")).replace(
        tzinfo=None)
    appointment = booking.book(None, booked, doctor, start, now=start - timedelta(days=1))
    db.session.commit()
    code = queue_service.checkin_code(appointment)

    display = open_as(browser, live_server, None, f"/kiosk/{hospital.id}/display")
    display.get_by_role("button", name="Start display").click()
    expect(display.locator("#display-start")).to_be_hidden()
    live(display)
    nurse_page = open_as(browser, live_server, nurse.email, "/nurse/")
    live(nurse_page)
    doctor_page = open_as(browser, live_server, doctor.user.email, "/doctor/day")
    expect(doctor_page.get_by_text("Nobody is with you right now.")).to_be_visible()
    live(doctor_page)
    desk = open_as(browser, live_server, staff.email, "/staff/desk")
    live(desk)

    # the desk: two known patients, then a new one registered on the spot as an emergency
    assert issue_known(desk, "Grace Hopper") == "CAR-001"
    screenshot(desk, "queue-slip")
    desk.get_by_role("link", name="Back to the desk").click()
    assert issue_known(desk, "Alan Turing") == "CAR-002"
    desk.get_by_role("link", name="Back to the desk").click()
    desk.get_by_text("New patient without an account").click()
    desk.get_by_label("Full name").fill("Emmy Noether")
    desk.locator("#new-doctor").select_option(label="Dr Ada Heart · Cardiology")
    desk.locator("#new-priority").select_option(label="Emergency")
    desk.get_by_role("button", name="Register and issue token").click()
    expect(desk.get_by_test_id("slip-token")).to_have_text("CAR-003")
    desk.get_by_role("link", name="Back to the desk").click()
    board_rows = desk.locator(f'[data-doctor-board="{doctor.id}"] tbody tr')
    expect(board_rows.first).to_have_attribute("data-token", "CAR-003")  # the emergency goes first
    expect(board_rows).to_have_count(3)
    screenshot(desk, "queue-desk")

    # the nurse station saw the three tokens arrive without a reload; it calls the next: the emergency
    station_rows = nurse_page.locator(f'[data-doctor-board="{doctor.id}"] tbody tr')
    expect(station_rows).to_have_count(3)
    expect(station_rows.first).to_have_attribute("data-token", "CAR-003")
    nurse_page.get_by_role("button", name="Call next for Dr Ada Heart").click()
    expect(nurse_page.locator('tr[data-token="CAR-003"]')).to_have_attribute("data-status", "called")
    expect(display.locator('[data-called-token="CAR-003"]')).to_contain_text("Room 3")
    expect(display.locator("html")).to_have_attribute("data-chimes", "1")
    expect(display.get_by_text("Emmy Noether")).to_have_count(0)
    # the desk's board moved too
    expect(desk.locator('tr[data-token="CAR-003"]')).to_have_attribute("data-status", "called")

    # vitals: a slip of the keyboard is refused beside its field, then the corrected set is saved
    nurse_page.get_by_role("link", name="Vitals for CAR-003").click()
    nurse_page.get_by_label("Blood pressure, systolic").fill("135")
    nurse_page.get_by_label("Blood pressure, diastolic").fill("85")
    nurse_page.get_by_label("Pulse").fill("88")
    nurse_page.get_by_label("Temperature").fill("375")
    nurse_page.get_by_role("button", name="Save vitals").click()
    expect(nurse_page.get_by_text("Temperature must be between 30.0 and 44.0 °C.")).to_be_visible()
    expect(nurse_page.get_by_label("Pulse")).to_have_value("88")
    screenshot(nurse_page, "queue-vitals")
    nurse_page.get_by_label("Temperature").fill("37.5")
    nurse_page.get_by_label("Oxygen saturation (SpO2)").fill("97")
    nurse_page.get_by_role("button", name="Save vitals").click()
    expect(nurse_page.get_by_text("Vitals of CAR-003 are saved.")).to_be_visible()
    live(nurse_page)
    screenshot(nurse_page, "queue-nurse")

    # the doctor's list shows the called patient live, with the vitals; start, notes, complete, call the next
    expect(doctor_page.get_by_role("heading", name="CAR-003 · Emmy Noether")).to_be_visible()
    expect(doctor_page.get_by_test_id("latest-vitals")).to_contain_text("135/85 mmHg")
    doctor_page.get_by_role("button", name="Start", exact=True).click()
    doctor_page.get_by_label("Consult notes").fill("Chest pain resolved; ECG normal. Review in two weeks.")
    doctor_page.get_by_role("button", name="Save and complete").click()
    expect(doctor_page.get_by_text("CAR-003 is completed.")).to_be_visible()
    live(doctor_page)
    doctor_page.get_by_role("button", name="Call the next patient").click()
    expect(doctor_page.get_by_role("heading", name="CAR-001 · Grace Hopper")).to_be_visible()
    expect(display.locator('[data-called-token="CAR-001"]')).to_be_visible()
    expect(display.locator("html")).to_have_attribute("data-chimes", "2")
    expect(display.locator('[data-next-token="CAR-002"]')).to_be_visible()
    screenshot(doctor_page, "queue-doctor-day")
    screenshot(display, "queue-display")
    expect(nurse_page.locator('tr[data-token="CAR-003"]')).to_have_attribute("data-status", "completed")

    # the booked patient scans the QR code of their confirmation at the kiosk
    kiosk = open_as(browser, live_server, None, f"/kiosk/{hospital.id}")
    kiosk.get_by_label("Check-in code").fill("garbled")
    kiosk.get_by_label("Check-in code").press("Enter")
    expect(kiosk.get_by_test_id("kiosk-error")).to_contain_text("This code is not valid")
    kiosk.get_by_label("Check-in code").fill(code)
    kiosk.get_by_label("Check-in code").press("Enter")
    result = kiosk.get_by_test_id("kiosk-result")
    expect(result).to_contain_text("You are checked in.")
    expect(result).to_contain_text("CAR-004")
    expect(result).to_contain_text("Room 3")
    screenshot(kiosk, "queue-kiosk")
    expect(desk.locator('tr[data-token="CAR-004"]')).to_be_visible()  # the desk sees the kiosk's check-in live
    expect(display.locator('[data-next-token="CAR-004"]')).to_be_visible()
    for page in (display, nurse_page, doctor_page, desk, kiosk):
        page.context.close()
