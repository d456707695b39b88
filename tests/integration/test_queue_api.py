"""The queue's REST contract (docs/api.md) over HTTP, and its live announcements over Socket.IO."""
from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db, socketio
from app.models import AuditEvent, Patient, QueueEntry, Role
from app.models.base import utcnow
from app.services import booking
from app.services import queue as queue_service
from app.services.queue import local_today

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def desk(make, runner):
    hospital = make.hospital(name="Thames Hospital")
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio)
    make.schedule(doctor, hospital, start="00:00", end="23:45")
    staff = make.user(Role.STAFF, hospital)
    other_hospital = make.hospital(name="Elsewhere")
    other_doctor = make.doctor(other_hospital, cardio)
    make.schedule(other_doctor, other_hospital, start="00:00", end="23:45")

    def headers(user) -> dict:
        out = runner.invoke(args=["users", "token", "--email", user.email]).output
        return {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}

    return {"hospital": hospital, "doctor": doctor, "staff": staff, "h": headers(staff), "headers": headers,
            "other_hospital": other_hospital, "other_doctor": other_doctor}


def todays(desk, patient, doctor=None, hour=0, days=0):
    """An appointment on the hospital's local today (plus `days`), booked the day before."""
    day = local_today(desk["hospital"]) + timedelta(days=days)
    start = core.to_utc(day, time(hour, 0), LONDON)
    appointment = booking.book(None, patient, doctor or desk["doctor"], start, now=start - timedelta(days=1))
    db.session.commit()
    return appointment


def test_walkin_with_an_existing_patient_and_a_quick_registered_one(client, desk, make):
    patient = make.patient()
    res = client.post("/api/v1/walkins", json={"patient_id": patient.id, "doctor_id": desk["doctor"].id},
                      headers=desk["h"])
    assert res.status_code == 201 and res.get_json() == {"token": "CAR-001", "position": 1}
    res = client.post("/api/v1/walkins", json={"patient": {"name": "Walk In", "phone": "+44 20 7946 0958",
                                                           "birth_date": "1970-05-01"},
                                               "doctor_id": desk["doctor"].id, "priority": "emergency"},
                      headers=desk["h"])
    assert res.status_code == 201 and res.get_json() == {"token": "CAR-002", "position": 1}
    new = db.session.scalar(select(Patient).where(Patient.name == "Walk In"))
    assert new.user_id is None and new.phone == "+442079460958"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "patient.register_at_desk")) == 1


def test_queue_listing_shape_and_order(client, desk, make):
    for priority in ("normal", "urgent"):
        client.post("/api/v1/walkins", json={"patient_id": make.patient().id, "doctor_id": desk["doctor"].id,
                                             "priority": priority}, headers=desk["h"])
    res = client.get(f"/api/v1/queue?doctor_id={desk['doctor'].id}", headers=desk["h"])
    assert res.status_code == 200
    entries = res.get_json()["entries"]
    assert [(e["token"], e["priority"], e["position"], e["status"]) for e in entries] == [
        ("CAR-002", "urgent", 1, "waiting"), ("CAR-001", "normal", 2, "waiting")]
    assert set(entries[0]) >= {"id", "token", "patient_name", "priority", "status", "position"}
    day = local_today(desk["hospital"]) - timedelta(days=1)
    assert client.get(f"/api/v1/queue?doctor_id={desk['doctor'].id}&date={day}",
                      headers=desk["h"]).get_json() == {"entries": []}


def test_check_in_and_status_steps(client, desk, make):
    appointment = todays(desk, make.patient(), hour=23)
    res = client.post(f"/api/v1/appointments/{appointment.id}/check-in", headers=desk["h"])
    assert res.status_code == 200 and res.get_json() == {"token": "CAR-001", "position": 1}
    entry_id = db.session.scalar(select(QueueEntry.id))
    res = client.patch(f"/api/v1/queue/{entry_id}", json={"status": "in_progress"}, headers=desk["h"])
    assert res.status_code == 409 and res.get_json()["error"] == "invalid_transition"
    assert "status" in res.get_json()["fields"]
    res = client.patch(f"/api/v1/queue/{entry_id}", json={"status": "called"}, headers=desk["h"])
    assert res.status_code == 200
    body = res.get_json()
    assert (body["id"], body["token"], body["status"], body["position"]) == (entry_id, "CAR-001", "called", None)
    assert client.patch(f"/api/v1/queue/{entry_id}", json={"status": "in_progress"},
                        headers=desk["h"]).status_code == 200
    db.session.expire_all()
    assert appointment.status == "in_progress"
    res = client.post(f"/api/v1/appointments/{appointment.id}/check-in", headers=desk["h"])
    assert res.status_code == 409  # not scheduled any more


def test_refusals(client, desk, make):
    patient = make.patient()
    body = {"patient_id": patient.id, "doctor_id": desk["doctor"].id}
    assert client.post("/api/v1/walkins", json=body, headers=desk["h"]).status_code == 201
    res = client.post("/api/v1/walkins", json=body, headers=desk["h"])
    assert res.status_code == 409 and "already has a token" in res.get_json()["message"]
    assert res.get_json()["fields"] == {"patient": res.get_json()["message"]}
    cancelled = todays(desk, make.patient(), hour=22)
    booking.cancel(None, cancelled, "no longer needed")
    db.session.commit()
    assert client.post(f"/api/v1/appointments/{cancelled.id}/check-in", headers=desk["h"]).status_code == 409
    tomorrow = todays(desk, make.patient(), hour=10, days=1)
    assert client.post(f"/api/v1/appointments/{tomorrow.id}/check-in", headers=desk["h"]).status_code == 409
    for bad in ({"doctor_id": desk["doctor"].id}, {"patient_id": patient.id},
                {"patient_id": patient.id, "doctor_id": desk["doctor"].id, "priority": "royal"},
                {"patient": {"name": "X", "phone": "12"}, "doctor_id": desk["doctor"].id},
                {"patient_id": 999999, "doctor_id": desk["doctor"].id}):
        assert client.post("/api/v1/walkins", json=bad, headers=desk["h"]).status_code == 422, bad
    entry_id = db.session.scalar(select(QueueEntry.id))
    assert client.patch(f"/api/v1/queue/{entry_id}", json={"status": "teleported"},
                        headers=desk["h"]).status_code == 422
    assert db.session.scalar(select(func.count(QueueEntry.id))) == 1


def test_access(client, desk, make):
    patient_user = make.user(Role.PATIENT)
    patient = db.session.scalar(select(Patient).where(Patient.user_id == patient_user.id))
    own = todays(desk, patient, hour=21)
    body = {"patient_id": patient.id, "doctor_id": desk["doctor"].id}
    assert client.post("/api/v1/walkins", json=body).status_code == 401
    assert client.get(f"/api/v1/queue?doctor_id={desk['doctor'].id}").status_code == 401
    as_patient = desk["headers"](patient_user)
    assert client.post("/api/v1/walkins", json=body, headers=as_patient).status_code == 403
    assert client.post(f"/api/v1/appointments/{own.id}/check-in", headers=as_patient).status_code == 403
    assert client.get(f"/api/v1/queue?doctor_id={desk['doctor'].id}", headers=as_patient).status_code == 403
    # staff of another hospital see nothing of this one
    stranger = desk["headers"](make.user(Role.STAFF, desk["other_hospital"]))
    assert client.post("/api/v1/walkins", json=body, headers=stranger).status_code == 404
    assert client.post(f"/api/v1/appointments/{own.id}/check-in", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/queue?doctor_id={desk['doctor'].id}", headers=stranger).status_code == 404
    assert client.post("/api/v1/walkins", json=body, headers=desk["h"]).status_code == 201
    entry_id = db.session.scalar(select(QueueEntry.id))
    assert client.patch(f"/api/v1/queue/{entry_id}", json={"status": "called"}, headers=stranger).status_code == 404
    # a nurse of the hospital runs the queue too
    nurse = desk["headers"](make.user(Role.NURSE, desk["hospital"]))
    assert client.patch(f"/api/v1/queue/{entry_id}", json={"status": "called"}, headers=nurse).status_code == 200


@pytest.fixture
def socket_clients(app):
    """Flask-SocketIO test clients; their patch of the server's send methods is undone afterwards, or the real
    Socket.IO clients of later tests (test_realtime.py) would never receive a packet."""
    server = socketio.server
    patched = ("_send_packet", "_send_eio_packet")
    saved = {name: server.__dict__[name] for name in patched if name in server.__dict__}
    clients = []

    def connect():
        clients.append(socketio.test_client(app))
        return clients[-1]

    yield connect
    for client in clients:
        if client.is_connected():
            client.disconnect()
    for name in patched:
        server.__dict__.pop(name, None)
    server.__dict__.update(saved)


def test_queue_changes_reach_the_hospital_room_without_names(client, desk, make, socket_clients):
    """Flask-SocketIO's test client joins through `watch_queue`; walk-in and call arrive as queue.changed."""
    watcher = socket_clients()
    other = socket_clients()
    assert watcher.emit("watch_queue", {"hospital_id": desk["hospital"].id}, callback=True) == {
        "ok": True, "room": f"queue:{desk['hospital'].id}"}
    assert other.emit("watch_queue", {"hospital_id": desk["other_hospital"].id}, callback=True)["ok"]
    assert watcher.emit("watch_queue", {"hospital_id": "x"}, callback=True) == {"ok": False}
    patient = make.patient()
    res = client.post("/api/v1/walkins", json={"patient_id": patient.id, "doctor_id": desk["doctor"].id},
                      headers=desk["h"])
    assert res.status_code == 201
    entry_id = db.session.scalar(select(QueueEntry.id))
    client.patch(f"/api/v1/queue/{entry_id}", json={"status": "called"}, headers=desk["h"])
    received = [m for m in watcher.get_received() if m["name"] == "queue.changed"]
    day = local_today(desk["hospital"]).isoformat()
    assert [m["args"][0] for m in received] == [
        {"hospital_id": desk["hospital"].id, "doctor_id": desk["doctor"].id, "day": day, "called": None},
        {"hospital_id": desk["hospital"].id, "doctor_id": desk["doctor"].id, "day": day,
         "called": {"label": "CAR-001", "room": None}}]
    assert patient.name not in repr(received)
    assert [m for m in other.get_received() if m["name"] == "queue.changed"] == []


def test_the_service_board_matches_the_api(client, desk, make):
    for _ in range(3):
        client.post("/api/v1/walkins", json={"patient_id": make.patient().id, "doctor_id": desk["doctor"].id},
                    headers=desk["h"])
    rows = queue_service.queue_for(desk["hospital"].id, desk["doctor"].id, now=utcnow())
    api = client.get(f"/api/v1/queue?doctor_id={desk['doctor'].id}", headers=desk["h"]).get_json()["entries"]
    assert [(r.entry.id, r.position) for r in rows] == [(e["id"], e["position"]) for e in api]
