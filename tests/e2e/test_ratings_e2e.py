"""Ratings in Chromium at 1280 and 390 px (docs/ratings.md): the patient rates a completed visit from their list,
the hospital's admin approves the review, and it appears on the doctor's page, escaped. axe and the layout checks
find nothing on the pages on the way."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_patient_portal import assert_accessible
from tests.integration.test_ratings import _visit

REVIEW = "<script>alert(1)</script> Listened well and explained everything."


@pytest.mark.parametrize("width", (1280, 390))
def test_patient_rates_admin_approves_review_on_doctors_page(page, live_server, make, width):
    hospital = make.hospital(name="Thames Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    patient = make.patient(name="Grace Hopper", email="grace@example.org")
    _visit(patient, doctor, hospital)
    make.user(Role.ADMIN, hospital, email="admin@example.org")
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, live_server, "grace@example.org", PASSWORD)
    page.goto(live_server + "/patient/")
    page.locator("[data-appointment] a[href$='/rate']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rate your visit")
    page.get_by_label("Your rating").select_option("5")
    page.get_by_label("Short review (optional)").fill(REVIEW)
    assert_accessible(page)
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Your rating is shown once the hospital has checked it.")).to_be_visible()
    expect(page.get_by_text("Rated", exact=True)).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    sign_in(page, live_server, "admin@example.org", PASSWORD)
    page.goto(live_server + "/admin/ratings")
    card = page.locator("[data-rating]")
    expect(card.locator(".review-text")).to_have_text(REVIEW)  # shown as text, never run
    assert_accessible(page)
    if width == 1280:
        screenshot(page, "ratings-moderation-1280", full_page=False)
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Review approved.")).to_be_visible()

    page.goto(f"{live_server}/doctors/{doctor.id}")
    expect(page.locator("[data-review] .review-text")).to_have_text(REVIEW)
    expect(page.locator(".doctor-rating").first).to_contain_text("5.0 of 5 (1 rating)")
    assert_accessible(page)
    if width == 390:
        page.locator("#reviews").scroll_into_view_if_needed()
        screenshot(page, "ratings-doctor-page-390", full_page=False)
