"""The admin's team page in Chromium at 1280 and 390 px (docs/teams.md): from the hospital's appointment types to
the team, a refused save shows its error beside the row and changes nothing, "Add a role" gives one more row, and
the saved team is the one the API returns; axe and the layout checks find nothing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Role
from app.services import teams
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_patient_portal import assert_accessible
from tests.integration.team_world import team_world


@pytest.mark.parametrize("width", (1280, 390))
def test_an_admin_edits_a_procedure_team(page, live_server, make, width):
    world = team_world(make)
    make.user(Role.ADMIN, world.hospital, email="boss@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "boss@example.org", PASSWORD)
    page.goto(f"{live_server}/admin/hospitals/{world.hospital.id}")
    page.get_by_role("link", name="Team for Laser surgery").click()
    expect(page.get_by_role("heading", name="Team for Laser surgery")).to_be_visible()
    expect(page.get_by_label("Name of the role").first).to_have_value("surgeon")
    assert_accessible(page)
    screenshot(page, f"teams-admin-{width}", full_page=False)
    # the same name twice is refused and nothing is saved
    second = page.locator("fieldset.team-role").nth(1)
    second.get_by_label("Name of the role").fill("surgeon")
    page.get_by_role("button", name="Save team").click()
    expect(page.get_by_role("alert")).to_contain_text("Each role needs its own name.")
    assert_accessible(page)
    db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep the one from before the clicks
    assert [r["name"] for r in teams.template_for(world.kind.id).roles] == ["surgeon", "anaesthetist", "theatre"]
    # rename, add a fourth role with a named doctor, name the theatre
    second.get_by_label("Name of the role").fill("anaesthetist")
    page.get_by_role("button", name="Add a role").click()
    rows = page.locator("fieldset.team-role")
    expect(rows).to_have_count(5)  # three roles, the empty row shown at first, and the added one
    rows.nth(2).get_by_label("Theatre A").check()
    fourth = rows.nth(3)
    fourth.get_by_label("Name of the role").fill("assistant")
    fourth.get_by_label("Surgeon 2").check()
    page.get_by_role("button", name="Save team").click()
    expect(page.get_by_text("The team of Laser surgery is saved.")).to_be_visible()
    assert_accessible(page)
    db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep the one from before the clicks
    assert teams.template_for(world.kind.id).roles[2:] == [
        {"name": "theatre", "kind": "room", "room_ids": [world.theatre.id]},
        {"name": "assistant", "kind": "doctor", "doctor_ids": [world.surgeons[1].id]}]
    api = page.request.get(f"{live_server}/api/v1/appointment-types/{world.kind.id}/team")
    assert api.status == 200  # the browser session reads the API too (docs/api.md)
    assert [r["name"] for r in api.json()["roles"]] == ["surgeon", "anaesthetist", "theatre", "assistant"]
