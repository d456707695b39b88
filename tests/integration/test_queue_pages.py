"""The queue pages over HTTP: the desk, the token slip, the kiosk and display, the nurse station, the doctor's day.

Each page renders for its role, forms work, bad input shows its error and changes nothing, another hospital's
entry answers 404, and patients are kept out.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, AuditEvent, Department, Patient, QueueEntry, Role, Vitals
from app.services import booking
from app.services import queue as queue_service
from app.services.availability.views import local_today


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Hospital")
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio, name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    db.session.add(Department(hospital_id=hospital.id, name="Cardiology", specialty_id=cardio.id))
    db.session.commit()
    return {"hospital": hospital, "doctor": doctor, "cardio": cardio,
            "staff": make.user(Role.STAFF, hospital), "nurse": make.user(Role.NURSE, hospital),
            "patient": make.patient(name="Grace Hopper", phone="+447911123456")}


def walkin(clinic, patient, priority="normal"):
    entry = queue_service.issue_walkin(clinic["staff"].id, clinic["hospital"].id, patient,
                                       doctor_id=clinic["doctor"].id, priority=priority)
    db.session.commit()
    return entry


def booked_today(clinic, patient=None, hour=9):
    """An appointment at `hour`:00 local today, booked as if yesterday (the slot may lie in the past now)."""
    hospital = clinic["hospital"]
    tz = ZoneInfo(hospital.timezone)
    start = datetime.combine(local_today(hospital.timezone), time(hour), tz).astimezone(ZoneInfo("UTC"))
    start = start.replace(tzinfo=None)
    appointment = booking.book(None, patient or clinic["patient"], clinic["doctor"], start,
                               now=start - timedelta(days=1))
    db.session.commit()
    return appointment


def entries() -> list[QueueEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(QueueEntry).order_by(QueueEntry.id)))


# --- the desk ---

def test_desk_renders_the_board_search_and_todays_appointments(client, auth, clinic):
    walkin(clinic, clinic["patient"], "urgent")
    auth.login(clinic["staff"].email)
    html = client.get("/staff/desk?q=hopper").get_data(as_text=True)
    assert "Queue desk" in html and "CAR-001" in html and "Dr Ada Heart" in html
    assert 'name="patient"' in html and "Grace Hopper" in html  # the search result is a choice of the form
    assert f'data-queue-hospital="{clinic["hospital"].id}"' in html and "socket.io" in html
    board = client.get(f"/staff/desk/{clinic['hospital'].id}/board").get_data(as_text=True)
    assert "CAR-001" in board and "<html" not in board


def test_walkin_token_goes_to_the_slip_and_a_second_one_is_refused(client, auth, clinic):
    auth.login(clinic["staff"].email)
    hospital_id, patient = clinic["hospital"].id, clinic["patient"]
    res = client.post(f"/staff/desk/{hospital_id}/walkin", data={
        "patient": patient.id, "doctor": clinic["doctor"].id, "priority": "emergency"})
    assert res.status_code == 302 and "/slip" in res.headers["Location"]
    slip = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "CAR-001" in slip and "Dr Ada Heart" in slip and "Estimated wait" in slip and "@media print" not in slip
    assert [(e.label, e.priority, e.source) for e in entries()] == [("CAR-001", "emergency", "walkin")]

    again = client.post(f"/staff/desk/{hospital_id}/walkin", data={
        "patient": patient.id, "doctor": clinic["doctor"].id, "priority": "normal"})
    assert again.status_code == 422
    assert "already has a token" in again.get_data(as_text=True)
    assert len(entries()) == 1


def test_walkin_by_department_and_form_errors(client, auth, clinic):
    auth.login(clinic["staff"].email)
    hospital_id = clinic["hospital"].id
    department = db.session.scalar(select(Department))
    nothing = client.post(f"/staff/desk/{hospital_id}/walkin", data={"priority": "normal"})
    html = nothing.get_data(as_text=True)
    assert nothing.status_code == 422
    assert "Find the patient and choose them" in html and "Choose a doctor or a department" in html
    both = client.post(f"/staff/desk/{hospital_id}/walkin", data={
        "patient": clinic["patient"].id, "doctor": clinic["doctor"].id, "department": department.id})
    assert both.status_code == 422 and not entries()
    res = client.post(f"/staff/desk/{hospital_id}/walkin", data={
        "patient": clinic["patient"].id, "department": department.id, "priority": "vip"})
    assert res.status_code == 302
    assert [(e.queue.doctor_id, e.priority) for e in entries()] == [(clinic["doctor"].id, "vip")]


def test_quick_registration_issues_a_token_and_a_refusal_registers_nobody(client, auth, clinic, make):
    auth.login(clinic["staff"].email)
    hospital_id = clinic["hospital"].id
    bad = client.post(f"/staff/desk/{hospital_id}/walkin/new", data={
        "new-name": "", "new-phone": "12", "new-doctor": clinic["doctor"].id, "new-priority": "normal"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "This field is required." in html and "<details class=\"card shadow-sm\" open>" in html
    patients = db.session.scalar(select(func.count(Patient.id)))
    res = client.post(f"/staff/desk/{hospital_id}/walkin/new", data={
        "new-name": "Alan Turing", "new-phone": "+44 20 7946 0958", "new-birth_date": "1954-06-07",
        "new-doctor": clinic["doctor"].id, "new-priority": "urgent"})
    assert res.status_code == 302
    db.session.rollback()
    turing = db.session.scalar(select(Patient).where(Patient.name == "Alan Turing"))
    assert turing.user_id is None and turing.phone == "+442079460958"
    assert db.session.scalar(select(func.count(Patient.id))) == patients + 1
    # the doctor is gone from the hospital's active list: the refusal rolls back the new patient too
    clinic["doctor"].active = False
    db.session.commit()
    refused = client.post(f"/staff/desk/{hospital_id}/walkin/new", data={
        "new-name": "Ada Byron", "new-doctor": clinic["doctor"].id, "new-priority": "normal"})
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count(Patient.id))) == patients + 1


def test_check_in_at_the_desk_and_a_cancelled_appointment_is_refused(client, auth, clinic, make):
    appointment = booked_today(clinic)
    other = booked_today(clinic, make.patient(name="Linus T"), hour=10)
    booking.cancel(None, other, "ill")
    db.session.commit()
    auth.login(clinic["staff"].email)
    html = client.get("/staff/desk").get_data(as_text=True)
    assert f"/staff/desk/appointments/{appointment.id}/check-in" in html
    assert f"/staff/desk/appointments/{other.id}/check-in" not in html  # no button for a cancelled one
    res = client.post(f"/staff/desk/appointments/{appointment.id}/check-in")
    assert res.status_code == 302 and "/slip" in res.headers["Location"]
    refused = client.post(f"/staff/desk/appointments/{other.id}/check-in", follow_redirects=True)
    assert "cannot be checked in" in refused.get_data(as_text=True)
    assert [(e.appointment_id, e.source) for e in entries()] == [(appointment.id, "appointment")]
    assert db.session.get(Appointment, appointment.id).status == "checked_in"


def test_move_needs_a_reason_and_is_audited(client, auth, clinic, make):
    first = walkin(clinic, clinic["patient"])
    second = walkin(clinic, make.patient(name="Second Person"))
    auth.login(clinic["staff"].email)
    res = client.post(f"/staff/desk/entries/{second.id}/move", data={"direction": "up", "reason": " "},
                      follow_redirects=True)
    assert "Give a reason" in res.get_data(as_text=True)
    assert [e.manual_offset for e in entries()] == [0, 0]
    client.post(f"/staff/desk/entries/{second.id}/move", data={"direction": "up", "reason": "frail, waited long"})
    rows = queue_service.queue_for(clinic["hospital"].id, clinic["doctor"].id)
    assert [r.entry.id for r in rows] == [second.id, first.id]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "queue.move"))
    assert event.comment == "frail, waited long"
    client.post(f"/staff/desk/entries/{first.id}/left")
    assert [e.status for e in entries()] == ["left", "waiting"]


# --- scoping and roles ---

def test_another_hospitals_entries_answer_404_and_patients_are_kept_out(client, auth, clinic, make):
    elsewhere = make.hospital(name="Other Hospital")
    other_doctor = make.doctor(elsewhere, clinic["cardio"], name="Dr Far Away")
    entry = queue_service.issue_walkin(None, elsewhere.id, make.patient(), doctor_id=other_doctor.id)
    db.session.commit()
    auth.login(clinic["staff"].email)
    for url in (f"/staff/desk/tokens/{entry.id}/slip", f"/staff/desk/{elsewhere.id}",
                f"/staff/desk/{elsewhere.id}/board"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/staff/desk/entries/{entry.id}/left").status_code == 404
    moved = client.post(f"/staff/desk/entries/{entry.id}/move", data={"direction": "up", "reason": "x"})
    assert moved.status_code == 404
    auth.logout()
    auth.login(clinic["nurse"].email)
    assert client.get(f"/nurse/entries/{entry.id}/vitals").status_code == 404
    assert client.post(f"/nurse/entries/{entry.id}/status", data={"status": "called"}).status_code == 404
    assert client.get(f"/nurse/{elsewhere.id}").status_code == 404
    auth.logout()
    auth.login(clinic["doctor"].user.email)
    assert client.post(f"/doctor/day/entries/{entry.id}/status", data={"status": "called"}).status_code == 404
    assert entries()[0].status == "waiting"
    auth.logout()
    auth.login(clinic["patient"].user.email)
    for url in ("/staff/desk", "/nurse/", "/doctor/day"):
        assert client.get(url).status_code == 403, url
    auth.logout()
    assert client.get("/staff/desk").status_code == 302  # to the login page


# --- kiosk and display ---

def test_kiosk_checks_in_by_code_and_explains_every_refusal(client, clinic, make):
    hospital_id = clinic["hospital"].id
    appointment = booked_today(clinic)
    page = client.get(f"/kiosk/{hospital_id}").get_data(as_text=True)
    assert "Check-in code" in page and "BarcodeDetector" not in page  # the detector lives in queue-kiosk.js
    garbled = client.post(f"/kiosk/{hospital_id}", data={"code": "not-a-code"})
    assert garbled.status_code == 422 and "This code is not valid" in garbled.get_data(as_text=True)
    empty = client.post(f"/kiosk/{hospital_id}", data={"code": ""})
    assert empty.status_code == 422 and "Scan the QR code" in empty.get_data(as_text=True)
    elsewhere = make.hospital(name="Other Hospital")
    wrong = client.post(f"/kiosk/{elsewhere.id}", data={"code": queue_service.checkin_code(appointment)})
    assert wrong.status_code == 422 and "Please check in there" in wrong.get_data(as_text=True)
    assert not entries()

    ok = client.post(f"/kiosk/{hospital_id}", data={"code": queue_service.checkin_code(appointment)})
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "You are checked in." in html and "CAR-001" in html and "Dr Ada Heart" in html
    twice = client.post(f"/kiosk/{hospital_id}", data={"code": queue_service.checkin_code(appointment)})
    assert "You are already checked in." in twice.get_data(as_text=True) and len(entries()) == 1

    later = booked_today(clinic, make.patient(name="Late Larry"), hour=11)
    code = queue_service.checkin_code(later)
    booking.cancel(None, later, "ill")
    db.session.commit()
    cancelled = client.post(f"/kiosk/{hospital_id}", data={"code": code})
    assert cancelled.status_code == 422 and "cannot be checked in" in cancelled.get_data(as_text=True)
    assert len(entries()) == 1


def test_kiosk_refuses_another_day(client, clinic, make):
    tomorrow = booked_today(clinic, make.patient(name="Tom Morrow"))
    booking.reschedule(None, tomorrow, tomorrow.start + timedelta(days=1), now=tomorrow.start - timedelta(days=1))
    db.session.commit()
    res = client.post(f"/kiosk/{clinic['hospital'].id}", data={"code": queue_service.checkin_code(tomorrow)})
    assert res.status_code == 422 and "not today" in res.get_data(as_text=True) and not entries()


def test_display_shows_tokens_and_rooms_never_names(client, clinic, make):
    first = walkin(clinic, clinic["patient"])
    walkin(clinic, make.patient(name="Waiting Wendy"))
    queue_service.set_status(None, first, "called")
    db.session.commit()
    for url in (f"/kiosk/{clinic['hospital'].id}/display", f"/kiosk/{clinic['hospital'].id}/display/board"):
        html = client.get(url).get_data(as_text=True)
        assert 'data-called-token="CAR-001"' in html and 'data-next-token="CAR-002"' in html
        assert "Grace Hopper" not in html and "Waiting Wendy" not in html
    assert "Start display" in client.get(f"/kiosk/{clinic['hospital'].id}/display").get_data(as_text=True)
    assert client.get("/kiosk/9999/display").status_code == 404


def test_patient_sees_a_check_in_qr_for_a_scheduled_appointment_only(client, auth, clinic):
    appointment = booked_today(clinic, hour=11)
    auth.login(clinic["patient"].user.email)
    html = client.get(f"/patient/appointments/{appointment.id}").get_data(as_text=True)
    assert 'data-testid="checkin-qr"' in html and "<svg" in html
    booking.cancel(None, db.session.get(Appointment, appointment.id), "ill")
    db.session.commit()
    assert 'data-testid="checkin-qr"' not in client.get(f"/patient/appointments/{appointment.id}").get_data(
        as_text=True)


# --- nurse station ---

def test_nurse_station_calls_next_and_steps_statuses(client, auth, clinic, make):
    walkin(clinic, clinic["patient"])
    walkin(clinic, make.patient(name="Emergency Emma"), "emergency")
    auth.login(clinic["nurse"].email)
    html = client.get("/nurse/").get_data(as_text=True)
    assert "Nurse station" in html and "CAR-002" in html and "Call next" in html
    client.post(f"/nurse/{clinic['hospital'].id}/doctors/{clinic['doctor'].id}/call-next")
    assert [(e.label, e.status) for e in entries()] == [("CAR-001", "waiting"), ("CAR-002", "called")]
    emma = entries()[1]
    skipped = client.post(f"/nurse/entries/{entries()[0].id}/status", data={"status": "in_progress"},
                          follow_redirects=True)
    assert skipped.status_code == 200 and entries()[0].status == "waiting"
    assert "alert-danger" in skipped.get_data(as_text=True)
    client.post(f"/nurse/entries/{emma.id}/status", data={"status": "in_progress"})
    assert entries()[1].status == "in_progress"
    assert client.post(f"/nurse/entries/{emma.id}/status", data={"status": "nonsense"}).status_code == 302
    assert entries()[1].status == "in_progress"


def test_vitals_are_saved_with_units_and_out_of_range_values_store_nothing(client, auth, clinic):
    entry = walkin(clinic, clinic["patient"])
    auth.login(clinic["nurse"].email)
    page = client.get(f"/nurse/entries/{entry.id}/vitals").get_data(as_text=True)
    assert "mmHg" in page and "°C" in page and "bpm" in page and "30.0–44.0 °C" in page
    bad = client.post(f"/nurse/entries/{entry.id}/vitals", data={"systolic_mmhg": "120", "diastolic_mmhg": "80",
                                                                "temperature_c": "375"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Temperature must be between 30.0 and 44.0" in html
    assert 'id="temperature_c"' in html and 'value="375"' in html  # the typed values stay
    assert db.session.scalar(select(func.count(Vitals.id))) == 0
    empty = client.post(f"/nurse/entries/{entry.id}/vitals", data={})
    assert empty.status_code == 422 and "at least one measurement" in empty.get_data(as_text=True)
    ok = client.post(f"/nurse/entries/{entry.id}/vitals", data={"systolic_mmhg": "128", "diastolic_mmhg": "82",
                                                               "pulse_bpm": "72", "temperature_c": "36,8",
                                                               "spo2_percent": "98"})
    assert ok.status_code == 302
    db.session.rollback()
    vitals = db.session.scalar(select(Vitals))
    assert (vitals.systolic_mmhg, vitals.pulse_bpm, str(vitals.temperature_c)) == (128, 72, "36.8")


# --- the doctor's day ---

def test_doctor_day_calls_takes_notes_completes_and_books_a_follow_up(client, auth, clinic, make):
    past = walkin(clinic, clinic["patient"])
    for status in ("called", "in_progress"):
        queue_service.set_status(None, past, status)
    queue_service.save_notes(None, past, "Earlier visit: palpitations.")
    queue_service.set_status(None, past, "completed")
    db.session.commit()
    entry = walkin(clinic, make.patient(name="Now Nora"))
    queue_service.record_vitals(None, entry, {"pulse_bpm": "64"})
    db.session.commit()
    auth.login(clinic["doctor"].user.email)
    html = client.get("/doctor/day").get_data(as_text=True)
    assert "Nobody is with you right now." in html and "Now Nora" in html
    client.post(f"/doctor/day/{clinic['hospital'].id}/call-next")
    html = client.get("/doctor/day").get_data(as_text=True)
    assert "Current patient" in html and "Now Nora" in html and "64 bpm" in html
    assert "Save and complete" not in html  # started first
    early = client.post(f"/doctor/day/entries/{entry.id}/notes", data={"notes": "x", "complete": "1"},
                        follow_redirects=True)
    assert "alert-danger" in early.get_data(as_text=True) and entries()[1].status == "called"
    client.post(f"/doctor/day/entries/{entry.id}/status", data={"status": "in_progress"})
    client.post(f"/doctor/day/entries/{entry.id}/notes", data={"notes": "BP fine. Review in 2 weeks.", "save": "1"})
    assert entries()[1].status == "in_progress" and entries()[1].encounter.notes == "BP fine. Review in 2 weeks."

    follow = client.get(f"/doctor/day/entries/{entry.id}/follow-up")
    assert follow.status_code == 200 and "Book a follow-up" in follow.get_data(as_text=True)
    slot = queue_service_slot(clinic)
    res = client.post(f"/doctor/day/entries/{entry.id}/follow-up", data={"start": slot.isoformat()})
    assert res.status_code == 302
    encounter = entries()[1].encounter
    follow_up = db.session.get(Appointment, encounter.follow_up_id)
    assert follow_up.start == slot and follow_up.patient_id == entry.patient_id
    taken = client.post(f"/doctor/day/entries/{entry.id}/follow-up", data={"start": slot.isoformat()})
    assert taken.status_code in (409, 422) and "alert-danger" in taken.get_data(as_text=True)

    client.post(f"/doctor/day/entries/{entry.id}/notes", data={"notes": "BP fine.", "complete": "1"})
    assert entries()[1].status == "completed"


def test_doctor_day_shows_past_visits_with_their_notes_and_vitals(client, auth, clinic, make):
    colleague = make.doctor(clinic["hospital"], clinic["cardio"], name="Dr Bea Beat")
    patient = clinic["patient"]
    earlier = queue_service.issue_walkin(None, clinic["hospital"].id, patient, doctor_id=colleague.id)
    queue_service.record_vitals(None, earlier, {"systolic_mmhg": "141", "diastolic_mmhg": "91"})
    for status in ("called", "in_progress"):
        queue_service.set_status(None, earlier, status)
    queue_service.save_notes(None, earlier, "Earlier visit: palpitations.")
    queue_service.set_status(None, earlier, "completed")
    now = walkin(clinic, patient)
    queue_service.set_status(None, now, "called")
    db.session.commit()
    auth.login(clinic["doctor"].user.email)
    html = client.get("/doctor/day").get_data(as_text=True)
    assert "Current patient" in html and "Grace Hopper" in html
    assert "Earlier visit: palpitations." in html and "Dr Bea Beat" in html and "141/91 mmHg" in html
    panel = client.get(f"/doctor/day/{clinic['hospital'].id}/current").get_data(as_text=True)
    assert "Earlier visit: palpitations." in panel and "<html" not in panel


def queue_service_slot(clinic) -> datetime:
    """The first free slot of the doctor next week (naive UTC)."""
    from app.services.availability.query import SlotQuery
    from app.services.availability.search import search_slots

    first = local_today(clinic["hospital"].timezone) + timedelta(days=7)
    found = search_slots(SlotQuery(first_day=first, last_day=first + timedelta(days=2),
                                   doctor_id=clinic["doctor"].id, hospital_id=clinic["hospital"].id))
    return found[0].start


def test_every_board_shows_now_serving_above_the_line(client, auth, clinic, make):
    """The desk, the nurse station and the doctor's list read top down: with the doctor, called, then the waiting."""
    waiting, called, seeing = (walkin(clinic, make.patient(name=name)) for name in ("Wen Waiting", "Cal Called",
                                                                                      "Sue Seeing"))
    queue_service.set_status(None, called, "called")
    for status in ("called", "in_progress"):
        queue_service.set_status(None, seeing, status)
    db.session.commit()
    hospital_id = clinic["hospital"].id
    pages = [(clinic["staff"].email, f"/staff/desk/{hospital_id}/board"),
             (clinic["nurse"].email, f"/nurse/{hospital_id}/board"),
             (clinic["doctor"].user.email, f"/doctor/day/{hospital_id}/list")]
    for email, url in pages:
        auth.login(email)
        html = client.get(url).get_data(as_text=True)
        order = [html.index(f'data-token="{e.label}"') for e in (seeing, called, waiting)]
        assert order == sorted(order), url
        auth.logout()
