"""The booking form in Chromium: choosing another appointment type changes the fee shown before confirming
(static/js/booking-fee.js), and the confirmation keeps that fee."""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from app import scheduling as core
from app.extensions import db
from app.models import AppointmentType, Role
from tests.conftest import PASSWORD


def test_the_fee_follows_the_chosen_type(page, live_server, make):
    hospital = make.hospital(name="Thames Hospital")
    db.session.add_all([
        AppointmentType(hospital_id=hospital.id, code="new", name="New patient", kind="new", fee=Decimal("80")),
        AppointmentType(hospital_id=hospital.id, code="ecg", name="ECG with consultation", kind="new",
                        fee=Decimal("120"))])
    db.session.commit()
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    make.user(Role.PATIENT, email="mary@example.org")
    tz = ZoneInfo(hospital.timezone)
    start = core.to_local(core.to_utc(date.today() + timedelta(days=3), time(10), tz), tz).isoformat()

    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("mary@example.org")
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.locator("#main form [type=submit]").click()
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
