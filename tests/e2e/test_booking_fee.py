"""The booking form in Chromium: choosing another appointment type changes the fee shown before confirming
(static/js/booking-fee.js), and the confirmation keeps that fee."""
from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from app import scheduling as core
from app.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def test_the_fee_follows_the_chosen_type(page, live_server, make):
    hospital = make.hospital(name="Thames Hospital")
    make.priced_types(hospital, new=80, ecg=120)
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    make.user(Role.PATIENT, email="mary@example.org")
    tz = ZoneInfo(hospital.timezone)
    start = core.to_local(core.to_utc(date.today() + timedelta(days=3), time(10), tz), tz).isoformat()

    sign_in(page, live_server, "mary@example.org", PASSWORD)
    page.goto(f"{live_server}/patient/book?doctor={doctor.id}&hospital={hospital.id}&start={start.replace('+', '%2B')}")
    fee = page.locator("#booking-fee")
    expect(fee).to_have_text("£80.00")
    page.get_by_label("Appointment type").select_option("ecg")
    expect(fee).to_have_text("£120.00")
    page.get_by_label("Appointment type").select_option("new")
    expect(fee).to_have_text("£80.00")
    page.get_by_label("Appointment type").select_option("ecg")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
    expect(page.locator("#appointment-fee")).to_have_text("£120.00")
