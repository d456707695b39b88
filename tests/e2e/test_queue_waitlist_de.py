"""The token queue and the waitlist in German, in Chromium (locale de-DE): the front desk with a few tokens, the nurse
station, the waiting-room display, the waitlist join form and an offer link. Staff and patient accounts speak German
(User.language); the display and the offer link have no login, so the browser's Accept-Language chooses German.

Each page must show its German words and none of the English ones it has in the English UI; the screenshots are for
looking at long German words (nothing cut off or overflowing). The offer e-mail goes out in the patient's language.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import OutboxMessage, Patient, Queue, Role, Room
from app.notifications import render, waitlist_events
from app.services import booking, waitlist
from app.services import queue as queue_service
from app.services.availability.views import local_today
from app.services.waitlist.offers import offer_slot
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.test_patient_portal import assert_accessible

TZ = "Europe/Berlin"
VIEWPORT = {"width": 1280, "height": 900}
# English words these pages show in the English UI; none may be left on the German pages
ENGLISH = re.compile(r"\b(Queue desk|Walk-in token|Issue token|Nurse station|Call next|Now calling|Waiting room|"
                     r"Join the waitlist|Latest acceptable date|Held for you|Accept this appointment|Decline|"
                     r"waiting|called|walk-in|booked|Token|Doctor|Reason|Priority|Actions|Live updates)\b")


def utc(day, hh: int, mm: int = 0) -> datetime:
    return core.to_utc(day, time(hh, mm), ZoneInfo(TZ))


def german(user):
    user.language = "de"
    db.session.commit()
    return user


def patient_of(user) -> Patient:
    return db.session.scalar(select(Patient).where(Patient.user_id == user.id))


@pytest.fixture
def clinic(make):
    """A Munich clinic today: three tokens waiting or called for Dr Anna Herz, one more booked patient to check in."""
    hospital = make.hospital(name="Klinikum Isar", city="München", country="DE", lat=48.14, lon=11.58, timezone=TZ,
                             address="Ismaninger Str. 22, 81675 München", phone="+49 89 4140 0")
    cardio = make.specialty("Cardiology", "CAR")
    doctor = make.doctor(hospital, cardio, name="Dr. Anna Herz")
    make.schedule(doctor, hospital)  # every day 09:00-12:00, 15-minute slots
    room = Room(hospital_id=hospital.id, name="Sprechzimmer 3")
    db.session.add(room)
    db.session.flush()
    db.session.add(Queue(hospital_id=hospital.id, doctor_id=doctor.id, prefix="CAR", room_id=room.id))
    staff = german(make.user(Role.STAFF, hospital, name="Frieda Empfang"))
    nurse = german(make.user(Role.NURSE, hospital, name="Schwester Agnes"))
    today = local_today(TZ)
    booked = make.patient(name="Hildegard Bingen")
    later = make.patient(name="Lise Meitner")
    first = booking.book(None, booked, doctor, utc(today, 11), now=utc(today, 11) - timedelta(days=1))
    booking.book(None, later, doctor, utc(today, 11, 30), now=utc(today, 11) - timedelta(days=1))
    db.session.commit()
    queue_service.check_in(staff.id, first)
    queue_service.issue_walkin(staff.id, hospital.id, make.patient(name="Max Planck"), doctor_id=doctor.id)
    queue_service.issue_walkin(staff.id, hospital.id, make.patient(name="Emmy Noether"), doctor_id=doctor.id,
                               priority="emergency")
    db.session.commit()
    called = queue_service.call_next(nurse.id, hospital.id, doctor.id)
    db.session.commit()
    return {"hospital": hospital, "cardio": cardio, "doctor": doctor, "staff": staff, "nurse": nurse,
            "called": called.label}


def open_de(browser, base: str, email: str | None, path: str):
    page = browser.new_context(viewport=VIEWPORT, locale="de-DE").new_page()
    page.set_default_timeout(10_000)
    if email:
        page.goto(base + "/auth/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(PASSWORD)
        page.locator("#main form [type=submit]").click()
        page.wait_for_url(lambda url: "/auth/login" not in url)
    page.goto(base + path)
    expect(page.locator("html[lang=de]")).to_have_count(1)
    return page


def no_english(page) -> None:
    text = page.locator("body").inner_text()
    assert not ENGLISH.findall(text), ENGLISH.findall(text)


def test_desk_station_and_display_in_german(browser, live_server, clinic):
    doctor = clinic["doctor"]
    desk = open_de(browser, live_server, clinic["staff"].email, "/staff/desk")
    expect(desk.get_by_role("heading", name="Warteschlange an der Anmeldung")).to_be_visible()
    expect(desk.get_by_role("heading", name="Wartenummer ohne Termin")).to_be_visible()
    board = desk.locator(f'[data-doctor-board="{doctor.id}"]')
    expect(board.locator("tbody tr")).to_have_count(3)
    expect(board).to_contain_text("aufgerufen")
    expect(board).to_contain_text("Notfall")
    expect(board).to_contain_text("ohne Termin")
    expect(board).to_contain_text("2 warten")
    expect(desk.get_by_role("button", name="Lise Meitner anmelden")).to_be_visible()
    expect(desk.get_by_role("button", name="Wartenummer ausgeben")).to_be_visible()
    expect(desk.locator("#live-status")).to_have_text("Live-Aktualisierung")  # queue.js took the German word
    no_english(desk)
    screenshot(desk, "queue-desk-de")

    station = open_de(browser, live_server, clinic["nurse"].email, "/nurse/")
    expect(station.get_by_role("heading", name="Pflegestützpunkt")).to_be_visible()
    expect(station.get_by_role("button", name="Nächsten Patienten für Dr. Anna Herz aufrufen")).to_be_visible()
    expect(station.locator(f'tr[data-token="{clinic["called"]}"]')).to_contain_text("Beginnen")
    expect(station.locator('tr[data-status="waiting"]').first).to_contain_text("Nicht erschienen")
    no_english(station)
    screenshot(station, "queue-nurse-de")

    display = open_de(browser, live_server, None, f"/kiosk/{clinic['hospital'].id}/display")
    display.get_by_role("button", name="Anzeige starten").click()
    expect(display.locator("#display-start")).to_be_hidden()
    expect(display.get_by_test_id("now-calling")).to_contain_text(clinic["called"])
    expect(display.get_by_test_id("now-calling")).to_contain_text("Sprechzimmer 3")
    expect(display.locator("#main")).to_contain_text("Jetzt aufgerufen")
    expect(display.locator("#main")).to_contain_text("Als Nächstes:")
    expect(display.locator("#main")).to_contain_text("Wartebereich")
    no_english(display)
    screenshot(display, "queue-display-de")
    for page in (desk, station, display):
        page.context.close()


def test_waitlist_join_and_offer_in_german(browser, live_server, clinic, make):
    hospital, doctor = clinic["hospital"], clinic["doctor"]
    user = german(make.user(Role.PATIENT, email="greta@example.org", name="Greta Warten"))
    patient = patient_of(user)
    today = local_today(TZ)
    current = booking.book(None, patient, doctor, utc(today + timedelta(days=12), 10))
    db.session.commit()

    page = open_de(browser, live_server, user.email, f"/patient/waitlist/new?appointment={current.id}")
    expect(page.get_by_role("heading", name="Früheren Termin anfragen")).to_be_visible()
    expect(page.locator("#current-booking")).to_contain_text("bleibt bestehen, bis Sie einen früheren annehmen")
    expect(page.get_by_text("Spätestes passendes Datum")).to_be_visible()
    expect(page.get_by_text("Vormittags (vor 12:00)")).to_be_visible()
    expect(page.get_by_role("button", name="Auf die Warteliste setzen")).to_be_visible()
    no_english(page)
    assert_accessible(page)
    screenshot(page, "waitlist-join-de")

    entry = waitlist.join(user.id, patient, waitlist.Wish(doctor_id=doctor.id), current_appointment=current)
    start = utc(today + timedelta(days=3), 9)
    (offer,) = offer_slot(None, hospital.id, doctor.id, start, start + timedelta(minutes=15), entries=[entry])
    db.session.commit()
    # the offer e-mail and text go out in the patient's language
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "waitlist_offer")).all()
    assert rows and {r.language for r in rows} == {"de"}
    email = render.render_email(next(r for r in rows if r.channel == "email"))
    assert email.subject.startswith("Ein früherer Termin ist frei")
    assert "Guten Tag Greta Warten" in email.body and "Warteliste" in email.body
    assert "halten ihn bis" in email.html

    page.goto(f"{live_server}/offers/{waitlist_events.offer_token(offer)}")
    expect(page.get_by_role("heading", name="Ein früherer Termin ist für Sie frei")).to_be_visible()
    expect(page.locator("[data-hold-until]")).to_contain_text("Für Sie reserviert bis")
    expect(page.locator("[data-offer-when]")).to_contain_text("09:00")
    expect(page.locator("#main")).to_contain_text("Wenn Sie annehmen, geben wir diesen späteren Termin frei.")
    expect(page.get_by_role("button", name="Diesen Termin annehmen")).to_be_visible()
    expect(page.get_by_role("button", name="Ablehnen")).to_be_visible()
    no_english(page)
    assert_accessible(page)
    screenshot(page, "waitlist-offer-de")

    page.goto(f"{live_server}/patient/waitlist")
    expect(page.get_by_role("heading", name="Meine Warteliste")).to_be_visible()
    expect(page.locator("[data-offer]")).to_contain_text("Ein passender Termin ist frei")
    expect(page.locator("[data-entry]")).to_contain_text("wartend")
    no_english(page)
    screenshot(page, "waitlist-mine-de")
    page.context.close()
