"""A recurring series at the desk in Chromium at 1280 and 390 px (docs/series.md): the rule, the preview with a
date that cannot be placed, one confirmation, the series page; axe and the layout checks find nothing."""
from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Role
from app.services import booking
from app.services.availability.views import local_today
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_patient_portal import assert_accessible


@pytest.mark.parametrize("width", (1280, 390))
def test_the_desk_books_a_weekly_series(page, live_server, make, width):
    hospital = make.hospital(name="Thames Riverside Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Lovelace")
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="10:00")
    patient = make.patient(name="Grace Hopper")
    patient.registered_hospital_id = hospital.id
    db.session.commit()
    today = local_today(hospital.timezone)
    monday = today + timedelta(days=7 - today.weekday())
    # week 3's window is fully booked by someone else: that date is reported, not dropped
    other = make.patient(name="Alan Turing")
    for minute in (0, 15):
        booking.book(None, other, doctor, core.to_utc(monday + timedelta(weeks=2), time(9, minute),
                                                       ZoneInfo(hospital.timezone)))
    db.session.commit()
    staff = make.user(Role.STAFF, hospital, email="desk@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, staff.email, PASSWORD)
    page.goto(f"{live_server}/staff/patients/{patient.id}")
    page.get_by_role("link", name="Book a series").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a series for Grace Hopper")
    assert_accessible(page)
    page.get_by_label("Doctor").select_option(label="Dr Ada Lovelace · Cardiology")
    page.get_by_label("First date").fill(monday.isoformat())
    page.get_by_label("Number of appointments").fill("5")
    page.get_by_label("Between").fill("09:00")
    page.get_by_label("and", exact=True).fill("09:30")
    page.get_by_role("button", name="Preview the series").click()
    preview = page.locator("#series-preview")
    expect(preview).to_contain_text("Cannot place: No free time in the window on this date.")
    expect(page.get_by_text("4 of 5 dates can be booked")).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"series-{width}")
    page.get_by_role("button", name="Book 4 appointments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Series for Grace Hopper")
    expect(page.locator("#series-occurrences tbody tr")).to_have_count(4)
    assert_accessible(page)
    page.get_by_label("Reason").fill("therapy ended")
    page.get_by_role("button", name="Cancel the rest of the series").click()
    expect(page.get_by_text("4 appointments of the series are cancelled.")).to_be_visible()
    db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep the one from before the clicks
    mine = db.session.scalars(select(Appointment).where(Appointment.patient_id == patient.id)).all()
    assert len(mine) == 4 and {a.status for a in mine} == {"cancelled"}
