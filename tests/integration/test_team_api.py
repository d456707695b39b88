"""The team endpoints of docs/api.md over HTTP with bearer tokens: set a team, search, book, read, refusals."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Claim, Role
from app.services.booking.lists import local_today
from tests.integration.team_world import team_world
from tests.integration.test_api import token_for
from tests.integration.test_team_pages import _tied_patient


def _day(world):
    return local_today(world.hospital) + timedelta(days=1)


def test_search_and_book_a_team(client, runner, make):
    world = team_world(make)
    clerk = make.user(Role.STAFF, world.hospital)
    patient = _tied_patient(make, world.hospital)
    headers = token_for(runner, clerk.email)
    day = _day(world)
    listed = client.get("/api/v1/teams", headers=headers).get_json()["teams"]
    assert [t["appointment_type"] for t in listed] == ["laser"] and len(listed[0]["roles"]) == 3
    answer = client.get(f"/api/v1/teams/slots?appointment_type_id={world.kind.id}&from={day}&to={day}",
                        headers=headers)
    assert answer.status_code == 200
    slots = answer.get_json()["slots"]
    assert [m["role"] for m in slots[0]["members"]] == ["surgeon", "anaesthetist", "theatre"]
    assert slots[0]["members"][2]["room_id"] == world.theatre.id
    assert slots[0]["start"].startswith(f"{day}T09:00")
    made = client.post("/api/v1/teams/appointments", headers=headers, json={
        "appointment_type_id": world.kind.id, "patient_id": patient.id, "start": slots[0]["start"]})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["status"] == "scheduled" and body["needs_rebooking"] is False
    assert [p["name"] for p in body["participants"]] == ["Surgeon 1", "Anaesthetist", "Theatre A"]
    assert client.get(f"/api/v1/teams/appointments/{body['id']}", headers=headers).get_json()["id"] == body["id"]
    again = client.post("/api/v1/teams/appointments", headers=headers, json={
        "appointment_type_id": world.kind.id, "patient_id": _tied_patient(make, world.hospital).id,
        "start": slots[0]["start"]})
    assert again.status_code == 409 and again.get_json()["error"] == "team_not_free"
    # cancelling through the ordinary endpoint releases every member
    cancelled = client.post(f"/api/v1/appointments/{body['id']}/cancel", headers=headers, json={"reason": "x"})
    assert cancelled.status_code == 200
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_no_shared_time_is_an_empty_answer_and_a_409_booking(client, runner, make):
    world = team_world(make, anaesthetist_start="13:00", anaesthetist_end="17:00")
    clerk = make.user(Role.STAFF, world.hospital)
    headers = token_for(runner, clerk.email)
    day = _day(world)
    body = client.get(f"/api/v1/teams/slots?appointment_type_id={world.kind.id}&from={day}&to={day}",
                      headers=headers).get_json()
    assert body == {"slots": [], "never_free": []}
    start = datetime.combine(day, datetime.min.time()).replace(hour=9, tzinfo=ZoneInfo("Europe/London"))
    answer = client.post("/api/v1/teams/appointments", headers=headers, json={
        "appointment_type_id": world.kind.id, "patient_id": _tied_patient(make, world.hospital).id,
        "start": start.isoformat()})
    assert answer.status_code == 409
    assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.kind == "team")) == 0


def test_admins_set_the_team_with_field_errors(client, runner, make):
    world = team_world(make)
    admin = token_for(runner, make.user(Role.ADMIN, world.hospital).email)
    clerk = token_for(runner, make.user(Role.STAFF, world.hospital).email)
    url = f"/api/v1/appointment-types/{world.kind.id}/team"
    roles = [{"name": "surgeon", "kind": "doctor", "doctor_ids": [world.surgeons[1].id]},
             {"name": "theatre", "kind": "room", "room_ids": [world.theatre.id]}]
    assert client.put(url, headers=clerk, json={"roles": roles}).status_code == 403
    answer = client.put(url, headers=admin, json={"roles": roles})
    assert answer.status_code == 200 and answer.get_json()["roles"][0]["doctor_ids"] == [world.surgeons[1].id]
    assert client.get(url, headers=clerk).get_json()["roles"] == answer.get_json()["roles"]
    bad = client.put(url, headers=admin, json={"roles": [{"name": "x", "kind": "doctor"}]})
    assert bad.status_code == 422 and "roles.0" in bad.get_json()["fields"]
    assert client.put(url, headers=admin, json={"roles": []}).status_code == 422
    unknown = client.put(url, headers=admin, json={"roles": [{"name": "x", "kind": "doctor", "specialty_id": 999999}]})
    assert unknown.status_code == 422 and unknown.get_json()["fields"]["roles.0.specialty_id"] == "No such specialty."


def test_other_hospitals_patients_and_anonymous_are_refused(client, runner, make):
    world = team_world(make)
    other = make.hospital()
    day = _day(world)
    search = f"/api/v1/teams/slots?appointment_type_id={world.kind.id}&from={day}&to={day}"
    assert client.get(search).status_code == 401
    assert client.get(search, headers=token_for(runner, make.user(Role.STAFF, other).email)).status_code == 404
    patient_user = make.user()
    assert client.get(search, headers=token_for(runner, patient_user.email)).status_code == 404
    assert client.get(search, headers=token_for(runner, world.surgeons[0].user.email)).status_code == 404
    clerk = token_for(runner, make.user(Role.STAFF, world.hospital).email)
    stranger = make.patient()  # no tie to the hospital: the desk may not book for them
    answer = client.post("/api/v1/teams/appointments", headers=clerk, json={
        "appointment_type_id": world.kind.id, "patient_id": stranger.id, "start": f"{day}T09:00:00+00:00"})
    assert answer.status_code == 422
    too_long = client.get(f"/api/v1/teams/slots?appointment_type_id={world.kind.id}&from={day}"
                          f"&to={day + timedelta(days=40)}", headers=clerk)
    assert too_long.status_code == 422 and "to" in too_long.get_json()["fields"]
