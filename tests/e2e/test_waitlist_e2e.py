"""The cancellation waitlist in Chromium (issue #7, "Done when"), with e-mail through a real local SMTP server.

Patient B has a cardiology appointment with Dr Ben in 12 days and asks for an earlier slot through the form.
Patient A cancels Dr Ada's cardiology slot in 3 days in the browser; B's offer e-mail arrives at aiosmtpd, B opens
its link in Chromium and accepts; B's appointment moves (My appointments), and B's released slot is offered onward
to patient C, who waits for Dr Ben. Finally the desk cancels a slot and sees the ranked candidates.

Each doctor has one 15-minute slot a week (Ada on the weekday three days ahead, Ben five days ahead) and every slot
before B's booking is taken, so the only earlier slot B can be offered is the one A frees.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db, mail
from app.models import Appointment, Patient, Role
from app.services import booking, waitlist
from app.services.availability.views import local_today
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.test_patient_portal import assert_accessible
from tests.integration.test_notifications import SmtpServer, free_port

TZ = "Europe/London"
OFFER_LINK = re.compile(r"https?://[^\s\"'<>]+/offers/[A-Za-z0-9._\-]+")


def day(n: int) -> date:
    return local_today(TZ) + timedelta(days=n)


def at(n: int, hh: int, mm: int = 0):
    return core.to_utc(day(n), time(hh, mm), ZoneInfo(TZ))


def patient_of(user) -> Patient:
    return db.session.scalar(select(Patient).where(Patient.user_id == user.id))


@pytest.fixture
def smtp(app):
    """A real SMTP server on a local port; the live server's app sends through it (inline outbox delivery)."""
    server = SmtpServer(free_port())
    saved_config = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_SUPPRESS_SEND")}
    saved_state = app.extensions["mail"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False)
    app.extensions["mail"] = mail.init_mail(app.config, testing=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved_config)
        app.extensions["mail"] = saved_state


def mails_to(smtp, email: str) -> list:
    return [m for m in smtp.messages if email in str(m["To"])]


def offer_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    links = OFFER_LINK.findall(text)
    assert links, text
    return links[0]


@pytest.fixture
def story(make):
    cardio = make.specialty("Cardiology", "CAR")
    london = make.hospital(name="Thames Riverside Hospital", address="1 Riverside Walk, London SE1",
                           phone="+44 20 7946 0000")
    ada = make.doctor(london, cardio, name="Dr Ada Heart")
    ben = make.doctor(london, cardio, name="Dr Ben Pulse")
    make.schedule(ada, london, weekdays=[day(3).weekday()], start="09:00", end="09:15", valid_from=day(0))
    make.schedule(ben, london, weekdays=[day(5).weekday()], start="10:00", end="10:15", valid_from=day(0))
    a = make.user(Role.PATIENT, email="alice@example.org", name="Alice Early")
    b = make.user(Role.PATIENT, email="bob@example.org", name="Bob Waiting")
    c = make.user(Role.PATIENT, email="carol@example.org", name="Carol Next")
    filler = make.patient(name="Frank Filler", phone="+447700900111")
    a_slot = booking.book(None, patient_of(a), ada, at(3, 9))
    b_slot = booking.book(None, patient_of(b), ben, at(12, 10))
    booking.book(None, filler, ben, at(5, 10))
    filled = booking.book(None, filler, ada, at(10, 9))
    db.session.commit()
    # C waits for Dr Ben only: A's slot (Dr Ada) is not for her; B's released one is
    waitlist.join(c.id, patient_of(c), waitlist.Wish(doctor_id=ben.id, specialty_id=cardio.id, latest=day(13)))
    db.session.commit()
    return {"cardio": cardio, "london": london, "ada": ada, "ben": ben, "a": a, "b": b, "c": c,
            "a_slot": a_slot, "b_slot": b_slot, "filled": filled}


def login(page, base: str, email: str, path: str = "/auth/login") -> None:
    page.goto(base + path)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#main form [type=submit]").click()


def test_a_cancellation_becomes_bobs_earlier_appointment_and_carol_is_offered_his(
        app, browser, live_server, smtp, story, make, monkeypatch):
    base = live_server
    bob = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    alice = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    for p in (bob, alice):
        p.set_default_timeout(10_000)

    # B asks for an earlier slot from his appointment, through the form
    login(bob, base, "bob@example.org")
    bob.goto(f"{base}/patient/appointments/{story['b_slot'].id}")
    bob.locator("#earlier-slot").click()
    expect(bob.locator("#current-booking")).to_contain_text("You keep your appointment")
    expect(bob.locator("#specialty")).to_have_value(str(story["cardio"].id))
    bob.locator("#latest").fill(day(11).isoformat())
    assert_accessible(bob)
    screenshot(bob, "waitlist-join")
    bob.get_by_role("button", name="Join the waitlist").click()
    expect(bob).to_have_url(f"{base}/patient/waitlist")
    expect(bob.locator("[data-status=waiting]")).to_have_count(1)

    # A cancels the earlier cardiology slot in the browser
    login(alice, base, "alice@example.org")
    alice.goto(f"{base}/patient/appointments/{story['a_slot'].id}/cancel")
    alice.get_by_label("Reason for cancelling").fill("Feeling better")
    alice.get_by_role("button", name="Cancel appointment").click()
    expect(alice.locator(".alert-success")).to_contain_text("cancelled")

    # B's offer arrived at the SMTP server; he opens the link in Chromium
    (offer_mail,) = mails_to(smtp, "bob@example.org")[-1:]
    link = offer_link(offer_mail)
    assert link.startswith(base)
    bob.goto(f"{base}/patient/waitlist")
    expect(bob.locator("[data-offer]")).to_have_count(1)
    assert_accessible(bob)
    screenshot(bob, "waitlist-mine")
    bob.goto(link)
    expect(bob.locator("[data-hold-until]")).to_contain_text("Held for you until")
    expect(bob.locator("[data-offer-when]")).to_contain_text("09:00")
    assert_accessible(bob)
    screenshot(bob, "waitlist-offer")
    bob.locator("#accept-offer").click()
    expect(bob.get_by_role("heading", name="The appointment is yours")).to_be_visible()
    expect(bob.locator("#released")).to_contain_text("is cancelled, as you asked")
    screenshot(bob, "waitlist-accepted")

    # B's appointment moved: My appointments has Dr Ada in 3 days and no longer Dr Ben in 12
    bob.goto(f"{base}/patient/")
    upcoming = bob.locator("#main")
    expect(upcoming).to_contain_text("Dr Ada Heart")
    db.session.rollback()  # a fresh snapshot: the live server wrote meanwhile (MariaDB REPEATABLE READ)
    mine = db.session.scalars(select(Appointment).where(Appointment.patient_id == patient_of(story["b"]).id)
                              .order_by(Appointment.start)).all()
    assert [(a.start, a.status) for a in mine] == [(at(3, 9), "scheduled"), (at(12, 10), "cancelled")]

    # B's released slot went onward: C's offer e-mail is for Dr Ben in 12 days
    carol_mails = [m for m in mails_to(smtp, "carol@example.org") if OFFER_LINK.search(
        m.get_body(("plain",)).get_content())]
    assert carol_mails, [m["Subject"] for m in smtp.messages]
    carol = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    carol.goto(offer_link(carol_mails[-1]))
    expect(carol.locator("[data-offer-when]")).to_contain_text("10:00")
    expect(carol.locator("#main")).to_contain_text("Dr Ben Pulse")

    # the desk cancels a slot and sees who could take it, ranked, with the reasons; one offer goes out at once
    monkeypatch.setitem(app.config, "WAITLIST_OFFERS_AT_ONCE", 1)
    for name, urgency, phone, near in (("Dora Urgent", "urgent", "+447700900222", None),
                                       ("Eve Routine", "routine", "+447700900333", None),
                                       ("Finn Farther", "routine", None, (51.75, -1.26))):
        user = make.user(Role.PATIENT, name=name, phone=phone)
        waitlist.join(user.id, patient_of(user), waitlist.Wish(
            specialty_id=story["cardio"].id, latest=day(15), urgency=urgency, near=near,
            radius_km=100 if near else None))
    db.session.commit()
    staff = make.user(Role.STAFF, story["london"], email="desk@example.org", name="Desk Dee")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    desk.set_default_timeout(10_000)
    login(desk, base, staff.email)
    desk.goto(f"{base}/staff/appointments/{story['filled'].id}/cancel")
    desk.get_by_label("Reason", exact=True).fill("Patient phoned")
    desk.locator("#main form [type=submit]").click()
    expect(desk).to_have_url(f"{base}/staff/appointments/{story['filled'].id}/waitlist")
    expect(desk.locator("#offers-heading + ul")).to_contain_text("Dora Urgent")
    expect(desk.locator("[data-candidate]")).to_have_count(2)
    expect(desk.locator("[data-candidate]").first).to_contain_text("Eve Routine")
    assert_accessible(desk)
    screenshot(desk, "staff-waitlist-candidates")
    desk.get_by_role("link", name="Waitlist", exact=True).first.click()
    expect(desk.locator("[data-entry]")).to_have_count(4)  # Carol, Dora, Eve, Finn; Bob is booked
    screenshot(desk, "staff-waitlist")
    for p in (bob, alice, carol, desk):
        p.context.close()
