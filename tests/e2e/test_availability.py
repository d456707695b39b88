"""In Chromium: a doctor publishes Monday hours and sees them in the preview; the desk books that doctor for a patient;
the doctor's week shows the appointment. Next Monday is computed from today's date, so any weekday works."""
from datetime import timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.models import AppointmentType, Role
from app.services.availability.views import local_today
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def login(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_doctor_publishes_hours_and_the_desk_books_them(page, live_server, make):
    hospital = make.hospital(name="Thames Riverside Hospital")
    db.session.add_all([AppointmentType(hospital_id=hospital.id, code="new", name="New patient"),
                        AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up")])
    db.session.commit()
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Lovelace")
    patient = make.patient(name="Grace Hopper")
    patient.registered_hospital_id = hospital.id  # the desk's own patient: it may open her record (docs/security.md)
    db.session.commit()
    staff = make.user(Role.STAFF, hospital, name="Florence Desk")
    today = local_today(hospital.timezone)
    monday = today + timedelta(days=7 - today.weekday())

    # the doctor: Monday 09:00-12:00 in 15-minute slots from next Monday
    login(page, live_server, doctor.user.email)
    page.get_by_role("link", name="My availability").click()
    expect(page.get_by_role("heading", name="My availability")).to_be_visible()
    page.get_by_label("Day, row 1").select_option(label="Monday")
    page.get_by_label("Start, row 1").fill("09:00")
    page.get_by_label("End, row 1").fill("12:00")
    page.get_by_label("Slot minutes, row 1").fill("15")
    page.get_by_label("Day, row 2").select_option(label="Monday")  # overlaps row 1: the core refuses it
    page.get_by_label("Start, row 2").fill("11:00")
    page.get_by_label("End, row 2").fill("13:00")
    page.get_by_label("Valid from").fill(monday.isoformat())
    page.get_by_role("button", name="Save availability").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Row 2:")).to_contain_text("Overlaps another Monday rule")
    expect(page.get_by_label("End, row 1")).to_have_value("12:00")  # nothing typed is lost
    page.get_by_label("Day, row 2").select_option(label="—")
    page.get_by_label("Start, row 2").fill("")
    page.get_by_label("End, row 2").fill("")
    page.get_by_role("button", name="Save availability").click()
    expect(page.get_by_text("is saved")).to_be_visible()
    monday_cell = page.locator(f'table.cal-month td[data-day="{monday.isoformat()}"]')
    expect(monday_cell).to_contain_text("09:00–12:00")
    expect(monday_cell).to_contain_text("12 free")
    expect(page.get_by_text("Times in Europe/London")).to_be_visible()
    screenshot(page, "availability")

    # the desk books the doctor for the patient
    login(page, live_server, staff.email)
    page.goto(f"{live_server}/staff/patients/{patient.id}")
    page.get_by_role("link", name="Book an appointment").click()
    page.get_by_label("Doctor").select_option(label="Dr Ada Lovelace · Cardiology")
    page.get_by_label("From", exact=True).fill(monday.isoformat())
    page.get_by_label("To", exact=True).fill((monday + timedelta(days=6)).isoformat())
    page.get_by_role("button", name="Show free times").click()
    expect(page.get_by_text("12 free times")).to_be_visible()
    screenshot(page, "staff-booking")
    page.get_by_role("link", name="09:30").click()
    expect(page.get_by_role("heading", name="Confirm the appointment")).to_be_visible()
    page.get_by_label("Appointment type").select_option(label="Follow-up")
    page.get_by_label("Reason (optional)").fill("Blood results")
    page.get_by_role("button", name="Book appointment").click()
    expect(page.get_by_text("Grace Hopper is booked with Dr Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("link", name="Reschedule")).to_be_visible()

    # the doctor's week shows the appointment between the free times
    login(page, live_server, doctor.user.email)
    page.get_by_role("link", name="Week", exact=True).click()
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_text("Grace Hopper")).to_be_visible()
    expect(page.locator("table.cal-week")).to_contain_text("09:30–09:45")
    screenshot(page, "doctor-week")
