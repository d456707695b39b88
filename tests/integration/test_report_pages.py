"""The dashboards and the monthly statement: who sees what, the CSV, the PDF (docs/reports.md)."""
import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models import Appointment, Role
from tests.integration.test_report_stats import DAY, at, clinic_day  # noqa: F401 (the fixture)


@pytest.fixture
def built(runner, clinic_day):  # noqa: F811
    assert runner.invoke(args=["stats", "rebuild", "--from", "2026-03-01", "--to", "2026-03-03"]).exit_code == 0
    return clinic_day


PERIOD = {"first": "2026-03-01", "last": "2026-03-03", "by": "week"}


def csv_rows(res) -> list[dict]:
    assert res.status_code == 200 and res.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))


def test_the_region_admin_sees_the_region_and_downloads_each_table(client, auth, make, built):
    hospital, doctor = built
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    page = client.get("/admin/reports", query_string=PERIOD)
    assert page.status_code == 200 and "data-chart" in page.get_data(as_text=True)
    trend = csv_rows(client.get("/admin/reports", query_string={**PERIOD, "format": "csv", "table": "trend"}))
    assert [r["label"] for r in trend] == ["2026-02-23", "2026-03-02"]  # the weeks of Sunday 1st and Monday 2nd
    week = trend[1]
    assert (week["used_hours"], week["lost_hours"], week["no_shows"], week["appointments"]) == ("0.5", "0.5", "1", "4")
    compare = csv_rows(client.get("/admin/reports", query_string={**PERIOD, "format": "csv", "table": "compare"}))
    assert [r["label"] for r in compare] == [hospital.name]
    access = csv_rows(client.get("/admin/reports", query_string={**PERIOD, "format": "csv", "table": "access"}))
    assert [r["label"] for r in access] == ["Cardiology"] and float(access[0]["third_next_days"]) > 0
    assert client.get("/admin/reports", query_string={**PERIOD, "format": "csv", "table": "x"}).status_code == 404
    # the region's statements are listed per hospital; a hospital's name is never a spreadsheet formula
    assert f"/admin/reports/statements/{doctor.id}" not in page.get_data(as_text=True)
    narrowed = client.get("/admin/reports", query_string={**PERIOD, "hospital": hospital.id})
    assert f"/admin/reports/statements/{doctor.id}" in narrowed.get_data(as_text=True)
    hospital.name = "=HYPERLINK(1)"
    db.session.commit()
    named = csv_rows(client.get("/admin/reports", query_string={**PERIOD, "format": "csv", "table": "compare"}))
    assert [r["label"] for r in named] == ["'=HYPERLINK(1)"]


def test_bad_periods_are_explained_on_the_form(client, auth, make, built):
    auth.login(make.user(Role.ADMIN).email)
    reversed_ = client.get("/admin/reports", query_string={"first": "2026-03-03", "last": "2026-03-01"})
    assert reversed_.status_code == 422 and "The period ends before it starts." in reversed_.get_data(as_text=True)
    future = client.get("/admin/reports", query_string={"last": "2099-01-01"})
    assert future.status_code == 422 and "reaches into the future" in future.get_data(as_text=True)
    long = client.get("/admin/reports", query_string={"first": "2020-01-01", "last": "2026-03-01"})
    assert long.status_code == 422 and "longer than 366 days" in long.get_data(as_text=True)


def test_hospital_admins_and_doctors_see_only_their_own(client, auth, make, built):
    hospital, doctor = built
    other = make.hospital()
    local_admin = make.user(Role.ADMIN, hospital=other)
    auth.login(local_admin.email)
    assert client.get("/admin/reports", query_string={**PERIOD, "hospital": hospital.id}).status_code == 404
    mine = csv_rows(client.get("/admin/reports", query_string={**PERIOD, "format": "csv", "table": "trend"}))
    assert mine == []  # nothing of the other hospital's figures
    assert client.get(f"/admin/reports/statements/{doctor.id}").status_code == 404
    auth.logout()
    stranger = make.doctor(other, make.specialty("Dermatology", "DER"))
    auth.login(stranger.user.email)
    assert csv_rows(client.get("/doctor/reports", query_string={**PERIOD, "format": "csv", "table": "trend"})) == []
    auth.logout()
    auth.login(doctor.user.email)
    own = csv_rows(client.get("/doctor/reports", query_string={**PERIOD, "format": "csv", "table": "trend"}))
    assert sum(int(r["appointments"]) for r in own) == 4


def test_the_statement_lists_fees_apart_from_the_missed_and_its_pdf_says_the_same(client, auth, make, built):
    hospital, doctor = built
    db.session.add(Appointment(doctor_id=doctor.id, hospital_id=hospital.id, start=datetime(2026, 4, 1, 9),
                               end=datetime(2026, 4, 1, 9, 15), status="completed", fee=Decimal("999"),
                               currency="GBP"))  # another month: not on March's statement
    db.session.commit()
    auth.login(doctor.user.email)
    page = client.get("/doctor/statement", query_string={"month": "2026-03"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "£100.00" in text and "£999" not in text
    pdf = client.get("/doctor/statement", query_string={"month": "2026-03", "format": "pdf"})
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Total: 100.00 GBP" in words  # two completed at 50
    assert words.count("100.00 GBP") == 2  # the line and the total
    assert words.count(" 50.00 GBP") == 2  # the no-show and the late cancellation, apart
    assert "No-shows and cancellations" in words
    assert client.get("/doctor/statement", query_string={"month": "2099-01"}).status_code == 422
    assert client.get("/doctor/statement", query_string={"month": "March"}).status_code == 422
    auth.logout()
    admin = make.user(Role.ADMIN, hospital=hospital)
    auth.login(admin.email)
    seen = client.get(f"/admin/reports/statements/{doctor.id}", query_string={"month": "2026-03"})
    assert seen.status_code == 200 and "£100.00" in seen.get_data(as_text=True)
