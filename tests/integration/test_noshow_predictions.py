"""Predictions stored on bookings (docs/noshow.md, "Predictions on bookings"): every booking path scores, no model
or a refused model stores nothing and breaks nothing, staff see a band and patients never do."""
from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, AppointmentType, Offer
from app.models.user import Role
from app.scheduling.codes import Status
from app.services import booking, waitlist
from app.services.noshow import predictions
from app.services.noshow.modelfile import metrics_path
from tests.noshow_model import write_model

NOW = datetime(2026, 2, 27, 8, 0)  # a Friday; the schedule runs 09:00-12:00 London every day
SLOT = datetime(2026, 3, 3, 9, 0)


@pytest.fixture
def model_setting(app, monkeypatch):
    """Point NOSHOW_MODEL at a path; the loaded model is forgotten before and after."""
    def use(path):
        monkeypatch.setitem(app.config, "NOSHOW_MODEL", str(path) if path else None)
        predictions.forget_loaded()
    yield use
    predictions.forget_loaded()


@pytest.fixture
def model(tmp_path, model_setting):
    path = write_model(tmp_path / "noshow.joblib")
    model_setting(path)
    return path


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital")
    db.session.add(AppointmentType(hospital_id=hospital.id, code="new", name="New patient"))
    db.session.commit()
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty, name="Dr Ada Lovelace")
    make.schedule(doctor, hospital)
    return hospital, specialty, doctor


def _missed_before(patient, doctor, days: int):
    """Earlier appointments the patient missed (on days well before NOW)."""
    for i in range(days):
        start = datetime(2026, 2, 2 + i, 9, 0)
        appointment = booking.book(None, patient, doctor, start, now=start - timedelta(days=1))
        appointment.status = Status.NO_SHOW
    db.session.commit()


def test_a_booking_stores_its_probability_and_the_model_version(clinic, make, model):
    _, _, doctor = clinic
    steady, absent = make.patient(), make.patient()
    _missed_before(absent, doctor, 2)
    first = booking.book(None, steady, doctor, SLOT, now=NOW)
    second = booking.book(None, absent, doctor, SLOT + timedelta(minutes=15), now=NOW)
    db.session.commit()
    version = json.loads(metrics_path(model).read_text())["model_version"]
    assert version.startswith("logistic_regression/2016-05-17/")
    assert first.noshow_model == second.noshow_model == version
    assert 0 < first.noshow_p < second.noshow_p < 1  # two missed appointments before: a higher risk
    # moved further ahead: scored again for the new lead time (the model's risk grows with it)
    before = first.noshow_p
    moved = booking.reschedule(None, first, datetime(2026, 3, 20, 9, 0), now=NOW)
    db.session.commit()
    assert moved.noshow_p > before and moved.noshow_model == version


def test_a_waitlist_accept_is_scored(clinic, make, model):
    _, specialty, doctor = clinic
    first, waiting = make.patient(), make.patient()
    taken = booking.book(None, first, doctor, SLOT, now=NOW)
    waitlist.join(None, waiting, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 3, 10)), now=NOW)
    db.session.commit()
    booking.cancel(None, taken, "", now=NOW)
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    hold = db.session.get(Appointment, offer.hold_id)
    assert hold.noshow_p is None  # a hold has no patient yet
    accepted = waitlist.accept(waiting.user_id, offer, waiting, now=NOW + timedelta(minutes=5))
    db.session.commit()
    assert accepted.patient_id == waiting.id and accepted.noshow_p is not None and accepted.noshow_model


def test_without_a_model_nothing_is_stored(clinic, make, model_setting, tmp_path, caplog):
    _, _, doctor = clinic
    model_setting(None)
    plain = booking.book(None, make.patient(), doctor, SLOT, now=NOW)
    model_setting(tmp_path / "missing.joblib")
    with caplog.at_level(logging.ERROR, logger="app.services.noshow.predictions"):
        missing = booking.book(None, make.patient(), doctor, SLOT + timedelta(minutes=15), now=NOW)
    db.session.commit()
    assert (plain.noshow_p, plain.noshow_model, missing.noshow_p, missing.noshow_model) == (None,) * 4
    assert "no-show model refused" in caplog.text and "not found" in caplog.text


@pytest.mark.parametrize("damage", ["tampered", "other_version"])
def test_a_tampered_or_foreign_model_is_refused_and_booking_goes_on(clinic, make, model_setting, tmp_path, caplog,
                                                                      damage):
    _, _, doctor = clinic
    if damage == "tampered":
        path = write_model(tmp_path / "noshow.joblib")
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        expected = "checksum"
    else:
        path = write_model(tmp_path / "noshow.joblib", version=2)
        expected = "version 2"
    model_setting(path)
    with caplog.at_level(logging.ERROR, logger="app.services.noshow.predictions"):
        appointment = booking.book(None, make.patient(), doctor, SLOT, now=NOW)
        again = booking.book(None, make.patient(), doctor, SLOT + timedelta(minutes=15), now=NOW)
    db.session.commit()
    assert appointment.status == again.status == "scheduled"
    assert (appointment.noshow_p, again.noshow_p) == (None, None)
    refusals = [r for r in caplog.records if "no-show model refused" in r.getMessage()]
    assert len(refusals) == 1 and expected in refusals[0].getMessage()  # said once per file, not per booking


def test_staff_see_the_band_patients_never(clinic, make, model, client, auth, runner):
    hospital, _, doctor = clinic
    patient = make.patient(name="Grace Hopper")
    _missed_before(patient, doctor, 3)
    today = datetime.utcnow().replace(hour=23, minute=0, second=0, microsecond=0)  # London: today, late
    appointment = Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=today,
                              end=today + timedelta(minutes=15), status=Status.SCHEDULED, noshow_p=0.42,
                              noshow_model="logistic_regression/2016-05-17/abc")
    db.session.add(appointment)
    db.session.commit()
    staff = make.user(Role.STAFF, hospital)
    auth.login(staff.email)
    for url in (f"/staff/desk/{hospital.id}", "/staff/"):
        page = client.get(url).get_data(as_text=True)
        assert 'data-risk="high"' in page and "high risk" in page and "42%" in page, url
    auth.logout()
    auth.login(doctor.user.email)
    assert 'data-risk="high"' in client.get("/doctor/").get_data(as_text=True)
    auth.logout()
    auth.login(patient.user.email)
    for url in ("/patient/", f"/patient/appointments/{appointment.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Dr Ada Lovelace" in page and "risk" not in page and "42%" not in page, url
    headers = {"Authorization": "Bearer " + runner.invoke(
        args=["users", "token", "--email", patient.user.email]).output.strip().splitlines()[-1]}
    body = client.get(f"/api/v1/appointments/{appointment.id}", headers=headers).get_data(as_text=True)
    assert str(appointment.id) in body and "noshow" not in body and "0.42" not in body


def _outcome(patient, doctor, hospital, start, status, booked_days_before):
    db.session.add(Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=start,
                               end=start + timedelta(minutes=15), status=status,
                               created_at=start - timedelta(days=booked_days_before)))


def test_admin_page_shows_the_card_and_scoped_rates(clinic, make, model, client, auth):
    hospital, specialty, doctor = clinic
    other = make.hospital(name="Spree Klinik", timezone="Europe/Berlin")
    other_doctor = make.doctor(other, specialty, name="Dr Emmy Noether")
    patient = make.patient()
    monday = datetime.utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=14)
    monday -= timedelta(days=monday.weekday())  # a Monday two or three weeks back
    for i, status in enumerate([Status.NO_SHOW, Status.COMPLETED, Status.COMPLETED, Status.COMPLETED]):
        _outcome(patient, doctor, hospital, monday + timedelta(minutes=15 * i), status, 0 if i == 0 else 10)
    for i in range(3):
        _outcome(patient, other_doctor, other, monday + timedelta(days=1, minutes=15 * i), Status.NO_SHOW, 40)
    _outcome(patient, doctor, hospital, monday + timedelta(hours=2), Status.CANCELLED, 1)  # no outcome: not counted
    db.session.commit()

    own_admin = make.user(Role.ADMIN, hospital)
    auth.login(own_admin.email)
    page = client.get("/admin/noshow").get_data(as_text=True)
    version = json.loads(metrics_path(model).read_text())["model_version"]
    assert version in page and "2016-04-29" in page and 'id="roc-chart"' in page and 'id="calibration-chart"' in page
    assert "prior_noshows" in page and "vendor/chart.js/chart.umd.min.js" in page
    assert "Thames Riverside Hospital" in page and "Dr Ada Lovelace" in page
    assert "Spree Klinik" not in page and "Dr Emmy Noether" not in page  # another hospital's figures stay out
    assert "1 of 4 missed (25.0%)" in page and "same day" in page and "8-30 days ahead" in page
    assert "more than 30 days ahead" not in page and "Monday" in page and "Tuesday" not in page
    auth.logout()

    region = make.user(Role.ADMIN)
    auth.login(region.email)
    page = client.get("/admin/noshow").get_data(as_text=True)
    assert "Spree Klinik" in page and "4 of 7 missed" in page and "more than 30 days ahead" in page
    auth.logout()

    staff = make.user(Role.STAFF, hospital)
    auth.login(staff.email)
    assert client.get("/admin/noshow").status_code in (403, 404)


def test_admin_page_says_when_the_model_is_missing_or_refused(clinic, make, model_setting, client, auth, tmp_path):
    auth.login(make.user(Role.ADMIN).email)
    model_setting(None)
    assert "No model is configured" in client.get("/admin/noshow").get_data(as_text=True)
    path = write_model(tmp_path / "noshow.joblib")
    path.write_bytes(path.read_bytes() + b"\0")
    model_setting(path)
    page = client.get("/admin/noshow").get_data(as_text=True)
    assert "The configured model is refused" in page and "checksum" in page and 'id="roc-chart"' not in page
