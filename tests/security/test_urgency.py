"""Issue #11, part 5: a patient's own "urgent" is a request, never a promotion (docs/security.md, "Urgency").

The probe: a patient who posted urgency=urgent was stored as urgent and, after check-in, was served before VIP and
normal patients who had arrived earlier. Now the stated urgency is kept beside the appointment, the queue follows
what staff set, urgent-held slots open to a patient only where the hospital allows it, and every priority change by
staff is audited.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AuditEvent, QueueEntry, Role
from app.models.base import utcnow
from app.services import booking
from app.services import queue as queue_service
from app.services.accounts.tokens import issue_token
from tests.conftest import PASSWORD

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 2, 8, 0)  # Monday 2 March 2026, 08:00 in London; the clinic opens at 09:00
TODAY = date(2026, 3, 2)


@pytest.fixture
def clinic(make):
    """Every day 09:00-12:00 in 15-minute slots; every second slot (09:15, 09:45 ...) is held for urgent needs until
    its start."""
    hospital = make.hospital(name="Thames Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.schedule(doctor, hospital, urgent_share=0.5, urgent_release_hours=0)
    staff = make.user(Role.STAFF, hospital)
    return {"hospital": hospital, "doctor": doctor, "staff": staff}


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return core.to_utc(day, time(hh, mm), LONDON)


def later_day() -> date:
    return datetime.now(LONDON).date() + timedelta(days=3)


def bearer(user) -> dict:
    token = issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_self_declared_urgency_does_not_jump_vip_and_normal_patients(clinic, make):
    vip, normal = make.patient(name="Vera Vip"), make.patient(name="Nora Normal")
    claimant = make.patient(name="Ursula Urgent")
    hospital, doctor, staff = clinic["hospital"], clinic["doctor"], clinic["staff"]
    booked = booking.book(claimant.user_id, claimant, doctor, at(TODAY, 10), urgency="urgent", by_patient=True,
                          now=NOW - timedelta(days=1))
    db.session.commit()
    assert (booked.urgency, booked.urgency_by_patient) == ("routine", "urgent")
    queue_service.issue_walkin(staff.id, hospital.id, vip, doctor_id=doctor.id, priority="vip", now=NOW)
    queue_service.issue_walkin(staff.id, hospital.id, normal, doctor_id=doctor.id, now=NOW + timedelta(minutes=1))
    entry = queue_service.check_in(staff.id, booked, now=NOW + timedelta(minutes=2))
    db.session.commit()
    assert entry.priority == "normal"
    order = [r.entry.patient.name for r in queue_service.queue_for(hospital.id, doctor.id, TODAY,
                                                                    now=NOW + timedelta(minutes=3))]
    assert order.index("Ursula Urgent") > order.index("Vera Vip")
    assert order.index("Ursula Urgent") > order.index("Nora Normal")


def test_staff_set_priority_at_check_in_and_on_the_queue_audited(clinic, make):
    patient = make.patient(name="Ursula Urgent")
    doctor, staff = clinic["doctor"], clinic["staff"]
    booked = booking.book(patient.user_id, patient, doctor, at(TODAY, 10), urgency="urgent", by_patient=True,
                          now=NOW - timedelta(days=1))
    entry = queue_service.check_in(staff.id, booked, priority="urgent", now=NOW)
    db.session.commit()
    assert entry.priority == "urgent"
    [at_check_in] = events("queue.priority")
    assert (at_check_in.actor_id, at_check_in.before, at_check_in.after) == (
        staff.id, {"priority": "normal"}, {"priority": "urgent"})
    queue_service.set_priority(staff.id, entry, "emergency", reason="chest pain")
    db.session.commit()
    on_queue = events("queue.priority")[-1]
    assert (on_queue.before, on_queue.after, on_queue.comment) == (
        {"priority": "urgent"}, {"priority": "emergency"}, "chest pain")


def test_page_and_api_store_a_patients_urgency_as_a_request(app, client, auth, clinic, make):
    day, hospital, doctor = later_day(), clinic["hospital"], clinic["doctor"]
    # the page
    page_patient = make.user(Role.PATIENT)
    auth.login(page_patient.email, PASSWORD)
    start = core.to_local(at(day, 10), LONDON).isoformat().replace("+", "%2B")
    res = client.post(f"/patient/book?doctor={doctor.id}&hospital={hospital.id}&start={start}",
                      data={"urgency": "urgent", "reason": "it hurts"})
    assert res.status_code == 302
    api = app.test_client()  # the API with a patient's token, without the page's session
    api_patient = make.user(Role.PATIENT)
    res = api.post("/api/v1/appointments", headers=bearer(api_patient),
                      json={"doctor_id": doctor.id, "hospital_id": hospital.id, "urgency": "urgent",
                            "start": core.to_local(at(day, 10, 30), LONDON).isoformat()})
    assert res.status_code == 201, res.get_json()
    assert (res.get_json()["urgency"], res.get_json()["urgency_by_patient"]) == ("routine", "urgent")
    db.session.expire_all()
    stored = {(a.urgency, a.urgency_by_patient) for a in db.session.scalars(select(Appointment))}
    assert stored == {("routine", "urgent")}
    # staff booking for a patient set the urgency the queue follows
    res = api.post("/api/v1/appointments", headers=bearer(clinic["staff"]),
                      json={"doctor_id": doctor.id, "hospital_id": hospital.id, "urgency": "urgent",
                            "patient_id": make.patient().id,
                            "start": core.to_local(at(day, 11), LONDON).isoformat()})
    assert res.status_code == 201 and res.get_json()["urgency"] == "urgent"
    assert res.get_json()["urgency_by_patient"] is None


def test_patient_cannot_book_an_urgent_held_slot_unless_the_hospital_allows(client, clinic, make):
    day, hospital, doctor = later_day(), clinic["hospital"], clinic["doctor"]
    patient = make.user(Role.PATIENT)
    body = {"doctor_id": doctor.id, "hospital_id": hospital.id, "urgency": "urgent",
            "start": core.to_local(at(day, 9, 15), LONDON).isoformat()}  # held for urgent needs
    res = client.post("/api/v1/appointments", headers=bearer(patient), json=body)
    assert res.status_code in (409, 422) and db.session.scalar(select(Appointment)) is None
    hospital.allow_self_declared_urgency = True
    db.session.commit()
    res = client.post("/api/v1/appointments", headers=bearer(patient), json=body)
    assert res.status_code == 201
    assert (res.get_json()["urgency"], res.get_json()["urgency_by_patient"]) == ("routine", "urgent")


@pytest.mark.parametrize("allowed", [False, True])
def test_urgent_held_slots_in_search_follow_the_hospital_setting(client, clinic, allowed):
    day, hospital, doctor = later_day(), clinic["hospital"], clinic["doctor"]
    hospital.allow_self_declared_urgency = allowed
    db.session.commit()
    held = core.to_local(at(day, 9, 15), LONDON).isoformat()

    def starts(urgency: str) -> set[str]:
        res = client.get(f"/api/v1/slots?doctor={doctor.id}&from={day}&to={day}&urgency={urgency}&limit=500")
        assert res.status_code == 200
        return {s["start"] for s in res.get_json()["slots"]}

    assert held not in starts("routine")
    assert (held in starts("urgent")) is allowed
    page = client.get(f"/search?doctor={doctor.id}&from={day}&to={day}&urgency=urgent").get_data(as_text=True)
    assert (f'data-start="{held}"' in page) is allowed


def test_desk_sees_stated_urgency_and_changes_priority_on_the_board(client, auth, clinic, make):
    hospital, doctor, staff = clinic["hospital"], clinic["doctor"], clinic["staff"]
    patient = make.patient(name="Ursula Urgent")
    today = datetime.now(LONDON).date()
    start = utcnow() + timedelta(minutes=5)
    if core.local_day(start, LONDON) != today:  # the day's last minutes: a start just gone, within the no-show grace
        start = utcnow() - timedelta(minutes=5)
    db.session.add(Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=start,
                               end=start + timedelta(minutes=15), status="scheduled", urgency="routine",
                               urgency_by_patient="urgent"))
    db.session.commit()
    auth.login(staff.email, PASSWORD)
    page = client.get(f"/staff/desk/{hospital.id}").get_data(as_text=True)
    assert "stated by patient: urgent" in page
    appointment = db.session.scalar(select(Appointment))
    res = client.post(f"/staff/desk/appointments/{appointment.id}/check-in", data={"priority": "normal"})
    assert res.status_code == 302
    db.session.expire_all()
    entry = db.session.scalar(select(QueueEntry))
    assert entry.priority == "normal" and events("queue.priority") == []
    board = client.get(f"/staff/desk/{hospital.id}/board").get_data(as_text=True)
    assert "stated by patient: urgent" in board
    res = client.post(f"/staff/desk/entries/{entry.id}/priority", data={"priority": "urgent"})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(QueueEntry, entry.id).priority == "urgent"
    [change] = events("queue.priority")
    assert (change.actor_id, change.before, change.after) == (staff.id, {"priority": "normal"}, {"priority": "urgent"})


def test_admin_turns_self_declared_urgency_on_for_a_hospital(client, auth, make, clinic):
    hospital = clinic["hospital"]
    assert hospital.allow_self_declared_urgency is False  # off by default
    admin = make.user(Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    form = dict(name=hospital.name, city="London", country="GB", lat="51.5", lon="-0.12", timezone="Europe/London",
                cancel_cutoff_hours="24", noshow_grace_minutes="30", offer_hold_minutes="15")
    assert "urgent slots" in client.get(f"/admin/hospitals/{hospital.id}/edit").get_data(as_text=True)
    res = client.post(f"/admin/hospitals/{hospital.id}/edit", data={**form, "allow_self_declared_urgency": "y"})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(hospital), hospital.id).allow_self_declared_urgency is True
    [change] = events("hospital.update")
    assert (change.before["allow_self_declared_urgency"], change.after["allow_self_declared_urgency"]) == (
        False, True)


def test_api_priority_change_is_staff_only_and_audited(app, clinic, make):
    hospital, doctor, staff = clinic["hospital"], clinic["doctor"], clinic["staff"]
    patient = make.patient()
    entry = queue_service.issue_walkin(staff.id, hospital.id, patient, doctor_id=doctor.id)
    db.session.commit()
    api = app.test_client()
    res = api.put(f"/api/v1/queue/{entry.id}/priority", headers=bearer(make.user(Role.PATIENT)),
                  json={"priority": "vip"})
    assert res.status_code == 403
    outsider = make.user(Role.STAFF, make.hospital(name="Elsewhere"))
    res = api.put(f"/api/v1/queue/{entry.id}/priority", headers=bearer(outsider), json={"priority": "vip"})
    assert res.status_code == 404
    res = api.put(f"/api/v1/queue/{entry.id}/priority", headers=bearer(staff), json={"priority": "bogus"})
    assert res.status_code == 422
    res = api.put(f"/api/v1/queue/{entry.id}/priority", headers=bearer(staff),
                  json={"priority": "vip", "reason": "mayor"})
    assert res.status_code == 200 and res.get_json()["priority"] == "vip"
    [change] = events("queue.priority")
    assert (change.actor_id, change.before, change.after, change.comment) == (
        staff.id, {"priority": "normal"}, {"priority": "vip"}, "mayor")


def test_an_accepted_waitlist_offer_keeps_the_patients_urgency_as_a_request(make):
    from app.models import Offer
    from app.services import waitlist

    now = datetime(2026, 2, 27, 8, 0)
    slot = datetime(2026, 3, 3, 9, 0)
    hospital = make.hospital()
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty)
    make.schedule(doctor, hospital)
    first, claimant = make.patient(), make.patient()
    waitlist.join(None, claimant, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 3, 10),
                                                urgency="urgent"), now=now)
    appointment = booking.book(None, first, doctor, slot, now=now)
    db.session.commit()
    booking.cancel(None, appointment, "", now=now)
    db.session.commit()
    [offer] = db.session.scalars(select(Offer)).all()
    accepted = waitlist.accept(claimant.user_id, offer, claimant, now=now + timedelta(minutes=5))
    db.session.commit()
    assert (accepted.urgency, accepted.urgency_by_patient) == ("routine", "urgent")
