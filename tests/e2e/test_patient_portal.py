"""The patient portal in Chromium: search -> book -> My appointments -> cancel; a slot vanishing live from another
patient's results; axe-core on each page; screenshots in English and German.

Dates come from today: the search starts three days ahead, so the booked slot is always past the 24-hour cut-off.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import AppointmentType, Department, Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_problems, layout_problems, screenshot


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation, no undecided colour contrast, nothing off-screen."""
    problems = axe_problems(page) + layout_problems(page)
    assert not problems, problems


@pytest.fixture
def portal(make):
    cardio = make.specialty("Cardiology", "CAR")
    make.specialty("Dermatology", "DER")
    london = make.hospital(name="Thames Riverside Hospital", city="London", address="1 Riverside Walk, London SE1",
                           phone="+44 20 7946 0000")
    oxford = make.hospital(name="Radcliffe Park Hospital", city="Oxford", lat=51.75, lon=-1.26)
    for hospital in (london, oxford):
        db.session.add_all([
            AppointmentType(hospital_id=hospital.id, code="new", name="New patient", kind="new", fee=80),
            AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up", kind="follow_up", fee=50),
            Department(hospital_id=hospital.id, name="Cardiology", specialty_id=cardio.id)])
    db.session.commit()
    ada = make.doctor(london, cardio, name="Dr Ada Heart")
    ada.qualifications, ada.languages, ada.fee = "MD, FRCP", "en,fr", 80
    ben = make.doctor(oxford, cardio, name="Dr Ben Pulse")
    ben.languages = "en,de"
    db.session.commit()
    make.schedule(ada, london)
    make.schedule(ben, oxford, start="10:00", end="12:00")
    patient = make.user(Role.PATIENT, email="mary@example.org", name="Mary Seacole")
    return {"ada": ada, "ben": ben, "london": london, "patient": patient, "cardio": cardio}


def first_day() -> date:
    return date.today() + timedelta(days=3)


def search_cardiology(page, base: str, portal, *, shots: str | None = None) -> None:
    page.goto(base + "/search")
    if shots is not None:
        expect(page.locator("#specialty")).to_be_visible()
        assert_accessible(page)
        screenshot(page, f"portal-search{shots}")
    page.locator("#specialty").select_option(str(portal["cardio"].id))
    page.locator("#city").select_option("London")
    page.locator("#radius_km").fill("100")
    page.locator("#from").fill(first_day().isoformat())
    page.locator("#to").fill((first_day() + timedelta(days=1)).isoformat())
    page.locator("#search-form button[type=submit]").click()
    expect(page.locator("[data-slot]").first).to_be_visible()


def login(page, email: str = "mary@example.org") -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label(re.compile("Password|Passwort")).fill(PASSWORD)
    page.locator("#main form [type=submit]").click()


@pytest.mark.parametrize("width", (1280, 390))
def test_search_book_my_appointments_cancel(page, live_server, portal, width):
    """The whole path on a desktop and on a phone; on the phone (screenshots "-phone") the search folds into a
    summary once there are results, the first result is on the first screen, and My appointments is a stack of
    cards with Move and Cancel on the screen (assert_accessible: nothing off-screen, no sideways scroll)."""
    page.set_viewport_size({"width": width, "height": 900})
    phone = "-phone" if width < 768 else ""
    search_cardiology(page, live_server, portal, shots=phone)
    expect(page.get_by_role("heading", name="Free appointments")).to_be_visible()
    expect(page.locator("#next-available")).to_contain_text("Dr Ben Pulse at Radcliffe Park Hospital")
    summary = page.locator("#search-summary")
    if phone:
        expect(summary).to_contain_text("Cardiology")
        expect(summary).to_contain_text("within 100 km of London")
        expect(page.locator("#search-form")).to_be_hidden()
        assert page.locator("[data-slot]").first.evaluate("e => e.getBoundingClientRect().bottom") < 900
    else:
        expect(summary).to_be_hidden()
        expect(page.locator("#search-form")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-results" + phone, full_page=not phone)
    if phone:  # the filters come back on demand, as they were
        summary.get_by_role("button", name="Change search").click()
        expect(page.locator("#radius_km")).to_have_value("100")
        assert_accessible(page)

    first = page.locator("[data-slot]").first
    start = first.get_attribute("data-start")
    assert first.get_attribute("data-doctor") == str(portal["ada"].id)  # 09:00 London comes first
    first.get_by_role("link", name=re.compile("^Book ")).click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # booking needs an account ...
    login(page)
    expect(page.get_by_role("heading", name="Confirm your appointment")).to_be_visible()  # ... then back
    expect(page.get_by_text("Dr Ada Heart").first).to_be_visible()
    page.get_by_label("Reason for the visit (optional)").fill("Palpitations when climbing stairs")
    assert_accessible(page)
    screenshot(page, "portal-book" + phone)
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar").click()
    assert download.value.suggested_filename.endswith(".ics")
    assert_accessible(page)
    screenshot(page, "portal-booked" + phone)

    nav = page.get_by_role("navigation", name="Main")
    if phone:  # below 1200 px the navigation folds into the menu button
        nav.get_by_role("button", name="Menu").click()
    nav.get_by_role("link", name="My appointments").click()
    expect(page.get_by_role("heading", name="Upcoming appointments")).to_be_visible()
    row = page.locator("[data-appointment]").first
    expect(row).to_contain_text("Dr Ada Heart")
    expect(row.get_by_role("link", name="Cancel")).to_be_in_viewport()
    if phone:  # a card: each value beside its column's heading (static/js/table-stack.js)
        expect(row.locator('td[data-label="Status"]')).to_contain_text("booked")
        assert row.evaluate("r => getComputedStyle(r).display") == "block"
    assert_accessible(page)
    screenshot(page, "portal-my-appointments" + phone)

    row.get_by_role("link", name="Cancel").click()
    page.get_by_label("Reason for cancelling").fill("Feeling better")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("Your appointment is cancelled")).to_be_visible()
    expect(page.get_by_text("No upcoming appointments")).to_be_visible()
    expect(page.locator("table").nth(1)).to_contain_text("Feeling better")

    search_cardiology(page, live_server, portal)  # the freed slot is offered again
    expect(page.locator(f'[data-slot][data-start="{start}"]')).to_be_visible()

    page.get_by_role("link", name="Dr Ada Heart").first.click()  # the doctor's page: profile and free slots
    expect(page.get_by_role("heading", name="Dr Ada Heart")).to_be_visible()
    expect(page.locator(f'[data-slot][data-start="{start}"][data-state="free"]')).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-doctor" + phone)


def test_slot_disappears_live_from_another_patients_results(browser, live_server, portal):
    watcher_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    booker_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        watcher, booker = watcher_context.new_page(), booker_context.new_page()
        search_cardiology(watcher, live_server, portal)
        expect(watcher.locator("html[data-live=on]")).to_have_count(1)  # joined the doctors' rooms
        slot = watcher.locator("[data-slot]").first
        start = slot.get_attribute("data-start")

        search_cardiology(booker, live_server, portal)
        booker.locator("[data-slot]").first.get_by_role("link", name=re.compile("^Book ")).click()
        login(booker)
        booker.get_by_role("button", name="Confirm booking").click()
        expect(booker.get_by_role("heading", name="You are booked")).to_be_visible()

        taken = watcher.locator(f'[data-slot][data-start="{start}"]')
        expect(taken).to_be_hidden()  # gone from the other patient's open results, no reload
        expect(watcher.locator("#live-status")).to_have_text(re.compile("just booked"))
        screenshot(watcher, "portal-results-live")

        booker.get_by_role("link", name="Cancel").click()
        booker.get_by_label("Reason for cancelling").fill("Plans changed")
        booker.get_by_role("button", name="Cancel appointment").click()
        expect(taken).to_be_visible()  # and back when it is freed
    finally:
        watcher_context.close()
        booker_context.close()


def test_portal_in_german(page, live_server, portal):
    page.goto(live_server + "/auth/login")
    login(page)
    page.goto(live_server + "/search")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html[lang=de]")).to_have_count(1)
    search_cardiology(page, live_server, portal, shots="-de")
    assert_accessible(page)
    screenshot(page, "portal-results-de")
    page.locator("[data-slot]").first.locator("a.btn-success").click()
    expect(page.locator("#main form [type=submit]")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-book-de")
    page.locator("#main form [type=submit]").click()
    page.goto(live_server + "/patient/")
    expect(page.locator("[data-appointment]")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "portal-my-appointments-de")
