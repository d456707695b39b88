"""A dashboard and a statement in Chromium at 1280 and 390 px: the charts draw from static/js/reports.js, the table
views open, axe and the layout checks find nothing, and the statement prints without the page around it
(docs/reports.md)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from app.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.test_patient_portal import assert_accessible
from tests.integration.test_report_stats import clinic_day  # noqa: F401 (the fixture)


def test_the_region_dashboard_in_the_browser(page, live_server, make, runner, clinic_day):  # noqa: F811
    assert runner.invoke(args=["stats", "rebuild", "--from", "2026-02-16", "--to", "2026-03-08"]).exit_code == 0
    make.user(Role.ADMIN, email="region@example.org")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("region@example.org")
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.locator("#main form [type=submit]").click()
    page.goto(f"{live_server}/admin/reports?first=2026-02-16&last=2026-03-08&by=week")
    charts = page.locator("canvas.report-chart")
    expect(charts).to_have_count(3)
    # Chart.js sizes the canvas it draws on; an undrawn canvas keeps the browser's 300x150 default
    page.wait_for_function("() => [...document.querySelectorAll('canvas.report-chart')]"
                           ".every(c => window.Chart && window.Chart.getChart(c))")
    for summary in page.locator("summary").all():
        summary.click()
    expect(page.locator("table.table-stack").first).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV").first).to_have_attribute("href", re.compile("format=csv"))
    assert_accessible(page)
    screenshot(page, "reports-region-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    screenshot(page, "reports-region-390")
    _hospital, doctor = clinic_day
    page.goto(f"{live_server}/admin/reports/statements/{doctor.id}?month=2026-03")
    expect(page.get_by_role("link", name="Download PDF")).to_have_attribute("href", re.compile("format=pdf"))
    assert_accessible(page)
    screenshot(page, "reports-statement-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page)
    page.emulate_media(media="print")  # the print stylesheet: the statement alone
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_role("link", name="Download PDF")).to_be_hidden()
    screenshot(page, "reports-statement-print")
