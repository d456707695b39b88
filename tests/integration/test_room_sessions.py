"""A room's sessions (docs/rooms.md): its managers publish weekly sessions, closures and extra sessions on the
shared availability editor and through the REST API; elective cases book on them; an emergency displaces and the
owners are e-mailed through the outbox."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Appointment,
    AuditEvent,
    AvailabilityException,
    Hospital,
    IndexedSlot,
    OutboxMessage,
    Patient,
    Role,
    Room,
    Schedule,
    User,
)
from app.services import locations
from app.services.availability import resource_for_room
from app.services.availability.views import local_today
from tests.integration.test_api import token_for
from tests.integration.test_location_pages import next_monday, utc

LONDON = ZoneInfo("Europe/London")

@dataclass
class Theatre:
    hospital: Hospital
    room: Room
    manager: User  # a member of staff granted the manager role
    surgeon: object  # a Doctor allowed to book
    patient: Patient
    day: date  # next Monday

    @property
    def url(self) -> str:
        return f"/locations/{self.room.id}"


@pytest.fixture
def theatre(make) -> Theatre:
    """A theatre with no published session yet (as every room had before this page)."""
    hospital = make.hospital(name="Thames Riverside Hospital")
    room = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True)
    db.session.add(room)
    db.session.commit()
    admin = make.user(Role.ADMIN, hospital)
    manager = make.user(Role.STAFF, hospital, name="Mo Manager")
    surgeon = make.doctor(hospital, make.specialty("Surgery", "SUR"), name="Dr Grey")
    locations.grant(admin.id, room, manager, "manager")
    locations.grant(admin.id, room, surgeon.user, "booker")
    db.session.commit()
    return Theatre(hospital, room, manager, surgeon, make.patient(name="Paula Patient"), next_monday())


def editor_form(valid_from: date, rows=(), **fields) -> dict:
    """What the room's editor posts: the session rows (day, start, end, slot minutes), blank rows, the rules."""
    data = {"valid_from": valid_from.isoformat(), "valid_till": "", "horizon_days": "60", "daily_limit": "",
            "min_notice_minutes": "0", "buffer_minutes": "0", "urgent_share": "0", "urgent_release_hours": "24",
            "submit": "save"}
    for i, row in enumerate([*rows, {}, {}]):
        values = {"weekday": "", "start": "", "end": "", "slot_minutes": "30", **row}
        data.update({f"rules-{i}-{k}": str(v) for k, v in values.items()})
    data.update(fields)
    return data


def booking_form(t: Theatre, hhmm: str, minutes: int = 60, **extra) -> dict:
    data = {"day": t.day.isoformat(), "start_time": hhmm, "minutes": str(minutes), "doctor_id": "",
            "patient_id": "", "reason": "hip replacement"}
    data.update({k: str(v) for k, v in extra.items()})
    return data


def schedules(t: Theatre) -> list[Schedule]:
    db.session.expire_all()
    return list(db.session.scalars(select(Schedule).where(Schedule.resource_id == resource_for_room(t.room.id).id)))


def room_bookings(t: Theatre) -> list[Appointment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Appointment).where(Appointment.room_id == t.room.id)
                                   .order_by(Appointment.start)))


# --- the page -------------------------------------------------------------------------------------------------------

def test_a_manager_publishes_sessions_and_an_elective_case_then_books(client, auth, theatre):
    t = theatre
    auth.login(t.surgeon.user.email)
    refused = client.post(f"{t.url}/bookings", data=booking_form(t, "09:00"))
    assert refused.status_code == 422
    assert "must start on a slot of a published session" in refused.get_data(as_text=True)
    auth.logout()

    auth.login(t.manager.email)
    day_page = client.get(t.url).get_data(as_text=True)
    assert f'href="{t.url}/sessions"' in day_page  # the way in, for managers
    page = client.get(f"{t.url}/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Sessions of Theatre A" in html and "Weekly sessions" in html
    assert "Operating theatre" in html and "Closures and extra sessions" in html
    assert 'name="rules-0-room_id"' not in html and 'name="rules-0-tokens_per_slot"' not in html
    today = local_today("Europe/London")
    res = client.post(f"{t.url}/sessions", data=editor_form(today, [
        {"weekday": 0, "start": "08:00", "end": "13:00"}, {"weekday": 2, "start": "13:00", "end": "17:30"}]))
    assert res.status_code == 302 and res.headers["Location"].endswith(f"{t.url}/sessions?hospital={t.hospital.id}")
    (schedule,) = schedules(t)
    assert [(r.weekday, r.start, r.end, r.slot_minutes, r.room_id) for r in schedule.rules] == [
        (0, time(8), time(13), 30, None), (2, time(13), time(17, 30), 30, None)]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "schedule.put",
                                                      AuditEvent.actor_id == t.manager.id))
    # the preview shows the published sessions with their free slots
    html = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "The next four weeks" in html and "08:00" in html
    auth.logout()

    auth.login(t.surgeon.user.email)
    res = client.post(f"{t.url}/bookings", data=booking_form(t, "09:00", 90, doctor_id=t.surgeon.id))
    assert res.status_code == 302
    (appt,) = room_bookings(t)
    assert (appt.start, appt.end, appt.status) == (utc(t.day, "09:00"), utc(t.day, "10:30"), "scheduled")
    # still refused outside the sessions (Tuesday has none)
    res = client.post(f"{t.url}/bookings", data={**booking_form(t, "09:00"),
                                                 "day": (t.day + timedelta(days=1)).isoformat()})
    assert res.status_code == 422 and len(room_bookings(t)) == 1


def test_a_booker_a_nurse_and_another_hospitals_manager_may_not_publish(client, auth, make, theatre):
    t = theatre
    today = local_today("Europe/London")
    data = editor_form(today, [{"weekday": 0, "start": "08:00", "end": "12:00"}])
    nurse = make.user(Role.NURSE, t.hospital)
    for user in (t.surgeon.user, nurse):
        auth.login(user.email)
        assert client.get(f"{t.url}/sessions").status_code == 403
        assert client.post(f"{t.url}/sessions", data=data).status_code == 403
        assert f'href="{t.url}/sessions"' not in client.get(t.url).get_data(as_text=True)
        auth.logout()
    other = make.hospital(name="Elsewhere General")
    elsewhere = make.user(Role.ADMIN, other)  # manages every room of their own hospital only
    auth.login(elsewhere.email)
    assert client.get(f"{t.url}/sessions").status_code == 404
    assert client.post(f"{t.url}/sessions", data=data).status_code == 404
    assert schedules(t) == []


def test_an_overlapping_session_is_refused_on_its_field_and_nothing_is_saved(client, auth, theatre):
    t = theatre
    auth.login(t.manager.email)
    today = local_today("Europe/London")
    client.post(f"{t.url}/sessions", data=editor_form(today, [{"weekday": 0, "start": "08:00", "end": "12:00"}]))
    (before,) = schedules(t)
    res = client.post(f"{t.url}/sessions", data=editor_form(today, [
        {"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 3, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "11:00", "end": "14:00"}]))
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "Nothing was saved" in html
    assert "Overlaps another Monday rule (08:00-12:00)." in html
    assert 'id="rules-2-start"' in html and html.count("is-invalid") == 1  # the third row's start field
    assert 'value="14:00"' in html  # what was typed is kept
    assert [s.id for s in schedules(t)] == [before.id] and len(before.rules) == 1

    # an extra session over a weekly one: refused on its start field
    res = client.post(f"{t.url}/sessions/exceptions?hospital={t.hospital.id}", data={
        "leave-start_date": t.day.isoformat(), "leave-start_time": "11:00", "leave-end_date": t.day.isoformat(),
        "leave-end_time": "15:00", "leave-available": "yes", "leave-reason": "extra list"})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and f"Overlaps the session on {t.day.isoformat()}, 08:00-12:00." in html
    assert db.session.scalar(select(func.count()).select_from(AvailabilityException)) == 0


def test_closures_and_extra_sessions_on_the_page(client, auth, theatre):
    t = theatre
    auth.login(t.manager.email)
    client.post(f"{t.url}/sessions", data=editor_form(local_today("Europe/London"), [{"weekday": 0, "start": "08:00",
                                                                      "end": "12:00"}]))
    res = client.post(f"{t.url}/sessions/exceptions?hospital={t.hospital.id}", data={
        "leave-start_date": t.day.isoformat(), "leave-start_time": "13:00", "leave-end_date": t.day.isoformat(),
        "leave-end_time": "15:00", "leave-available": "yes", "leave-reason": "extra list"}, follow_redirects=True)
    assert "The extra session is added." in res.get_data(as_text=True)
    res = client.post(f"{t.url}/sessions/exceptions?hospital={t.hospital.id}", data={
        "leave-start_date": t.day.isoformat(), "leave-start_time": "08:00", "leave-end_date": t.day.isoformat(),
        "leave-end_time": "10:00", "leave-available": "no", "leave-reason": "deep clean"}, follow_redirects=True)
    html = res.get_data(as_text=True)
    assert "The closure is added." in html and "extra session" in html and "closed" in html
    auth.logout()

    auth.login(t.surgeon.user.email)
    assert client.post(f"{t.url}/bookings", data=booking_form(t, "08:00")).status_code == 422  # closed
    assert client.post(f"{t.url}/bookings", data=booking_form(t, "13:00", 120)).status_code == 302  # extra
    assert [a.start for a in room_bookings(t)] == [utc(t.day, "13:00")]


# --- the index and emergencies ----------------------------------------------------------------------------------

def test_a_booking_on_a_published_session_keeps_the_index_in_step(client, auth, make, theatre):
    """The room's doctor-day rows follow: a case in the theatre takes the time of a doctor whose hours are there."""
    t = theatre
    doctor = make.doctor(t.hospital, make.specialty(), name="Dr Blue")
    make.schedule(doctor, t.hospital, weekdays=[0], start="14:00", end="16:00", room_id=t.room.id)
    auth.login(t.manager.email)
    client.post(f"{t.url}/sessions", data=editor_form(local_today("Europe/London"), [{"weekday": 0, "start": "08:00",
                                                                      "end": "14:00"}]))
    indexed = select(func.count()).select_from(IndexedSlot).where(
        IndexedSlot.doctor_id == doctor.id, IndexedSlot.local_date == t.day, IndexedSlot.variant == "")
    assert db.session.scalar(indexed) == 8  # 14:00-16:00 in 15-minute slots
    # an emergency may run past the session, into the doctor's clinic in the same room
    res = client.post(f"{t.url}/bookings", data=booking_form(t, "13:30", 60, emergency="y"))
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(indexed) == 6  # 14:00 and 14:15 are taken with the room


def test_an_emergency_displaces_electives_and_emails_their_owners_through_the_outbox(client, auth, theatre,
                                                                                     mail_folder):
    t = theatre
    auth.login(t.manager.email)
    client.post(f"{t.url}/sessions", data=editor_form(local_today("Europe/London"), [{"weekday": 0, "start": "08:00",
                                                                      "end": "18:00"}]))
    auth.logout()
    auth.login(t.surgeon.user.email)
    assert client.post(f"{t.url}/bookings", data=booking_form(
        t, "10:00", 60, doctor_id=t.surgeon.id, patient_id=t.patient.id)).status_code == 302
    assert client.post(f"{t.url}/bookings", data=booking_form(t, "14:00", 60)).status_code == 302
    auth.logout()
    elective, later = room_bookings(t)

    auth.login(t.manager.email)
    res = client.post(f"{t.url}/bookings", data=booking_form(t, "10:20", 45, emergency="y",
                                                               reason="ruptured appendix"), follow_redirects=True)
    assert "1 elective booking was displaced and its owners were told." in res.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, elective.id).status == "cancelled"
    assert db.session.get(Appointment, later.id).status == "scheduled"
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "location_displaced")
                              .order_by(OutboxMessage.recipient)).all()
    assert sorted(r.recipient for r in rows) == sorted([t.surgeon.user.email, t.patient.user.email])
    assert all(r.appointment_id == elective.id for r in rows)
    mails = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in mail_folder.glob("*.eml")]
    displaced = [m for m in mails if "emergency" in m["Subject"]]
    assert sorted(m["To"] for m in displaced) == sorted([t.surgeon.user.email, t.patient.user.email])


# --- the REST API ---------------------------------------------------------------------------------------------------

def test_the_api_lists_adds_and_removes_sessions_and_exceptions(client, runner, theatre):
    t = theatre
    headers = token_for(runner, t.manager.email)
    base = f"/api/v1/locations/{t.room.id}"
    listed = client.get(f"{base}/sessions", headers=headers).get_json()
    assert listed == {"room_id": t.room.id, "hospital_id": t.hospital.id, "valid_from": None, "valid_till": None,
                      "sessions": [], "exceptions": []}
    res = client.post(f"{base}/sessions", headers=headers,
                      json={"weekday": 0, "start": "08:00", "end": "12:00", "slot_minutes": 30})
    assert res.status_code == 201
    first = res.get_json()
    assert {k: first[k] for k in ("weekday", "start", "end", "slot_minutes")} == {
        "weekday": 0, "start": "08:00", "end": "12:00", "slot_minutes": 30}
    res = client.post(f"{base}/sessions", headers=headers, json={"weekday": 2, "start": "13:00", "end": "17:00"})
    assert res.status_code == 201
    sessions = client.get(f"{base}/sessions", headers=headers).get_json()["sessions"]
    assert [(s["weekday"], s["start"]) for s in sessions] == [(0, "08:00"), (2, "13:00")]

    # overlapping: 422 on the start field, and the week as it was
    res = client.post(f"{base}/sessions", headers=headers, json={"weekday": 0, "start": "11:00", "end": "13:00"})
    body = res.get_json()
    assert res.status_code == 422 and body["error"] == "schedule_invalid"
    assert body["fields"] == {"start": "Overlaps another Monday rule (08:00-12:00)."}
    assert client.get(f"{base}/sessions", headers=headers).get_json()["sessions"] == sessions

    # bookers read the week; a session no longer in it is not found
    booker = token_for(runner, t.surgeon.user.email)
    assert client.get(f"{base}/sessions", headers=booker).status_code == 200  # bookers read them
    monday = next(s for s in sessions if s["weekday"] == 0)
    res = client.delete(f"{base}/sessions/{monday['id']}", headers=headers)
    assert res.status_code == 204
    assert [s["weekday"] for s in client.get(f"{base}/sessions", headers=headers).get_json()["sessions"]] == [2]
    assert client.delete(f"{base}/sessions/{monday['id']}", headers=headers).status_code == 404

    wednesday = t.day + timedelta(days=2)
    res = client.post(f"{base}/exceptions", headers=headers, json={
        "start": f"{wednesday.isoformat()}T08:00:00", "end": f"{wednesday.isoformat()}T12:00:00",
        "available": True, "reason": "extra list"})
    assert res.status_code == 201 and res.get_json()["available"] is True
    extra = res.get_json()
    res = client.post(f"{base}/exceptions", headers=headers, json={
        "start": f"{wednesday.isoformat()}T11:00:00", "end": f"{wednesday.isoformat()}T14:00:00", "available": True})
    assert res.status_code == 422 and set(res.get_json()["fields"]) == {"start"}
    assert [x["id"] for x in client.get(f"{base}/sessions", headers=headers).get_json()["exceptions"]] == [
        extra["id"]]
    assert client.delete(f"{base}/exceptions/{extra['id']}", headers=headers).status_code == 204
    assert client.get(f"{base}/sessions", headers=headers).get_json()["exceptions"] == []


def test_the_api_has_the_pages_policy(client, runner, make, theatre):
    t = theatre
    base = f"/api/v1/locations/{t.room.id}"
    session = {"weekday": 0, "start": "08:00", "end": "12:00"}
    booker = token_for(runner, t.surgeon.user.email)
    res = client.post(f"{base}/sessions", headers=booker, json=session)
    assert res.status_code == 403 and res.get_json()["error"] == "forbidden"
    assert client.post(f"{base}/exceptions", headers=booker, json={
        "start": "2030-01-07T08:00:00", "end": "2030-01-07T09:00:00"}).status_code == 403
    elsewhere = token_for(runner, make.user(Role.ADMIN, make.hospital(name="Elsewhere General")).email)
    assert client.get(f"{base}/sessions", headers=elsewhere).status_code == 404
    assert client.post(f"{base}/sessions", headers=elsewhere, json=session).status_code == 404
    patient = token_for(runner, t.patient.user.email)
    assert client.get(f"{base}/sessions", headers=patient).status_code == 404
    assert client.get(f"{base}/sessions").status_code == 401
    assert client.get("/api/v1/locations/999999/sessions", headers=booker).status_code == 404
    manager = token_for(runner, t.manager.email)
    res = client.post(f"{base}/sessions", headers=manager, json={**session, "valid_from": "2020-01-06"})
    assert res.status_code == 422 and "valid_from" in res.get_json()["fields"]
    assert client.post(f"{base}/sessions", headers=manager, json={**session, "weekday": 9}).status_code == 422
    assert schedules(t) == []
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/locations/{room_id}/sessions", "/api/v1/locations/{room_id}/sessions/{session_id}",
            "/api/v1/locations/{room_id}/exceptions"} <= set(spec["paths"])


def test_the_editor_speaks_german(client, auth, theatre):
    t = theatre
    t.manager.language = "de"
    db.session.commit()
    auth.login(t.manager.email)
    html = client.get(f"{t.url}/sessions").get_data(as_text=True)
    assert "Sitzungen von Theatre A" in html and "Schließungen und zusätzliche Sitzungen" in html
    assert "Sitzungen speichern" in html and "Wie weit im Voraus der Raum gebucht werden kann." in html
    assert "geschlossen" in html and "Abwesenheit" not in html
    client.post(f"{t.url}/sessions", data=editor_form(local_today("Europe/London"), [{"weekday": 0, "start": "08:00",
                                                                      "end": "12:00"}]))
    res = client.post(f"{t.url}/sessions/exceptions?hospital={t.hospital.id}", data={
        "leave-start_date": t.day.isoformat(), "leave-start_time": "11:00", "leave-end_date": t.day.isoformat(),
        "leave-end_time": "13:00", "leave-available": "yes", "leave-reason": ""})
    assert res.status_code == 422
    assert f"Überschneidet sich mit der Sitzung am {t.day.isoformat()}, 08:00-12:00." in res.get_data(as_text=True)


def test_the_room_editor_speaks_of_rooms_and_the_doctors_of_leave(client, auth, make, theatre):
    """One editor, two vocabularies: a room is closed and saves sessions; a doctor's page keeps its own words."""
    auth.login(theatre.manager.email)
    html = client.get(f"{theatre.url}/sessions").get_data(as_text=True)
    assert "Save sessions" in html and "How far ahead the room may be booked." in html
    assert "Save availability" not in html and "How far ahead patients may book." not in html
    assert "blocked (leave)" not in html
    saved = client.post(f"{theatre.url}/sessions", follow_redirects=True, data=editor_form(
        local_today(theatre.hospital.timezone), [{"weekday": 0, "start": "08:00", "end": "12:00"}]))
    assert "The sessions of Theatre A are saved" in saved.get_data(as_text=True)
    auth.logout()
    auth.login(theatre.surgeon.user.email)
    html = client.get("/doctor/availability").get_data(as_text=True)
    assert "Save availability" in html and "How far ahead patients may book." in html and "blocked (leave)" in html
