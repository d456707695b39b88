"""An overbooking rule replayed over last month's sessions before it is saved (docs/overbooking.md, "Preview")."""
from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, OverbookRule, Role
from app.models.base import utcnow
from app.scheduling.overbooking import Rule
from app.services.overbooking.preview import preview_rule

TZ = ZoneInfo("Europe/London")


def _clinic(make):
    """A doctor with four 15-minute slots a day (09:00-10:00) and two past days: one full, one with a free slot."""
    hospital = make.hospital(name="Thames Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    patient = make.patient()
    make.schedule(doctor, hospital, start="09:00", end="10:00", slot_minutes=15)
    today = core.local_day(utcnow(), TZ)
    full, partial = today - timedelta(days=3), today - timedelta(days=2)
    booked = {full: [(0.5, "no_show"), (0.4, "completed"), (0.1, "completed"), (0.05, "completed")],
              partial: [(0.6, "no_show"), (0.5, "completed"), (0.3, "completed")]}
    for day, rows in booked.items():
        for k, (p, status) in enumerate(rows):
            start = core.to_utc(day, time(9, 15 * k), TZ)
            db.session.add(Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id,
                                       start=start, end=start + timedelta(minutes=15), status=status, noshow_p=p,
                                       created_at=start - timedelta(days=7)))
    # a cancelled booking in the partial day's free slot does not fill it
    start = core.to_utc(partial, time(9, 45), TZ)
    db.session.add(Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=start,
                               end=start + timedelta(minutes=15), status="cancelled", noshow_p=0.9))
    db.session.commit()
    return hospital, doctor


def test_the_replay_counts_what_the_rule_would_have_done(app, make):
    _, doctor = _clinic(make)
    result = preview_rule(Rule(max_extra=2, alpha=1.0, low_risk=0.15), [doctor], utcnow())
    assert (result.doctors, result.sessions, result.full_sessions, result.no_shows) == (1, 2, 1, 1)
    # the two slots above the low-risk threshold: 09:00 (0.5, did not come) and 09:15 (0.4, came);
    # expected attendance 2.95 + 2 x 0.74 = 4.43 <= 4 + 1
    assert (result.extras, result.into_no_shows, result.beside_arrivals, result.unknown_risk) == (2, 1, 1, 0)
    # a tighter penalty stops after the first extra; a rule that is off adds none
    assert preview_rule(Rule(max_extra=2, alpha=0.3, low_risk=0.15), [doctor], utcnow()).extras == 1
    assert preview_rule(Rule(), [doctor], utcnow()).extras == 0
    # a high low-risk threshold protects every slot
    assert preview_rule(Rule(max_extra=2, alpha=1.0, low_risk=0.6), [doctor], utcnow()).extras == 0


def _numbers(html: str) -> list[int]:
    block = html.split('id="preview-figures"', 1)[1].split("</dl>", 1)[0]
    return [int(x) for x in re.findall(r"<dd[^>]*>(\d+)</dd>", block)]


def test_the_admin_previews_without_saving(client, make, auth):
    hospital, doctor = _clinic(make)
    admin = make.user(Role.ADMIN, hospital, email="hadmin@example.org")
    auth.login(admin.email)
    res = client.post("/admin/overbooking/new", data={"doctor_id": str(doctor.id), "max_extra": "2", "alpha": "1",
                                                       "low_risk": "0.15", "preview": "Preview the last 30 days"})
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert "What this rule would have done" in page
    assert _numbers(page) == [2, 1, 1, 2, 1, 1, 0]
    assert db.session.scalar(select(func.count(OverbookRule.id))) == 0  # nothing saved
    # an absurd rule is refused on its field, as when saving
    res = client.post("/admin/overbooking/new", data={"doctor_id": str(doctor.id), "max_extra": "-1", "alpha": "1",
                                                       "low_risk": "0.15", "preview": "Preview the last 30 days"})
    assert res.status_code == 422 and b"cannot be negative" in res.data and b'id="preview-figures"' not in res.data


def test_another_hospitals_doctor_cannot_be_previewed(client, make, auth):
    _, doctor = _clinic(make)
    admin = make.user(Role.ADMIN, make.hospital(name="Other"), email="other@example.org")
    auth.login(admin.email)
    res = client.post("/admin/overbooking/new", data={"doctor_id": str(doctor.id), "max_extra": "2", "alpha": "1",
                                                       "low_risk": "0.15", "preview": "Preview the last 30 days"})
    assert res.status_code == 422 and b'id="preview-figures"' not in res.data  # not a valid choice: no numbers leak


def test_the_region_default_skips_doctors_with_their_own_rule(client, make, auth):
    _, doctor = _clinic(make)
    admin = make.user(Role.ADMIN, email="region@example.org")
    auth.login(admin.email)
    data = {"doctor_id": "0", "max_extra": "2", "alpha": "1", "low_risk": "0.15", "preview": "Preview"}
    assert _numbers(client.post("/admin/overbooking/new", data=data).get_data(as_text=True))[3] == 2
    client.post("/admin/overbooking/new", data={"doctor_id": str(doctor.id), "max_extra": "0", "alpha": "0",
                                                 "low_risk": "0.15"})
    assert _numbers(client.post("/admin/overbooking/new", data=data).get_data(as_text=True))[:4] == [0, 0, 0, 0]
