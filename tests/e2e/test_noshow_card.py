"""The admin's no-show page in Chromium at 1280 and 390 px: the model card's three charts drawn by Chart.js
(static/js/noshow-card.js), their table views, axe-core and the layout checks (docs/noshow.md, "Admin pages")."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from app.services.noshow import predictions
from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_problems, layout_problems, screenshot
from tests.noshow_model import write_model


@pytest.mark.parametrize("width", [1280, 390])
def test_model_card(page, live_server, make, app, monkeypatch, tmp_path, width):
    monkeypatch.setitem(app.config, "NOSHOW_MODEL", str(write_model(tmp_path / "noshow.joblib")))
    predictions.forget_loaded()
    make.hospital(name="Thames Riverside Hospital")
    make.user(Role.ADMIN, email="admin@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.locator("#main form [type=submit]").click()
    page.goto(f"{live_server}/admin/noshow")
    expect(page.get_by_role("heading", name="The no-show model")).to_be_visible()
    for chart in ("roc-chart", "pr-chart", "calibration-chart"):
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_be_visible()
        # Chart.js has drawn on it: its instance is registered on the canvas
        assert page.evaluate(f"() => !!Chart.getChart(document.getElementById('{chart}'))")
    page.get_by_text("Table view").first.click()
    expect(page.locator("#roc-chart ~ details table")).to_be_visible()
    problems = axe_problems(page) + layout_problems(page)
    assert not problems, problems
    screenshot(page, f"admin-noshow-{width}")
