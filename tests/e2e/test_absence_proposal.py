"""A doctor absent in Chromium (issue #16, part 3): the desk adds leave over a booked day on the availability page,
lands on the optimiser's proposal, checks it at 1280 and 390 px (axe and layout) and sends it; the patient's
appointment stays booked until they accept, and their e-mail is queued."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Offer, OutboxMessage, Role
from app.models.base import utcnow
from app.scheduling.timeutil import to_utc
from app.services import booking
from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_problems, layout_problems


def test_leave_form_to_the_proposal_and_apply(page, live_server, make):
    london = ZoneInfo("Europe/London")
    day = datetime.now(london).date() + timedelta(days=5)
    hospital = make.hospital(name="Thames Hospital")
    specialty = make.specialty()
    away = make.doctor(hospital, specialty, name="Dr Ada Away")
    here = make.doctor(hospital, specialty, name="Dr Hal Here")
    for doctor in (away, here):
        make.schedule(doctor, hospital, end="09:30")
    make.user(Role.STAFF, hospital, email="desk@thames.example")
    patient = make.patient(email="pat@thames.example", name="Pat Patient")
    appointment = booking.book(None, patient, away, to_utc(day, time(9), london), now=utcnow())
    db.session.commit()

    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("desk@thames.example")
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.locator("#main form [type=submit]").click()
    page.goto(f"{live_server}/staff/doctors/{away.id}/availability?hospital={hospital.id}")
    page.locator("#leave-start_date").fill(day.isoformat())
    page.locator("#leave-start_time").fill("08:00")
    page.locator("#leave-end_date").fill(day.isoformat())
    page.locator("#leave-end_time").fill("18:00")
    page.locator("#leave-reason").fill("Sick")
    page.locator("form", has=page.locator("#leave-reason")).get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="A doctor absent: new times")).to_be_visible()
    row = page.locator(f"tr[data-move='{appointment.id}']")
    expect(row).to_contain_text("Pat Patient")
    expect(row).to_contain_text("Dr Hal Here")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        problems = axe_problems(page) + layout_problems(page)
        assert not problems, (width, problems)
    page.get_by_role("button", name="Send the new times to the patients").click()
    expect(page.get_by_text("1 patients have been sent their new time")).to_be_visible()
    db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep the one from before the click
    offer = db.session.scalar(select(Offer))
    assert offer.status == "open" and offer.hold.doctor_id == here.id
    assert db.session.get(Appointment, appointment.id).status == "scheduled"
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "absence_offer")) is not None
