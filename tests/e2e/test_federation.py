"""Partner systems' slots in Chromium at 1280 and 390 px (docs/federation.md): the search's own section with source
and age, the slot's booking page, and the admin's health table; axe and the layout checks find nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.jobs import sync_sources
from app.models import Role
from app.models.base import utcnow
from app.services.federation import sources
from app.transaction import transaction
from tests.conftest import PASSWORD
from tests.e2e.conftest import SHOTS
from tests.e2e.test_patient_portal import assert_accessible
from tests.integration.fhir_source import LOCATION, SCHEDULE, Source, manifest, ndjson, slot


def login(page, base: str, email: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#main form [type=submit]").click()


@pytest.mark.parametrize("width", (1280, 390))
def test_partner_slots_in_search_booking_and_admin(page, live_server, make, width):
    cardiology = make.specialty()
    patient = make.user(email="pat@example.org")
    make.user(Role.ADMIN, email="region@example.org")
    start = (utcnow() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    with Source() as source:
        source.routes["/manifest.json"] = (200, {}, manifest(source.base))
        source.routes["/locations.ndjson"] = (200, {}, ndjson(LOCATION | {"name": "Partner Clinic, Hill Street"}))
        source.routes["/schedules.ndjson"] = (200, {}, ndjson(SCHEDULE))
        source.routes["/slots.ndjson"] = (200, {}, ndjson(*[
            slot(f"X{i}", (start + timedelta(minutes=15 * i)).isoformat() + "+00:00",
                 (start + timedelta(minutes=15 * i + 15)).isoformat() + "+00:00") for i in range(3)]))
        with transaction():
            sources.add("North Health Partners", f"{source.base}/manifest.json", "smart-links")
        assert sync_sources()["upserted"] == 3
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, patient.email)
    page.goto(f"{live_server}/search?specialty={cardiology.id}")
    section = page.locator("#external-slots")
    expect(section.get_by_role("heading", name="At partner hospitals")).to_be_visible()
    expect(section).to_contain_text("From North Health Partners, checked 0 min ago")
    assert_accessible(page)
    section.screenshot(path=str(SHOTS / f"federation-search-{width}.png"))
    section.get_by_role("link", name="Book").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book at a partner hospital")
    expect(page.locator("dl")).to_contain_text("Partner Clinic, Hill Street")
    assert_accessible(page)
    page.context.clear_cookies()
    login(page, live_server, "region@example.org")
    page.goto(live_server + "/admin/federation")
    expect(page.locator("#sources")).to_contain_text("North Health Partners")
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / f"federation-admin-{width}.png"))
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#sources")).to_contain_text("paused")
    assert_accessible(page)
