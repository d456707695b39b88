"""The queue service on the real database: tokens, check-in, statuses, moves, vitals, jobs and announcements."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import realtime
from app import scheduling as core
from app.extensions import db
from app.jobs import close_queues, mark_no_shows
from app.models import (
    AuditEvent,
    Claim,
    Department,
    Encounter,
    QueueCounter,
    QueueEntry,
    Role,
    Room,
    Vitals,
)
from app.services import booking
from app.services import queue as queue_service
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import RuleInput, ScheduleInput, add_exception, put_schedule
from app.services.queue.closing import SESSION_GRACE

# Monday 2 March 2026, 08:00 in London (GMT): the clinic opens at 09:00
NOW = datetime(2026, 3, 2, 8, 0)
TODAY = date(2026, 3, 2)


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Hospital")
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio, name="Dr Ada Heart")
    colleague = make.doctor(hospital, cardio, name="Dr Bea Beat")
    make.schedule(doctor, hospital)
    make.schedule(colleague, hospital)
    staff = make.user(Role.STAFF, hospital)
    return {"hospital": hospital, "doctor": doctor, "colleague": colleague, "staff": staff, "cardio": cardio}


def walkin(clinic, patient, priority="normal", minutes=0, doctor=None):
    return queue_service.issue_walkin(clinic["staff"].id, clinic["hospital"].id, patient,
                                      doctor_id=(doctor or clinic["doctor"]).id, priority=priority,
                                      now=NOW + timedelta(minutes=minutes))


def book(clinic, patient, start, doctor=None):
    appointment = booking.book(None, patient, doctor or clinic["doctor"], start, now=NOW - timedelta(days=1))
    db.session.commit()
    return appointment


def board(clinic, minutes=30, doctor=None):
    return queue_service.queue_for(clinic["hospital"].id, (doctor or clinic["doctor"]).id, TODAY,
                                   now=NOW + timedelta(minutes=minutes))


def test_walkins_get_numbered_tokens_with_the_specialty_prefix(clinic, make):
    first = walkin(clinic, make.patient())
    second = walkin(clinic, make.patient(), minutes=1)
    db.session.commit()
    assert (first.label, second.label) == ("CAR-001", "CAR-002")
    assert (first.day, first.source, first.status) == (TODAY, "walkin", "waiting")
    assert db.session.scalar(select(func.count(Encounter.id))) == 2  # the visit exists once the token does
    rows = board(clinic)
    assert [r.entry.label for r in rows] == ["CAR-001", "CAR-002"]
    assert [r.position for r in rows] == [1, 2]
    assert [r.estimated_wait_minutes for r in rows] == [0, 15]  # no history yet: the 15-minute slot length
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "queue.walkin").limit(1))
    assert audit.actor_id == clinic["staff"].id and audit.after["label"] == "CAR-001"


def test_emergency_goes_to_the_top(clinic, make):
    walkin(clinic, make.patient())
    walkin(clinic, make.patient(), minutes=1)
    emergency = walkin(clinic, make.patient(), "emergency", minutes=2)
    db.session.commit()
    rows = board(clinic)
    assert rows[0].entry.id == emergency.id and rows[0].position == 1
    assert queue_service.position_of(emergency, now=NOW + timedelta(minutes=3)) == 1


def test_second_token_for_the_same_patient_and_doctor_is_refused(clinic, make):
    patient = make.patient()
    walkin(clinic, patient)
    db.session.commit()
    with pytest.raises(core.QueueError, match="already has a token") as caught:
        walkin(clinic, patient, minutes=5)
    assert caught.value.field == "patient" and caught.value.http_status == 409
    db.session.rollback()
    assert db.session.scalar(select(func.count(QueueEntry.id))) == 1
    assert db.session.scalar(select(QueueCounter.last_number)) == 1  # the refusal used no number
    walkin(clinic, patient, doctor=clinic["colleague"])  # another doctor the same day is fine


def test_department_walkin_picks_the_shortest_line(clinic, make):
    department = Department(hospital_id=clinic["hospital"].id, name="Cardiology", specialty_id=clinic["cardio"].id)
    db.session.add(department)
    db.session.commit()
    walkin(clinic, make.patient())  # Dr Ada Heart has one waiting, Dr Bea Beat none
    entry = queue_service.issue_walkin(None, clinic["hospital"].id, make.patient(), department_id=department.id,
                                       now=NOW)
    assert entry.queue.doctor_id == clinic["colleague"].id
    again = queue_service.issue_walkin(None, clinic["hospital"].id, make.patient(), department_id=department.id,
                                       now=NOW)
    assert again.queue.doctor_id == clinic["doctor"].id  # one each now: ties go by name


def test_walkin_refuses_unknown_inactive_or_missing_doctor(clinic, make):
    other = make.doctor(make.hospital(), clinic["cardio"])
    with pytest.raises(core.QueueError, match="does not work") as caught:
        walkin(clinic, make.patient(), doctor=other)
    assert caught.value.field == "doctor"
    clinic["colleague"].active = False
    db.session.commit()
    with pytest.raises(core.QueueError, match="not seeing"):
        walkin(clinic, make.patient(), doctor=clinic["colleague"])
    with pytest.raises(core.QueueError, match="doctor or a department"):
        queue_service.issue_walkin(None, clinic["hospital"].id, make.patient(), now=NOW)
    with pytest.raises(core.QueueError, match="Priority"):
        walkin(clinic, make.patient(), priority="royal")


def test_check_in_of_todays_appointment(clinic, make):
    patient = make.patient()
    appointment = book(clinic, patient, datetime(2026, 3, 2, 9, 30))
    entry = queue_service.check_in(clinic["staff"].id, appointment, now=NOW + timedelta(minutes=70))
    db.session.commit()
    assert appointment.status == "checked_in"
    assert (entry.source, entry.appointment_id, entry.priority, entry.label) == ("appointment", appointment.id,
                                                                                 "normal", "CAR-001")
    assert entry.encounter is not None and entry.encounter.appointment_id == appointment.id
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"queue.checkin", "appointment.status"} <= actions


def test_urgent_booking_checks_in_as_urgent_and_by_its_slot_time(clinic, make):
    early = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 0))
    late_slot = book(clinic, make.patient(), datetime(2026, 3, 2, 11, 0))
    queue_service.check_in(None, late_slot, now=NOW)  # arrived first, but its slot is later
    queue_service.check_in(None, early, now=NOW + timedelta(minutes=20))
    db.session.commit()
    assert [r.entry.appointment_id for r in board(clinic)] == [early.id, late_slot.id]
    urgent = booking.book(None, make.patient(), clinic["doctor"], datetime(2026, 3, 2, 10, 0), urgency="urgent",
                          now=NOW - timedelta(days=1))
    assert queue_service.check_in(None, urgent, now=NOW).priority == "urgent"


def test_check_in_refuses_cancelled_tomorrows_and_other_hospitals_appointments(clinic, make):
    patient = make.patient()
    cancelled = book(clinic, patient, datetime(2026, 3, 2, 9, 0))
    booking.cancel(None, cancelled, "changed my mind")
    tomorrow = book(clinic, patient, datetime(2026, 3, 3, 9, 0))
    db.session.commit()
    with pytest.raises(core.QueueError, match="cancelled") as caught:
        queue_service.check_in(None, cancelled, now=NOW)
    assert caught.value.http_status == 409
    db.session.rollback()
    with pytest.raises(core.QueueError, match="not today"):
        queue_service.check_in(None, tomorrow, now=NOW)
    db.session.rollback()
    other = make.hospital(name="Elsewhere")
    with pytest.raises(core.QueueError, match="not at this hospital"):
        queue_service.check_in(None, book(clinic, patient, datetime(2026, 3, 2, 10, 0)), now=NOW,
                               hospital_id=other.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count(QueueEntry.id))) == 0
    assert tomorrow.status == "scheduled"


def test_checking_in_twice_is_refused(clinic, make):
    appointment = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 0))
    queue_service.check_in(None, appointment, now=NOW)
    db.session.commit()
    with pytest.raises(core.QueueError, match="already checked in"):
        queue_service.check_in(None, appointment, now=NOW)


def test_token_slot_appointments_check_in_the_same_way(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty("Dermatology", "DER"))
    make.schedule(doctor, hospital, kind="tokens", slot_minutes=60, tokens_per_slot=3)
    patients = [make.patient() for _ in range(3)]
    appointments = [booking.book(None, p, doctor, datetime(2026, 3, 2, 9, 0), now=NOW) for p in patients]
    assert {a.kind for a in appointments} == {"tokens"}
    entries = [queue_service.check_in(None, a, now=NOW + timedelta(minutes=i)) for i, a in enumerate(appointments)]
    db.session.commit()
    assert [e.label for e in entries] == ["DER-001", "DER-002", "DER-003"]
    rows = queue_service.queue_for(hospital.id, doctor.id, TODAY, now=NOW + timedelta(minutes=5))
    assert [r.entry.id for r in rows] == [e.id for e in entries]  # same slot time: by arrival


def test_status_steps_mirror_the_appointment_and_feed_the_estimates(clinic, make):
    appointment = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 0))
    entry = queue_service.check_in(None, appointment, now=NOW)
    waiting = walkin(clinic, make.patient(), minutes=1)
    queue_service.set_status(None, entry, "called", now=NOW + timedelta(minutes=60))
    queue_service.set_status(None, entry, "in_progress", now=NOW + timedelta(minutes=61))
    assert appointment.status == "in_progress"
    rows = board(clinic, minutes=66)
    # "now serving" heads the board, the waiting follow with their places
    assert [(r.entry.id, r.position) for r in rows] == [(entry.id, None), (waiting.id, 1)]
    assert rows[1].estimated_wait_minutes == 10  # 15 minus 5 already spent
    queue_service.set_status(None, entry, "completed", now=NOW + timedelta(minutes=81))
    db.session.commit()
    assert appointment.status == "completed" and entry.ended_at == NOW + timedelta(minutes=81)
    assert board(clinic, minutes=82)[0].estimated_wait_minutes == 0
    assert queue_service.queue_for(clinic["hospital"].id, clinic["doctor"].id, TODAY,
                                   now=NOW + timedelta(minutes=82))[-1].entry.status == "completed"
    second = walkin(clinic, make.patient(), minutes=83)
    rows = board(clinic, minutes=84)
    # the pace: 15 moved a fifth of the way towards the 20-minute visit
    assert [r.estimated_wait_minutes for r in rows if r.entry.status == "waiting"] == [0, 16]
    assert second.id == rows[1].entry.id


def test_a_skipped_step_is_refused_and_nothing_changes(clinic, make):
    appointment = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 0))
    entry = queue_service.check_in(None, appointment, now=NOW)
    db.session.commit()
    with pytest.raises(core.InvalidTransition, match="cannot become completed"):
        queue_service.set_status(None, entry, "completed", now=NOW)
    db.session.rollback()
    assert entry.status == "waiting" and appointment.status == "checked_in"


def test_a_stale_status_change_loses_to_the_one_that_happened(clinic, make):
    entry = walkin(clinic, make.patient())
    db.session.commit()
    db.session.execute(QueueEntry.__table__.update().where(QueueEntry.id == entry.id).values(status="called"))
    with pytest.raises(core.InvalidTransition, match="changed meanwhile"):
        queue_service.set_status(None, entry, "called", now=NOW)  # this object still says waiting


def test_call_next_calls_in_serving_order_and_announces_the_room(clinic, make):
    room = Room(hospital_id=clinic["hospital"].id, name="Room 4")
    db.session.add(room)
    db.session.flush()
    first = walkin(clinic, make.patient())
    urgent = walkin(clinic, make.patient(), "urgent", minutes=1)
    first.queue.room_id = room.id
    db.session.commit()
    realtime.publish_queue_changes()  # clear what the issues noted
    called = queue_service.call_next(None, clinic["hospital"].id, clinic["doctor"].id, now=NOW + timedelta(minutes=2))
    db.session.commit()
    assert called.id == urgent.id and called.status == "called" and called.called_at is not None
    changes = db.session.info[realtime.QUEUE_COMMITTED]
    assert [realtime.queue_payload(c) for c in changes] == [{
        "hospital_id": clinic["hospital"].id, "doctor_id": clinic["doctor"].id, "day": "2026-03-02",
        "called": {"label": urgent.label, "room": "Room 4"}}]
    assert queue_service.call_next(None, clinic["hospital"].id, clinic["doctor"].id, now=NOW).id == first.id
    assert queue_service.call_next(None, clinic["hospital"].id, clinic["doctor"].id, now=NOW) is None
    queue_service.set_status(None, first, "waiting", now=NOW)  # a recall puts it back in line
    rows = board(clinic)
    assert first.called_at is None and [(r.entry.id, r.position) for r in rows] == [(urgent.id, None), (first.id, 1)]


def test_a_rolled_back_change_is_never_announced(clinic, make):
    walkin(clinic, make.patient())
    db.session.rollback()
    db.session.commit()
    assert realtime.QUEUE_COMMITTED not in db.session.info


def test_move_needs_a_reason_and_is_audited(clinic, make):
    a, b, c = (walkin(clinic, make.patient(), minutes=i) for i in range(3))
    db.session.commit()
    with pytest.raises(core.QueueError, match="reason") as caught:
        queue_service.move(None, c, -2, "  ")
    assert caught.value.field == "reason" and caught.value.http_status == 422
    queue_service.move(clinic["staff"].id, c, -2, "frail, cannot stand")
    db.session.commit()
    assert [r.entry.id for r in board(clinic)] == [c.id, a.id, b.id]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "queue.move"))
    assert event.comment == "frail, cannot stand" and event.before["position"] == 3 and event.after["position"] == 1
    queue_service.set_status(None, a, "called", now=NOW)
    with pytest.raises(core.QueueError, match="Only a waiting"):
        queue_service.move(None, a, 1, "late")


def test_vitals_in_range_are_stored_and_out_of_range_refused_with_the_field(clinic, make):
    entry = walkin(clinic, make.patient())
    db.session.commit()
    with pytest.raises(core.VitalsOutOfRange) as caught:
        queue_service.record_vitals(None, entry, {"systolic_mmhg": "120", "diastolic_mmhg": "80",
                                                  "pulse_bpm": "720"})
    assert caught.value.field == "pulse_bpm" and "bpm" in caught.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Vitals.id))) == 0
    vitals = queue_service.record_vitals(clinic["staff"].id, entry, {"systolic_mmhg": "120", "diastolic_mmhg": "80",
                                                                     "temperature_c": "37,4", "weight_kg": ""})
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Vitals, vitals.id)
    assert (stored.systolic_mmhg, stored.temperature_c, stored.weight_kg) == (120, Decimal("37.4"), None)
    assert db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "queue.vitals")) == {
        "systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": "37.4"}


def test_notes_and_history(clinic, make):
    patient = make.patient()
    entry = walkin(clinic, patient)
    queue_service.record_vitals(None, entry, {"pulse_bpm": 70})
    queue_service.save_notes(None, entry, "  Chest pain on exertion.  ")
    db.session.commit()
    later = walkin(clinic, patient, doctor=clinic["colleague"], minutes=5)
    db.session.commit()
    history = queue_service.patient_history(patient.id, exclude_entry_id=later.id)
    assert [e.entry_id for e in history] == [entry.id]
    assert history[0].notes == "Chest pain on exertion." and history[0].vitals[0].pulse_bpm == 70
    assert len(queue_service.patient_history(patient.id)) == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "queue.notes"))
    assert event.after == {"length": len("Chest pain on exertion.")}  # the notes themselves stay out of the log


def test_checkin_code_round_trip_and_refusals(clinic, make):
    appointment = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 0))
    code = queue_service.checkin_code(appointment)
    assert queue_service.appointment_from_code(code).id == appointment.id
    with pytest.raises(core.QueueError, match="not valid") as caught:
        queue_service.appointment_from_code(code[:-2] + "xx")
    assert caught.value.field == "code"
    booking.reschedule(None, appointment, datetime(2026, 3, 2, 10, 0), now=NOW)
    db.session.commit()
    with pytest.raises(core.QueueError, match="moved"):
        queue_service.appointment_from_code(code)


def test_no_show_job_frees_the_claims_of_patients_who_never_came(clinic, make):
    gone = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 0))
    came = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 15))
    later = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 45))
    queue_service.check_in(None, came, now=datetime(2026, 3, 2, 9, 10))
    db.session.commit()
    assert mark_no_shows(now=datetime(2026, 3, 2, 9, 31)) == 1  # 30 minutes of grace after 09:00
    db.session.expire_all()
    assert (gone.status, came.status, later.status) == ("no_show", "checked_in", "scheduled")
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.appointment_id == gone.id)) == 0
    assert mark_no_shows(now=datetime(2026, 3, 2, 9, 31)) == 0  # runs again without effect
    # the freed time is bookable again at once
    booking.book(None, make.patient(), clinic["doctor"], datetime(2026, 3, 2, 9, 0), now=NOW)


def test_close_queues_ends_the_day(clinic, make):
    waiting = walkin(clinic, make.patient())
    called = walkin(clinic, make.patient(), minutes=1)
    seeing = book(clinic, make.patient(), datetime(2026, 3, 2, 9, 0))
    in_room = queue_service.check_in(None, seeing, now=NOW)
    queue_service.set_status(None, called, "called", now=NOW)
    queue_service.set_status(None, in_room, "called", now=NOW)
    queue_service.set_status(None, in_room, "in_progress", now=NOW)
    db.session.commit()
    # the doctor's hours end at 12:00 (GMT); the queue stays open for the grace after them
    assert close_queues(now=datetime(2026, 3, 2, 12, 59)) == 0
    assert close_queues(now=datetime(2026, 3, 2, 13, 0)) == 1
    db.session.expire_all()
    assert (waiting.status, called.status, in_room.status) == ("left", "no_show", "completed")
    assert in_room.ended_at is None and seeing.status == "completed"
    assert db.session.scalar(select(QueueCounter.closed_at)) == datetime(2026, 3, 2, 13, 0)
    assert close_queues(now=datetime(2026, 3, 2, 13, 15)) == 0
    # a closed day issues no more tokens
    with pytest.raises(core.QueueError, match="closed"):
        walkin(clinic, make.patient(), minutes=6 * 60)


def test_jobs_run_once_includes_the_queue_jobs(runner, clinic):
    result = runner.invoke(args=["jobs", "run-once"])
    assert result.exit_code == 0, result.output
    assert "mark_no_shows" in result.output and "close_queues" in result.output


def test_a_new_queue_calls_patients_to_the_room_of_the_doctors_hours(clinic, make):
    room = Room(hospital_id=clinic["hospital"].id, name="Clinic 7")
    db.session.add(room)
    db.session.commit()
    doctor = make.doctor(clinic["hospital"], clinic["cardio"], name="Dr Cy Room")
    make.schedule(doctor, clinic["hospital"], room_id=room.id)
    entry = walkin(clinic, make.patient(), doctor=doctor)
    db.session.commit()
    assert entry.queue.room_id == room.id and queue_service.room_name(entry) == "Clinic 7"
    assert walkin(clinic, make.patient()).queue.room_id is None  # hours without a room: the display names the doctor


# --- the board's order, and closing a queue at the end of its session ---

def test_the_board_shows_now_serving_first_then_the_waiting_then_the_finished(clinic, make):
    done, seen, gone, called, seeing, normal, urgent = (walkin(clinic, make.patient(), minutes=i) for i in range(7))
    for entry, steps in ((done, ("called", "in_progress", "completed")), (seen, ("called", "no_show")),
                         (gone, ("left",)), (called, ("called",)), (seeing, ("called", "in_progress"))):
        for step in steps:
            queue_service.set_status(None, entry, step, now=NOW + timedelta(minutes=10))
    urgent.priority = "urgent"
    db.session.commit()
    rows = board(clinic)
    # the desk reads top down: who is with the doctor, who is on the way in, then the line with unchanged places
    assert [(r.entry.id, r.position) for r in rows] == [
        (seeing.id, None), (called.id, None), (urgent.id, 1), (normal.id, 2), (done.id, None), (gone.id, None),
        (seen.id, None)]
    assert [r.estimated_wait_minutes is not None for r in rows] == [False, False, True, True, False, False, False]
    assert queue_service.position_of(normal, now=NOW + timedelta(minutes=30)) == 2
    board_of = queue_service.hospital_board(clinic["hospital"].id, TODAY, now=NOW + timedelta(minutes=30))
    assert [r.entry.id for r in board_of[clinic["doctor"]]] == [r.entry.id for r in rows]


def _two_sessions(doctor, hospital):
    """Monday to Friday 09:00-12:00 and 13:00-16:00 (local)."""
    rules = [RuleInput(weekday=d, start=start, end=end) for d in range(5)
             for start, end in ((time(9), time(12)), (time(13), time(16)))]
    put_schedule(None, resource_for_doctor(doctor.id).id, hospital.id,
                 ScheduleInput(valid_from=date(2020, 1, 1), valid_till=None, rules=rules, min_notice_minutes=0))
    db.session.commit()


def test_a_queue_closes_after_the_last_session_of_the_day_not_the_first(make):
    hospital = make.hospital(name="Berlin Mitte", timezone="Europe/Berlin", city="Berlin", country="DE")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Two Sessions")
    _two_sessions(doctor, hospital)
    entry = queue_service.issue_walkin(None, hospital.id, make.patient(), doctor_id=doctor.id,
                                       now=datetime(2026, 3, 2, 8, 0))  # 09:00 in Berlin (CET, UTC+1)
    db.session.commit()
    assert close_queues(now=datetime(2026, 3, 2, 12, 30)) == 0  # the lunch break: the afternoon is still to come
    # the afternoon ends 16:00 CET = 15:00 UTC; closing waits the grace after it
    assert close_queues(now=datetime(2026, 3, 2, 15, 0) + SESSION_GRACE - timedelta(minutes=1)) == 0
    assert close_queues(now=datetime(2026, 3, 2, 15, 0) + SESSION_GRACE) == 1
    db.session.expire_all()
    assert entry.status == "left"


def test_added_time_keeps_the_queue_open_and_leave_closes_it_earlier(clinic, make):
    resource_id = resource_for_doctor(clinic["doctor"].id).id
    add_exception(None, resource_id, clinic["hospital"].id, datetime(2026, 3, 2, 17, 0), datetime(2026, 3, 2, 19, 0),
                  True, "evening clinic")
    leave = resource_for_doctor(clinic["colleague"].id).id
    add_exception(None, leave, clinic["hospital"].id, datetime(2026, 3, 2, 10, 30), datetime(2026, 3, 2, 23, 0),
                  False, "sent home ill")
    db.session.commit()
    evening = walkin(clinic, make.patient())
    early = walkin(clinic, make.patient(), doctor=clinic["colleague"])
    db.session.commit()
    assert close_queues(now=datetime(2026, 3, 2, 11, 29)) == 0
    assert close_queues(now=datetime(2026, 3, 2, 11, 30)) == 1  # the colleague's hours ended at 10:30
    assert close_queues(now=datetime(2026, 3, 2, 19, 59)) == 0  # the evening clinic runs until 19:00
    assert close_queues(now=datetime(2026, 3, 2, 20, 0)) == 1
    db.session.expire_all()
    assert (early.status, evening.status) == ("left", "left")


def test_without_hours_that_day_the_queue_closes_at_local_midnight(make):
    hospital = make.hospital(name="Weekday Clinic")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Weekdays")
    make.schedule(doctor, hospital, weekdays=range(5))  # Monday to Friday only
    saturday = datetime(2026, 3, 7, 10, 0)
    entry = queue_service.issue_walkin(None, hospital.id, make.patient(), doctor_id=doctor.id, now=saturday)
    db.session.commit()
    assert entry.day == date(2026, 3, 7)
    assert close_queues(now=datetime(2026, 3, 7, 23, 59)) == 0  # walk-ins are seen whenever the desk says
    assert close_queues(now=datetime(2026, 3, 8, 0, 0)) == 1
    db.session.expire_all()
    assert entry.status == "left"


def test_only_the_hours_at_the_queues_own_hospital_count(clinic, make):
    branch = make.hospital(name="Branch Clinic")
    doctor = clinic["doctor"]
    doctor.hospitals.append(branch)
    db.session.commit()
    make.schedule(doctor, branch, start="13:00", end="20:00")  # a long afternoon elsewhere
    here = walkin(clinic, make.patient())
    there = queue_service.issue_walkin(None, branch.id, make.patient(), doctor_id=doctor.id, now=NOW)
    db.session.commit()
    assert close_queues(now=datetime(2026, 3, 2, 13, 0)) == 1  # the Thames hours end at 12:00
    db.session.expire_all()
    assert (here.status, there.status) == ("left", "waiting")
    assert close_queues(now=datetime(2026, 3, 2, 21, 0)) == 1


def test_the_session_end_follows_the_local_clock_across_the_spring_change(clinic, make):
    # Sunday 29 March 2026: London moves to BST, so the 12:00 end of the hours is 11:00 UTC
    entry = queue_service.issue_walkin(None, clinic["hospital"].id, make.patient(), doctor_id=clinic["doctor"].id,
                                       now=datetime(2026, 3, 29, 8, 0))
    db.session.commit()
    assert close_queues(now=datetime(2026, 3, 29, 11, 59)) == 0
    assert close_queues(now=datetime(2026, 3, 29, 12, 0)) == 1
    db.session.expire_all()
    assert entry.status == "left"
