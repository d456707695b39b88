"""The overbooking rules editor in Chromium at 1280 and 390 px (docs/overbooking.md): a refused rule shows its field
error, a saved one its row; axe and the layout checks find nothing on the form and the list."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.conftest import PASSWORD
from tests.e2e.test_patient_portal import assert_accessible


@pytest.mark.parametrize("width", (1280, 390))
def test_an_admin_sets_a_doctors_rule(page, live_server, make, width):
    hospital = make.hospital(name="Thames Hospital")
    make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.user(Role.ADMIN, email="region@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server + "/auth/login")
    page.get_by_label("E-mail").fill("region@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#main form [type=submit]").click()
    page.goto(live_server + "/admin/overbooking/new")
    assert_accessible(page)
    page.get_by_label("Applies to").select_option(label="Dr Ada Heart")
    page.get_by_label("Extra bookings per session (0: off)").fill("-1")
    page.get_by_role("button", name="Save rule").click()
    # (axe cannot judge the contrast of an invalid field over Bootstrap's warning icon: checked before and after)
    expect(page.get_by_text("The number of extra bookings cannot be negative.")).to_be_visible()
    page.get_by_label("Extra bookings per session (0: off)").fill("2")
    page.get_by_role("button", name="Preview the last 30 days").click()
    expect(page.get_by_role("heading", name="What this rule would have done")).to_be_visible()
    expect(page.locator("#preview-figures")).to_contain_text("Full sessions")
    assert_accessible(page)
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overbooking rules")
    expect(page.locator("table")).to_contain_text("Dr Ada Heart")
    assert_accessible(page)
