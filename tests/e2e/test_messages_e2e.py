"""Secure messages in Chromium at 1280 and 390 px (docs/messages.md): a patient writes to the desk with a picture,
the desk sees the unread message in its navbar and inbox and replies, the patient reads the reply. axe and the
layout checks find nothing on the new message form, the inbox and the conversation."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from app.models import Appointment, Patient, Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_patient_portal import assert_accessible


def png_file(tmp_path):
    path = tmp_path / "rash.png"
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (180, 40, 40)).save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def open_menu(page, width: int) -> None:
    # sign_in returns once the form is sent: wait for the page it leads to, or the click opens the login page's menu
    expect(page).not_to_have_url(re.compile(r"/auth/login"))
    page.wait_for_load_state()
    if width < 1200:  # the navbar collapses below Bootstrap's xl breakpoint
        page.get_by_role("button", name="Menu").click()


@pytest.mark.parametrize("width", (1280, 390))
def test_patient_writes_the_desk_answers(page, live_server, make, tmp_path, width):
    hospital = make.hospital(name="Thames Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.user(Role.STAFF, hospital, email="desk@example.org", name="Dee Desk")
    user = make.user(Role.PATIENT, email="mary@example.org", name="Mary Seacole")
    patient = db.session.scalar(db.select(Patient).where(Patient.user_id == user.id))
    start = datetime(2030, 3, 4, 9)
    db.session.add(Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=start,
                               end=start + timedelta(minutes=15), status="scheduled"))
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, live_server, "mary@example.org", PASSWORD)
    page.goto(live_server + "/messages/new")
    assert_accessible(page)
    page.get_by_label("To").select_option(label="Front desk, Thames Hospital")
    page.get_by_label("Subject").fill("My rash")
    page.get_by_label("Your message").fill("It is <b>spreading</b>.\nShould I come earlier?")
    page.get_by_label("Attachment").set_input_files(str(png_file(tmp_path)))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your message was sent.")).to_be_visible()
    expect(page.locator(".message-body")).to_have_text("It is <b>spreading</b>.\nShould I come earlier?")
    expect(page.get_by_role("link", name="rash.png")).to_be_visible()
    assert_accessible(page)
    page.context.clear_cookies()

    sign_in(page, live_server, "desk@example.org", PASSWORD)
    open_menu(page, width)
    expect(page.get_by_role("link", name="Messages: 1 unread")).to_be_visible()
    page.goto(live_server + "/messages/")
    expect(page.locator("#threads")).to_contain_text("Mary Seacole")
    expect(page.locator("[data-unread]")).to_contain_text("1 unread")
    assert_accessible(page)
    screenshot(page, f"messages-inbox-{width}")
    page.get_by_role("link", name="My rash").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="rash.png").click()
    assert download.value.suggested_filename == "rash.png"
    page.get_by_label("Your message").fill("Please come tomorrow at 9.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-body").last).to_have_text("Please come tomorrow at 9.")
    assert_accessible(page)
    screenshot(page, f"messages-thread-{width}")
    page.context.clear_cookies()

    sign_in(page, live_server, "mary@example.org", PASSWORD)
    open_menu(page, width)
    page.get_by_role("link", name="Messages: 1 unread").click()
    page.get_by_role("link", name="My rash").click()
    expect(page.locator("#conversation")).to_contain_text("Please come tomorrow at 9.")
    expect(page.locator("#conversation")).to_contain_text("Dee Desk")
    open_menu(page, width)
    expect(page.get_by_role("link", name="Messages: 0 unread")).to_be_visible()
