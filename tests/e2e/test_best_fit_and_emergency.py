"""Best fit and emergencies in Chromium at 1280 and 390 px (docs/optimiser.md): the search's "Best for you" toggle
puts the wished afternoon first; the desk's "Emergency now" proposes a place over the least urgent booking and
places it. axe and the layout checks find nothing on either page."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Offer, Role
from app.scheduling.timeutil import to_utc
from app.services import booking
from app.services.waitlist import emergency
from tests.conftest import PASSWORD
from tests.e2e.test_patient_portal import assert_accessible

LONDON = ZoneInfo("Europe/London")
DAY = datetime.now(LONDON).date() + timedelta(days=3)
NOW = to_utc(DAY, time(8), LONDON)


def _login(page, live_server, email: str) -> None:
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.locator("#main form [type=submit]").click()


@pytest.mark.parametrize("width", (1280, 390))
def test_best_for_you_puts_the_wished_time_first(page, live_server, make, width):
    hospital = make.hospital(name="Thames Hospital")
    cardio = make.specialty()
    morning, afternoon = make.doctor(hospital, cardio, name="Dr Early"), make.doctor(hospital, cardio,
                                                                                     name="Dr Late")
    make.schedule(morning, hospital, start="09:00", end="10:00")
    make.schedule(afternoon, hospital, start="14:00", end="16:00")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/search?specialty={cardio.id}&from={DAY}&to={DAY}&times=afternoon")
    expect(page.locator("#best-for-you")).to_have_count(0)
    assert_accessible(page)
    page.locator("#sort-toggle").get_by_role("link", name="Best for you").click()
    best = page.locator("#best-for-you")
    expect(best).to_be_visible()
    expect(best.locator("li").first).to_contain_text("Dr Late")
    expect(best.locator("li").first).to_contain_text("14:00")
    assert_accessible(page)


@pytest.mark.parametrize("width", (1280, 390))
def test_the_desk_places_an_emergency_over_the_least_urgent_booking(page, live_server, make, monkeypatch, width):
    monkeypatch.setattr(emergency, "utcnow", lambda: NOW)  # the desk's "today" is DAY, 08:00
    hospital = make.hospital(name="Thames Hospital")
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio, name="Dr Ada Heart")
    make.schedule(doctor, hospital, end="09:30")  # two slots, both booked: 09:00 urgent, 09:15 routine
    make.user(Role.STAFF, hospital, email="desk@thames.example")
    urgent = booking.book(None, make.patient(name="Una Urgent"), doctor, to_utc(DAY, time(9), LONDON), now=NOW,
                          urgency="urgent")
    routine = booking.book(None, make.patient(name="Rob Routine"), doctor, to_utc(DAY, time(9, 15), LONDON),
                           now=NOW)
    patient = make.patient(name="Erin Emergency")
    booking.book(None, patient, doctor, to_utc(DAY + timedelta(days=1), time(9), LONDON), now=NOW)
    db.session.commit()

    page.set_viewport_size({"width": width, "height": 900})
    _login(page, live_server, "desk@thames.example")
    page.goto(f"{live_server}/staff/desk/{hospital.id}?q=Erin")
    page.get_by_role("link", name="Emergency now for Erin Emergency").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Emergency now")
    assert_accessible(page)
    page.get_by_role("button", name="Find a place now").click()
    proposal = page.locator("#emergency-proposal")
    expect(proposal).to_contain_text("09:15")
    expect(proposal.locator("[data-displaced]")).to_contain_text("Rob Routine")
    expect(proposal.locator("[data-displaced]")).not_to_contain_text("Una Urgent")
    assert_accessible(page)
    page.get_by_role("button", name="Place the emergency").click()
    expect(page.locator("#emergency-placed")).to_contain_text("Erin Emergency")
    expect(page.locator("[data-offers]")).to_contain_text("Rob Routine")
    assert_accessible(page)
    db.session.rollback()  # a fresh snapshot (MariaDB's REPEATABLE READ)
    assert db.session.get(Appointment, routine.id).status == "scheduled"
    assert db.session.get(Appointment, urgent.id).status == "scheduled"
    assert db.session.scalar(select(Offer)).entry.current_appointment_id == routine.id
