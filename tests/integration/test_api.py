"""The REST contract of docs/api.md, over HTTP, with bearer tokens and sessions."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, AuditEvent, Role
from tests.conftest import PASSWORD


def next_monday(weeks: int = 1) -> date:
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) + 7 * (weeks - 1))


@pytest.fixture
def region(make, runner):
    london = make.hospital(name="Thames", timezone="Europe/London", lat=51.5, lon=-0.12)
    berlin = make.hospital(name="Spree", city="Berlin", country="DE", timezone="Europe/Berlin", lat=52.52,
                           lon=13.4)
    cardio = make.specialty()
    doc_l = make.doctor(london, cardio)
    doc_b = make.doctor(berlin, cardio)
    make.schedule(doc_l, london, weekdays=[0], start="09:00", end="10:00")
    make.schedule(doc_b, berlin, weekdays=[0], start="09:00", end="10:00")
    return {"london": london, "berlin": berlin, "cardio": cardio, "doc_l": doc_l, "doc_b": doc_b}


def token_for(runner, email: str) -> dict:
    token = runner.invoke(args=["users", "token", "--email", email]).output.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def test_directory_lists(client, region):
    assert {s["name"] for s in client.get("/api/v1/specialties").get_json()["specialties"]} == {"Cardiology"}
    hospitals = client.get("/api/v1/hospitals").get_json()["hospitals"]
    assert {h["timezone"] for h in hospitals} == {"Europe/London", "Europe/Berlin"}
    assert set(hospitals[0]) >= {"id", "name", "city", "country", "lat", "lon", "timezone"}
    doctors = client.get("/api/v1/doctors?specialty=cardiology").get_json()["doctors"]
    assert len(doctors) == 2 and doctors[0]["specialty"] == "Cardiology" and doctors[0]["hospital_ids"]
    by_hospital = client.get(f"/api/v1/doctors?hospital={region['berlin'].id}").get_json()["doctors"]
    assert [d["id"] for d in by_hospital] == [region["doc_b"].id]
    assert client.get("/api/v1/doctors?specialty=astrology").status_code == 422
    assert client.get("/api/v1/openapi.json").get_json()["openapi"].startswith("3.")


def test_slots_in_local_time_earliest_first(client, region):
    monday = next_monday()
    res = client.get(f"/api/v1/slots?specialty={region['cardio'].id}&from={monday}&to={monday}&limit=50")
    slots = res.get_json()["slots"]
    assert len(slots) == 8
    starts = [datetime.fromisoformat(s["start"]) for s in slots]
    assert starts == sorted(starts)
    # 09:00 Berlin comes an hour before 09:00 London; both are 09:00 on their own clocks
    assert slots[0]["hospital_id"] == region["berlin"].id and slots[0]["start"].startswith(f"{monday}T09:00")
    assert {s["start"][11:16] for s in slots} == {"09:00", "09:15", "09:30", "09:45"}
    assert all(s["seats_left"] == 1 and s["appointment_type"] for s in slots)


def test_slots_bad_input(client, region):
    base = f"/api/v1/slots?specialty={region['cardio'].id}"
    assert client.get(base + "&from=2026-03-10&to=2026-03-01").status_code == 422
    assert client.get(base + "&from=tomorrow").status_code == 422
    assert client.get(base + "&near=51.5,-0.1&radius_km=9999").status_code == 422
    assert client.get(base + "&radius_km=10").status_code == 422
    res = client.get("/api/v1/slots?specialty=unknown")
    assert res.status_code == 422 and res.get_json()["fields"] == {"specialty": "Unknown specialty: unknown"}


def test_slots_near_filters_by_distance(client, region):
    monday = next_monday()
    res = client.get(f"/api/v1/slots?specialty=Cardiology&from={monday}&to={monday}&near=51.5,-0.1&radius_km=50")
    slots = res.get_json()["slots"]
    assert slots and {s["hospital_id"] for s in slots} == {region["london"].id}
    assert all(s["distance_km"] < 5 for s in slots)


def test_book_get_list_cancel_reschedule_with_bearer(client, runner, region, make):
    patient_user = make.user(Role.PATIENT)
    headers = token_for(runner, patient_user.email)
    monday = next_monday()
    start = f"{monday}T09:15:00+00:00"
    res = client.post("/api/v1/appointments", json={"doctor_id": region["doc_l"].id, "start": start,
                                                    "reason": "palpitations"}, headers=headers)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["status"] == "scheduled" and body["start"] == f"{monday}T09:15:00+00:00"
    assert body["end"] == f"{monday}T09:30:00+00:00" and body["doctor_id"] == region["doc_l"].id
    appointment_id = body["id"]

    # the slot is gone from search at once
    slots = client.get(f"/api/v1/slots?doctor={region['doc_l'].id}&from={monday}&to={monday}").get_json()["slots"]
    assert f"{monday}T09:15:00+00:00" not in [s["start"] for s in slots]

    other = make.user(Role.PATIENT)
    res = client.post("/api/v1/appointments", json={"doctor_id": region["doc_l"].id, "start": start},
                      headers=token_for(runner, other.email))
    assert res.status_code == 409 and res.get_json()["error"] == "slot_taken"

    assert client.get(f"/api/v1/appointments/{appointment_id}", headers=headers).get_json()["id"] == appointment_id
    assert client.get(f"/api/v1/appointments/{appointment_id}",
                      headers=token_for(runner, other.email)).status_code == 404
    mine = client.get("/api/v1/appointments?mine=1", headers=headers).get_json()["appointments"]
    assert [a["id"] for a in mine] == [appointment_id]

    res = client.post(f"/api/v1/appointments/{appointment_id}/reschedule",
                      json={"start": f"{monday}T09:45:00+00:00"}, headers=headers)
    assert res.status_code == 200 and res.get_json()["start"] == f"{monday}T09:45:00+00:00"
    res = client.post(f"/api/v1/appointments/{appointment_id}/reschedule",
                      json={"start": f"{monday}T13:00:00+00:00"}, headers=headers)
    assert res.status_code == 422 and res.get_json()["error"] == "outside_hours"

    res = client.post(f"/api/v1/appointments/{appointment_id}/cancel", json={"reason": "better"}, headers=headers)
    assert res.status_code == 200 and res.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/appointments/{appointment_id}/cancel", json={},
                       headers=headers).status_code == 409
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"appointment.book", "appointment.reschedule", "appointment.cancel"} <= actions


def test_book_bad_input(client, runner, region, make):
    headers = token_for(runner, make.user(Role.PATIENT).email)
    doctor = region["doc_l"].id
    past = (datetime.now(ZoneInfo("UTC")) - timedelta(days=1)).isoformat()
    cases = [({"doctor_id": doctor}, 422), ({"doctor_id": 99999, "start": past}, 422),
             ({"doctor_id": doctor, "start": past}, 422), ({"doctor_id": doctor, "start": "not a time"}, 422),
             ({"doctor_id": doctor, "start": f"{next_monday()}T09:07:00+00:00"}, 422),
             ({"doctor_id": doctor, "start": f"{next_monday(20)}T09:00:00+00:00"}, 422)]
    for body, status in cases:
        res = client.post("/api/v1/appointments", json=body, headers=headers)
        assert res.status_code == status, (body, res.get_json())
        assert set(res.get_json()) == {"error", "message", "fields"}
    assert db.session.scalar(select(func.count(Appointment.id))) == 0


def test_anonymous_and_csrf(client, app, region, make):
    assert client.post("/api/v1/appointments", json={}).status_code == 401
    assert client.get("/api/v1/appointments").status_code == 401
    user = make.user(Role.PATIENT)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        body = {"doctor_id": region["doc_l"].id, "start": f"{next_monday()}T09:00:00+00:00"}
        res = client.post("/api/v1/appointments", json=body)
        assert res.status_code == 400 and res.get_json()["error"] == "csrf"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_staff_books_for_patient_only_at_own_hospital(client, runner, region, make):
    staff = make.user(Role.STAFF, region["london"])
    headers = token_for(runner, staff.email)
    patient = make.patient()
    body = {"doctor_id": region["doc_l"].id, "start": f"{next_monday()}T09:00:00+00:00", "patient_id": patient.id}
    assert client.post("/api/v1/appointments", json=body, headers=headers).status_code == 201
    body.update(doctor_id=region["doc_b"].id, start=f"{next_monday()}T09:00:00+01:00")
    assert client.post("/api/v1/appointments", json=body, headers=headers).status_code == 404
    body.pop("patient_id")
    assert client.post("/api/v1/appointments", json=dict(body, doctor_id=region["doc_l"].id),
                       headers=headers).status_code == 422


def test_schedule_get_put_and_exceptions(client, runner, region, make):
    doctor_headers = token_for(runner, region["doc_l"].user.email)
    url = f"/api/v1/doctors/{region['doc_l'].id}/schedule"
    current = client.get(url, headers=doctor_headers).get_json()
    assert current["rules"][0] == {"weekday": 0, "start": "09:00", "end": "10:00", "kind": "slots",
                                   "slot_minutes": 15, "tokens_per_slot": 1, "appointment_types": [],
                                   "room_id": None}
    new = {"rules": [{"weekday": 1, "start": "14:00", "end": "16:00", "slot_minutes": 20}],
           "horizon_days": 30, "daily_limit": 5, "valid_from": str(date.today())}
    res = client.put(url, json=new, headers=doctor_headers)
    assert res.status_code == 200 and res.get_json()["rules"][0]["start"] == "14:00"
    tuesday = next_monday() + timedelta(days=1)
    slots = client.get(f"/api/v1/slots?doctor={region['doc_l'].id}&from={tuesday}&to={tuesday}").get_json()["slots"]
    assert [s["start"][11:16] for s in slots] == ["14:00", "14:20", "14:40", "15:00", "15:20", "15:40"]

    bad = {"rules": [{"weekday": 1, "start": "16:00", "end": "14:00"},
                     {"weekday": 2, "start": "09:00", "end": "11:00"},
                     {"weekday": 2, "start": "10:00", "end": "12:00"}]}
    res = client.put(url, json=bad, headers=doctor_headers)
    assert res.status_code == 422
    fields = res.get_json()["fields"]
    assert "rules.0.end" in fields and any(k.startswith("rules.2") or k.startswith("rules.1") for k in fields)

    res = client.post(f"/api/v1/doctors/{region['doc_l'].id}/exceptions", headers=doctor_headers,
                      json={"start": f"{tuesday}T14:00:00+00:00", "end": f"{tuesday}T15:00:00+00:00",
                            "available": False, "reason": "training"})
    assert res.status_code == 201
    slots = client.get(f"/api/v1/slots?doctor={region['doc_l'].id}&from={tuesday}&to={tuesday}").get_json()["slots"]
    assert [s["start"][11:16] for s in slots] == ["15:00", "15:20", "15:40"]

    # another hospital's staff and other doctors see nothing there
    outsider = make.user(Role.STAFF, region["berlin"])
    assert client.get(url, headers=token_for(runner, outsider.email)).status_code == 404
    assert client.put(url, json=new, headers=token_for(runner, region["doc_b"].user.email)).status_code == 404
    insider = make.user(Role.STAFF, region["london"])
    assert client.get(url, headers=token_for(runner, insider.email)).status_code == 200


def test_slots_keep_local_time_across_daylight_saving(client, make):
    """09:00 in London is 09:00 UTC in March before the change and 08:00 UTC after it."""
    hospital = make.hospital(timezone="Europe/London")
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="09:30", horizon_days=365)
    year = date.today().year + 1
    before, after = date(year, 3, 1), date(year, 4, 30)
    before -= timedelta(days=before.weekday())
    after -= timedelta(days=after.weekday())
    for day, offset in ((before, "+00:00"), (after, "+01:00")):
        slots = client.get(f"/api/v1/slots?doctor={doctor.id}&from={day}&to={day}").get_json()["slots"]
        assert [s["start"] for s in slots] == [f"{day}T09:00:00{offset}", f"{day}T09:15:00{offset}"]
