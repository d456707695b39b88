"""Recurring series at the desk (docs/series.md), over HTTP against the real services: the pages and the REST API.

The doctor works Mondays 09:00-10:00 in London (15-minute slots); the series starts next Monday, so any weekday
works.
"""
from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AuditEvent, Claim, Role, Series
from app.services import booking, signals
from app.services.availability import resource_for_doctor
from app.services.availability.views import local_today

TZ = "Europe/London"


def next_monday(weeks: int = 0) -> date:
    today = local_today(TZ)
    return today + timedelta(days=7 - today.weekday() + 7 * weeks)


def at(day: date, hh: int, mm: int = 0):
    return core.to_utc(day, time(hh, mm), ZoneInfo(TZ))


def appointments() -> list[Appointment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Appointment).order_by(Appointment.start)))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def desk(make, auth, runner, client):
    hospital = make.hospital(name="Thames Riverside Hospital")
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty, name="Dr Ada Lovelace")
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="10:00", horizon_days=60)
    patient = make.patient(name="Grace Hopper")
    patient.registered_hospital_id = hospital.id
    db.session.commit()
    staff = make.user(Role.STAFF, hospital)
    auth.login(staff.email)
    # the API with the staff member's bearer token (a session would need the page's CSRF token)
    client.environ_base["HTTP_AUTHORIZATION"] = bearer(runner, staff.email)
    return hospital, doctor, patient, staff, specialty


def bearer(runner, email: str) -> str:
    return "Bearer " + runner.invoke(args=["users", "token", "--email", email]).output.strip().splitlines()[-1]


def rule_args(doctor, hospital, **changes) -> dict:
    args = {"hospital": hospital.id, "doctor": doctor.id, "first_day": next_monday().isoformat(), "every": 1,
            "unit": "weeks", "count": 4, "window_start": "09:00", "window_end": "09:15"}
    args.update(changes)
    return {k: v for k, v in args.items() if v is not None}


def page_preview(client, patient, args):
    res = client.get(f"/staff/patients/{patient.id}/series", query_string=args)
    html = res.data.decode()
    fingerprint = html.split('name="preview" type="hidden" value="')[1].split('"')[0] if 'name="preview"' in html \
        else None
    return res, html, fingerprint


def test_page_previews_and_books_every_date_in_one_go(client, desk, make):
    hospital, doctor, patient, staff, _ = desk
    other = make.patient(name="Alan Turing")
    booking.book(None, other, doctor, at(next_monday(1), 9))  # week 2's only time in the window is taken
    db.session.commit()
    args = rule_args(doctor, hospital)
    res, html, fingerprint = page_preview(client, patient, args)
    assert res.status_code == 200
    assert html.count("Dr Ada Lovelace") >= 3 and "Cannot place: No free time in the window on this date." in html
    assert "3 of 4 dates can be booked" in html and "Book 3 appointments" in html
    announced = []

    def listener(_sender, appointment, **_kw):
        announced.append(appointment.id)

    signals.appointment_booked.connect(listener)
    try:
        res = client.post(f"/staff/patients/{patient.id}/series", query_string=args,
                          data={"preview": fingerprint})
    finally:
        signals.appointment_booked.disconnect(listener)
    assert res.status_code == 302
    series = db.session.scalar(select(Series))
    assert res.headers["Location"].endswith(f"/staff/series/{series.id}")
    mine = [a for a in appointments() if a.patient_id == patient.id]
    assert [a.start for a in mine] == [at(next_monday(w), 9) for w in (0, 2, 3)]
    assert {a.series_id for a in mine} == {series.id} and all(a.booked_by_id == staff.id for a in mine)
    assert sorted(announced) == sorted(a.id for a in mine)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "series.book", AuditEvent.target_id == series.id)) == 1
    page = client.get(f"/staff/series/{series.id}").data.decode()
    assert page.count("/reschedule") == 3 and page.count(f"/appointments/{mine[0].id}/cancel") == 1


def test_cancelling_one_occurrence_leaves_the_others_and_cancel_rest_cancels_what_remains(client, desk):
    hospital, doctor, patient, _, _ = desk
    args = rule_args(doctor, hospital)
    _res, _html, fingerprint = page_preview(client, patient, args)
    client.post(f"/staff/patients/{patient.id}/series", query_string=args, data={"preview": fingerprint})
    series = db.session.scalar(select(Series))
    first = appointments()[0]
    res = client.post(f"/staff/appointments/{first.id}/cancel", data={"reason": "patient travels"})
    assert res.status_code == 302
    assert [a.status for a in appointments()] == ["cancelled", "scheduled", "scheduled", "scheduled"]
    moved_to = at(next_monday(1), 9, 30)
    second = appointments()[1]
    res = client.post(f"/staff/appointments/{second.id}/reschedule", data={"start": moved_to.isoformat()})
    assert res.status_code == 302
    assert appointments()[1].start == moved_to and appointments()[1].series_id == series.id
    res = client.post(f"/staff/series/{series.id}/cancel-rest", data={"reason": "therapy ended"})
    assert res.status_code == 302
    rows = appointments()
    assert [a.status for a in rows] == ["cancelled"] * 4
    assert rows[0].cancel_reason == "patient travels" and rows[3].cancel_reason == "therapy ended"
    assert count(Claim) == 0


def test_a_series_past_the_horizon_is_refused_whole(client, desk):
    hospital, doctor, patient, _, _ = desk
    args = rule_args(doctor, hospital, count=12)  # 11 weeks ahead: past the 60-day horizon
    res, html, fingerprint = page_preview(client, patient, args)
    assert res.status_code == 422 and "past the booking horizon" in html and fingerprint is None
    res = client.post(f"/staff/patients/{patient.id}/series", query_string=args, data={"preview": "x"})
    assert res.status_code == 422 and "past the booking horizon" in res.data.decode()
    assert count(Appointment) == 0 and count(Series) == 0
    res = client.post("/api/v1/series", json=api_body(doctor, hospital, patient, count=12))
    assert res.status_code == 422 and res.get_json()["error"] == "beyond_horizon"
    assert "Nothing was booked" in res.get_json()["message"]
    assert count(Appointment) == 0 and count(Series) == 0


def test_a_claim_lost_meanwhile_books_nothing_and_shows_the_preview_again(client, desk, make):
    hospital, doctor, patient, _, _ = desk
    args = rule_args(doctor, hospital)
    _res, _html, fingerprint = page_preview(client, patient, args)
    # a racing writer holds week 3's cell: neither the index nor the placement sees it, the claim's UNIQUE does
    other = make.patient(name="Alan Turing")
    gone = booking.book(None, other, doctor, at(next_monday(), 9, 45))
    db.session.flush()
    booking.cancel(None, gone, "moved away")
    db.session.add(Claim(resource_id=resource_for_doctor(doctor.id).id, cell_start=at(next_monday(2), 9),
                         seat=0, appointment_id=gone.id))
    db.session.commit()
    res = client.post(f"/staff/patients/{patient.id}/series", query_string=args, data={"preview": fingerprint})
    html = res.data.decode()
    assert res.status_code == 409 and "Nothing was booked" in html and next_monday(2).isoformat() in html
    assert 'id="series-preview"' in html and "Book 4 appointments" in html
    assert [a.patient_id for a in appointments()] == [other.id] and count(Series) == 0


def test_a_changed_preview_is_not_booked(client, desk, make):
    hospital, doctor, patient, _, _ = desk
    args = rule_args(doctor, hospital)
    _res, _html, fingerprint = page_preview(client, patient, args)
    booking.book(None, make.patient(name="Alan Turing"), doctor, at(next_monday(3), 9))
    db.session.commit()
    res = client.post(f"/staff/patients/{patient.id}/series", query_string=args, data={"preview": fingerprint})
    assert res.status_code == 409 and "Book 3 appointments" in res.data.decode()
    assert count(Series) == 0


def test_bad_rules_show_field_errors(client, desk):
    hospital, doctor, patient, _, _ = desk
    res, html, _ = page_preview(client, patient, rule_args(doctor, hospital, count=""))
    assert res.status_code == 422 and "Give either a number of appointments or an end date" in html
    res, html, _ = page_preview(client, patient, rule_args(doctor, hospital, count=53))
    assert res.status_code == 422
    res, html, _ = page_preview(client, patient, rule_args(doctor, hospital, window_end="08:00"))
    assert res.status_code == 422 and "The time window must end after it starts." in html


# --- REST API ---

def api_body(doctor, hospital, patient, **changes) -> dict:
    body = {"patient_id": patient.id, "hospital_id": hospital.id, "doctor_id": doctor.id,
            "first_day": next_monday().isoformat(), "every": 1, "unit": "weeks", "count": 4,
            "window_start": "09:00", "window_end": "09:15"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_api_preview_book_get_and_cancel_rest(client, desk):
    hospital, doctor, patient, _, specialty = desk
    body = api_body(doctor, hospital, patient, doctor_id=None, specialty_id=specialty.id, count=None,
                    until=next_monday(2).isoformat(), every=2)  # weeks 0 and 2
    res = client.post("/api/v1/series/preview", json=body)
    assert res.status_code == 200, res.get_json()
    preview = res.get_json()
    assert preview["placeable"] == 2 and [o["date"] for o in preview["occurrences"]] == [
        next_monday().isoformat(), next_monday(2).isoformat()]
    assert preview["occurrences"][0]["doctor_id"] == doctor.id and count(Appointment) == 0
    res = client.post("/api/v1/series", json={**body, "preview": preview["preview"]})
    assert res.status_code == 201, res.get_json()
    made = res.get_json()
    assert len(made["appointments"]) == 2 and made["unplaceable"] == [] and made["until"] == body["until"]
    got = client.get(f"/api/v1/series/{made['id']}").get_json()
    assert [a["id"] for a in got["appointments"]] == [a["id"] for a in made["appointments"]]
    res = client.post(f"/api/v1/series/{made['id']}/cancel-rest", json={"reason": "done"})
    assert res.status_code == 200 and {a["status"] for a in res.get_json()["appointments"]} == {"cancelled"}


def test_api_stale_preview_and_bad_input(client, desk):
    hospital, doctor, patient, _, _ = desk
    res = client.post("/api/v1/series", json={**api_body(doctor, hospital, patient), "preview": "stale"})
    assert res.status_code == 409 and res.get_json()["error"] == "series_changed" and count(Series) == 0
    res = client.post("/api/v1/series/preview", json=api_body(doctor, hospital, patient, until="2030-01-01"))
    assert res.status_code == 422 and "count" in res.get_json()["fields"]
    res = client.post("/api/v1/series/preview", json=api_body(doctor, hospital, patient, count=10**9))
    assert res.status_code == 422
    res = client.post("/api/v1/series/preview", json=api_body(doctor, hospital, patient, first_day="2020-01-06"))
    assert res.status_code == 422 and res.get_json()["error"] == "invalid_series"


def test_other_hospitals_staff_and_patients_are_refused(client, desk, make, auth, runner):
    hospital, doctor, patient, _, _ = desk
    body = api_body(doctor, hospital, patient)
    res = client.post("/api/v1/series", json=body)
    series_id = res.get_json()["id"]
    page_args = rule_args(doctor, hospital)
    auth.logout()
    elsewhere = make.hospital(name="Elsewhere")
    outsider = make.user(Role.STAFF, elsewhere)
    auth.login(outsider.email)
    client.environ_base["HTTP_AUTHORIZATION"] = bearer(runner, outsider.email)
    assert client.get(f"/api/v1/series/{series_id}").status_code == 404
    assert client.post(f"/api/v1/series/{series_id}/cancel-rest", json={"reason": "x"}).status_code == 404
    assert client.post("/api/v1/series/preview", json=body).status_code == 404
    assert client.post("/api/v1/series", json=body).status_code == 404
    assert client.get(f"/staff/series/{series_id}").status_code == 404
    assert client.post(f"/staff/series/{series_id}/cancel-rest", data={"reason": "x"}).status_code == 404
    assert client.get(f"/staff/patients/{patient.id}/series", query_string=page_args).status_code == 404
    auth.logout()
    auth.login(patient_user_email(patient))
    client.environ_base["HTTP_AUTHORIZATION"] = bearer(runner, patient_user_email(patient))
    assert client.get(f"/api/v1/series/{series_id}").status_code == 403
    assert client.post("/api/v1/series", json=body).status_code == 403
    assert client.get(f"/staff/series/{series_id}").status_code in (403, 404)
    auth.logout()
    del client.environ_base["HTTP_AUTHORIZATION"]
    assert client.get(f"/api/v1/series/{series_id}").status_code == 401
    assert {a.status for a in appointments()} == {"scheduled"} and count(Series) == 1


def patient_user_email(patient) -> str:
    from app.models import User
    return db.session.get(User, patient.user_id).email


# --- races and languages ---

def test_two_desks_racing_for_the_same_times_book_one_whole_series(app, make):
    """Both series want the same four times; whoever loses any claim books nothing at all."""
    from app.models import Hospital, Patient
    from app.scheduling import series as rules
    from app.services.booking import series as series_service
    from tests.integration.racing import double_booked_cells, race

    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="10:00")
    patients = [make.patient().id for _ in range(2)]
    hospital_id, doctor_id = hospital.id, doctor.id
    rule = rules.Recurrence(first_day=next_monday(), every=1, unit="weeks", window_start=time(9),
                            window_end=time(9, 15), count=4)

    def book(i: int):
        request = series_service.SeriesRequest(db.session.get(Patient, patients[i]),
                                               db.session.get(Hospital, hospital_id), rule, doctor_id=doctor_id)
        return series_service.book(None, request)[0].id

    results, errors = race(app, book, 2, timeout=30)
    assert errors == []
    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, (int, core.SchedulingError)) for r in results)
    db.session.rollback()  # end this session's snapshot: MariaDB reads are REPEATABLE READ
    rows = appointments()
    assert len(rows) == 4 and len({a.patient_id for a in rows}) == 1 and count(Series) == 1
    assert double_booked_cells() == 0


def test_the_preview_speaks_german(client, desk):
    hospital, doctor, patient, _, _ = desk
    with client.session_transaction() as session:
        session["lang"] = "de"
    res = client.get(f"/staff/patients/{patient.id}/series", query_string=rule_args(doctor, hospital, count=12))
    html = res.data.decode()
    assert res.status_code == 422 and "über den Buchungshorizont hinaus" in html and "Serie für" in html
