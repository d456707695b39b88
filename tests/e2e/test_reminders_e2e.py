"""Reminders in Chromium at 1280 and 390 px (docs/operations.md, "Reminders"): the admin sets an appointment type's
offsets (a refused one shows its field error, nothing saved) and the patient confirms from the reminder's link (a
replay says so); axe and the layout checks find nothing on the form, the confirm and the cancel page."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, AppointmentType, Role
from app.models.base import utcnow
from app.notifications import events
from app.services import booking
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_patient_portal import assert_accessible

LABEL = "Reminders before the appointment"


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital", timezone="UTC")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Lovelace")
    make.schedule(doctor, hospital, horizon_days=30)
    kind = AppointmentType(hospital_id=hospital.id, code="procedure", name="Procedure", kind="new",
                           fee=Decimal(0), duration_minutes=15)
    db.session.add(kind)
    db.session.commit()
    return hospital, doctor, kind


@pytest.mark.parametrize("width", (1280, 390))
def test_an_admin_sets_a_types_reminders(page, live_server, make, clinic, width):
    hospital, _, kind = clinic
    make.user(Role.ADMIN, hospital, email="admin@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "admin@example.org", PASSWORD)
    page.goto(f"{live_server}/admin/appointment-types/{kind.id}/edit")
    expect(page.get_by_label(LABEL)).to_have_value("")
    expect(page.get_by_text("Empty: the hospital's default, 1d, 2h.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(LABEL).fill("45d, 1d")
    page.locator("#main form [type=submit]").click()
    # (axe cannot judge the contrast of an invalid field over Bootstrap's warning icon: checked before and after)
    expect(page.get_by_text("longer than the booking horizon of 30 days")).to_be_visible()
    db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep the one from before the clicks
    assert db.session.get(AppointmentType, kind.id).reminder_offsets is None
    page.get_by_label(LABEL).fill("7d, 1d")
    page.locator("#main form [type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thames Riverside Hospital")
    expect(page.locator("#main table").filter(has_text="Procedure")).to_contain_text("7d, 1d")
    assert_accessible(page)
    if width == 1280:
        page.goto(f"{live_server}/admin/appointment-types/{kind.id}/edit")
        screenshot(page, f"reminders-admin-{width}")


@pytest.mark.parametrize("width", (1280, 390))
def test_a_patient_confirms_from_the_reminder(page, live_server, make, clinic, width):
    hospital, doctor, _ = clinic
    start = (utcnow() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    appointment = booking.book(None, make.patient(name="Grace Hopper"), doctor, start, appointment_type="procedure",
                               now=start - timedelta(days=10))
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(events.link_for(appointment, "confirm"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your appointment")
    assert_accessible(page)
    screenshot(page, f"reminders-confirm-{width}", full_page=False)
    page.get_by_role("button", name="Yes, I am coming").click()
    expect(page.get_by_text("Thank you: your appointment is confirmed.")).to_be_visible()
    db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep the one from before the clicks
    assert db.session.scalar(select(Appointment.attendance_answer).where(Appointment.id == appointment.id)) \
        == booking.CONFIRMED
    page.goto(events.link_for(appointment, "confirm"))  # replayed: a page that says so
    expect(page.get_by_text("You have already confirmed this appointment.")).to_be_visible()
    assert_accessible(page)
    page.goto(events.link_for(appointment, "cancel"))
    expect(page.get_by_role("button", name="Cancel the appointment")).to_be_visible()
    assert_accessible(page)
