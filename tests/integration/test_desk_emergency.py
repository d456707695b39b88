"""An emergency at the desk (issue #16, part 4) on the real database: the optimiser places it on today's slots,
a free one first, else over the least urgent booking, whose patient is sent a new time (nothing moves until they
accept); two desks placing emergencies over the same slot: one wins, the other is told the proposal is stale."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Hospital, Offer, OutboxMessage, Patient, Role
from app.scheduling.timeutil import to_utc
from app.services import booking
from app.services.waitlist import emergency
from app.transaction import transaction
from tests.integration.racing import race

LONDON = ZoneInfo("Europe/London")
DAY = datetime.now(LONDON).date() + timedelta(days=3)  # "today" for the desk: the clock is passed in
NOW = to_utc(DAY, time(8), LONDON)


def _at(hour: int, minute: int = 0) -> datetime:
    return to_utc(DAY, time(hour, minute), LONDON)


@pytest.fixture
def clinic(make):
    """Two cardiologists at one hospital, 09:00-10:00 every day (four 15-minute slots), and a desk clerk."""
    hospital = make.hospital()
    specialty = make.specialty()
    first, second = make.doctor(hospital, specialty, name="Dr First"), make.doctor(hospital, specialty,
                                                                                   name="Dr Second")
    for doctor in (first, second):
        make.schedule(doctor, hospital, end="10:00")
    desk = make.user(Role.STAFF, hospital, email="desk@er.example")
    return hospital, specialty, first, second, desk


def _book_all(make, doctors, urgent: set[tuple[int, datetime]] = frozenset()) -> dict:
    booked = {}
    for doctor in doctors:
        for minute in (0, 15, 30, 45):
            start = _at(9, minute)
            patient = make.patient()
            booked[(doctor.id, start)] = booking.book(
                None, patient, doctor, start, now=NOW,
                urgency="urgent" if (doctor.id, start) in urgent else "routine")
    db.session.commit()
    return booked


def test_a_free_slot_takes_the_emergency_and_displaces_nobody(make, clinic):
    hospital, specialty, first, second, desk = clinic
    booking.book(None, make.patient(), first, _at(9), now=NOW)
    db.session.commit()
    patient = make.patient()
    proposal = emergency.propose(hospital, patient, specialty_id=specialty.id, now=NOW)
    assert proposal.seat is not None and proposal.seat.displaced == ()
    assert proposal.seat.start == _at(9) and proposal.seat.doctor.id == second.id  # the earliest free slot
    with transaction():
        placed = emergency.apply(desk.id, hospital, patient, proposal.token, reason="chest pain", now=NOW)
    appointment = db.session.get(Appointment, placed.appointment.id)
    assert appointment.emergency and appointment.urgency == "urgent" and placed.displaced == []


def test_a_full_day_displaces_one_routine_booking_whose_patient_is_sent_a_new_time(make, clinic):
    hospital, specialty, first, second, desk = clinic
    urgent = {(first.id, _at(9)), (second.id, _at(9))}
    booked = _book_all(make, (first, second), urgent)
    patient = make.patient()
    proposal = emergency.propose(hospital, patient, specialty_id=specialty.id, now=NOW)
    seat = proposal.seat
    assert seat is not None and len(seat.displaced) == 1
    (gone,) = seat.displaced
    assert gone.urgency == "routine" and seat.start == _at(9, 15)  # the earliest routine booking, not an urgent one
    assert [m.appointment.id for m in proposal.moves] == [gone.id] and proposal.moves[0].start > NOW
    with transaction():
        placed = emergency.apply(desk.id, hospital, patient, proposal.token, now=NOW)
    displaced = db.session.get(Appointment, gone.id)
    assert displaced.status == "scheduled"  # nothing moves before the patient answers
    offer = db.session.scalar(select(Offer).where(Offer.id == placed.offers[0].id))
    assert offer.status == "open" and offer.entry.current_appointment_id == gone.id
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "emergency_offer")) is not None
    assert booking.policy.doctor_time_withdrawn(displaced)  # accepting the new time releases it
    assert db.session.get(Appointment, placed.appointment.id).emergency
    others = [a for key, a in booked.items() if a.id != gone.id]
    assert all(db.session.get(Appointment, a.id).status == "scheduled" for a in others)


def test_no_slot_left_today_is_a_clear_answer(make, clinic):
    hospital, specialty, first, second, desk = clinic
    late = to_utc(DAY, time(11), LONDON)
    proposal = emergency.propose(hospital, make.patient(), specialty_id=specialty.id, now=late)
    assert proposal.seat is None and proposal.token == ""
    assert proposal.result.unplaced[0].reason == "no_capacity"


def test_a_forged_or_another_patients_proposal_is_refused(make, clinic):
    hospital, specialty, first, second, desk = clinic
    patient, other = make.patient(), make.patient()
    proposal = emergency.propose(hospital, patient, specialty_id=specialty.id, now=NOW)
    with pytest.raises(LookupError):
        emergency.apply(desk.id, hospital, other, proposal.token, now=NOW)
    with pytest.raises(LookupError):
        emergency.apply(desk.id, hospital, patient, proposal.token + "x", now=NOW)


def test_two_desks_placing_emergencies_over_the_same_slot_one_wins(app, make, clinic):
    hospital, specialty, first, second, desk = clinic
    _book_all(make, (first, second))
    patients = [make.patient(), make.patient()]
    proposals = [emergency.propose(hospital, p, specialty_id=specialty.id, now=NOW) for p in patients]
    assert proposals[0].seat.start == proposals[1].seat.start
    assert proposals[0].seat.doctor.id == proposals[1].seat.doctor.id
    ids = [(p.id, t.token) for p, t in zip(patients, proposals, strict=True)]
    hospital_id, desk_id = hospital.id, desk.id
    db.session.commit()  # the racers read on their own connections; nothing of this session is touched there

    def place(i: int):
        patient_id, token = ids[i]
        return emergency.apply(desk_id, db.session.get(Hospital, hospital_id), db.session.get(Patient, patient_id),
                               token, now=NOW).appointment.id

    results, errors = race(app, place, 2)
    assert errors == []
    assert sorted(type(r).__name__ for r in results) == ["ProposalStale", "int"]
    assert isinstance(next(r for r in results if not isinstance(r, int)), core.ProposalStale)
    db.session.expire_all()
    emergencies = db.session.scalars(select(Appointment).where(Appointment.emergency.is_(True))).all()
    assert len(emergencies) == 1
    assert len(db.session.scalars(select(Offer)).all()) == 1  # only the winner's displaced patient was asked


def test_the_desk_page_proposes_places_and_shows_who_was_displaced(client, auth, make, clinic, monkeypatch):
    hospital, specialty, first, second, desk = clinic
    monkeypatch.setattr(emergency, "utcnow", lambda: NOW)  # the desk's "today" is DAY
    _book_all(make, (first, second))
    patient = make.patient(name="Erin Emergency")
    booking.book(None, patient, first, _at(9) + timedelta(days=1), now=NOW)  # known here: the desk may see her
    db.session.commit()
    auth.login(desk.email)
    url = f"/optimise/emergency?hospital={hospital.id}&patient={patient.id}"
    assert client.get(url).status_code == 200
    page = client.get(url + f"&specialty={specialty.id}").get_data(as_text=True)
    assert 'id="emergency-proposal"' in page and "data-displaced" in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    res = client.post("/optimise/emergency/apply", data={"hospital": hospital.id, "patient": patient.id,
                                                         "token": token, "reason": "collapsed"})
    assert res.status_code == 200
    done = res.get_data(as_text=True)
    assert 'id="emergency-placed"' in done and "Erin Emergency" in done and "data-offers" in done
    again = client.post("/optimise/emergency/apply", data={"hospital": hospital.id, "patient": patient.id,
                                                           "token": token})
    assert again.status_code == 303  # the same proposal twice: stale, told on the page


def test_another_hospitals_desk_sees_no_such_emergency(client, auth, make, clinic):
    hospital, specialty, first, second, desk = clinic
    other_desk = make.user(Role.STAFF, make.hospital(), email="desk@elsewhere.example")
    patient = make.patient()
    auth.login(other_desk.email)
    assert client.get(f"/optimise/emergency?hospital={hospital.id}&patient={patient.id}").status_code == 404
    auth.logout()
    auth.login(patient.user.email)
    assert client.get(f"/optimise/emergency?hospital={hospital.id}&patient={patient.id}").status_code in (403, 404)


def test_the_rest_api_proposes_and_places_and_a_replay_is_409(client, runner, make, clinic, monkeypatch):
    from tests.integration.test_api import token_for

    hospital, specialty, first, second, desk = clinic
    monkeypatch.setattr(emergency, "utcnow", lambda: NOW)
    _book_all(make, (first, second), {(first.id, _at(9)), (second.id, _at(9))})
    patient = make.patient()
    booking.book(None, patient, first, _at(9) + timedelta(days=1), now=NOW)
    db.session.commit()
    headers = token_for(runner, desk.email)
    body = {"hospital_id": hospital.id, "patient_id": patient.id, "specialty_id": specialty.id}
    res = client.post("/api/v1/emergencies/proposals", json=body, headers=headers)
    assert res.status_code == 200, res.get_json()
    proposal = res.get_json()
    assert proposal["seat"]["displaced"][0]["urgency"] == "routine" and len(proposal["seat"]["displaced"]) == 1
    assert [n["appointment_id"] for n in proposal["new_times"]] == \
        [proposal["seat"]["displaced"][0]["appointment_id"]]
    place = {"hospital_id": hospital.id, "patient_id": patient.id, "token": proposal["token"]}
    res = client.post("/api/v1/emergencies", json=place, headers=headers)
    assert res.status_code == 201, res.get_json()
    placed = res.get_json()
    assert placed["start"] == proposal["seat"]["start"] and len(placed["offers"]) == 1
    again = client.post("/api/v1/emergencies", json=place, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"] == "proposal_stale"
    forged = client.post("/api/v1/emergencies", json={**place, "token": "x" + proposal["token"]}, headers=headers)
    assert forged.status_code == 404
    both = client.post("/api/v1/emergencies/proposals", json={**body, "doctor_id": first.id}, headers=headers)
    assert both.status_code == 422


def test_the_rest_api_hides_other_hospitals_and_refuses_patients(client, runner, make, clinic):
    from tests.integration.test_api import token_for

    hospital, specialty, first, second, desk = clinic
    patient = make.patient()
    body = {"hospital_id": hospital.id, "patient_id": patient.id, "specialty_id": specialty.id}
    other = make.user(Role.STAFF, make.hospital(), email="desk@other.example")
    assert client.post("/api/v1/emergencies/proposals", json=body,
                       headers=token_for(runner, other.email)).status_code == 404
    assert client.post("/api/v1/emergencies/proposals", json=body,
                       headers=token_for(runner, patient.user.email)).status_code == 404
    assert client.post("/api/v1/emergencies/proposals", json=body).status_code == 401
