"""The queue rule on the real database (docs/queue.md): a booked patient who has arrived keeps their slot time,
walk-ins fill the gaps, and a visit ending on time moves nobody's estimate by more than one consultation."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Role
from app.services import booking
from app.services import queue as queue_service

# Monday 2 March 2026 in London (GMT, so UTC = local): the clinic opens at 09:00 with 15-minute slots
DAY = date(2026, 3, 2)


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 3, 2, hours, minutes)


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    return {"hospital": hospital, "doctor": doctor, "staff": make.user(Role.STAFF, hospital)}


def walkin(clinic, patient, when: str, priority="normal"):
    return queue_service.issue_walkin(clinic["staff"].id, clinic["hospital"].id, patient,
                                      doctor_id=clinic["doctor"].id, priority=priority, now=at(when))


def book(clinic, patient, when: str):
    appointment = booking.book(None, patient, clinic["doctor"], at(when), now=at("08:00") - timedelta(days=1))
    db.session.commit()
    return appointment


def waiting(clinic, when: str) -> list[tuple[str, int, int]]:
    rows = queue_service.queue_for(clinic["hospital"].id, clinic["doctor"].id, DAY, now=at(when))
    return [(r.entry.label, r.position, r.estimated_wait_minutes) for r in rows if r.position is not None]


def test_a_booked_patient_keeps_their_place_as_walkins_keep_coming(clinic, make):
    appointment = book(clinic, make.patient(), "09:30")
    booked = queue_service.check_in(clinic["staff"].id, appointment, now=at("08:24"))
    for minute in range(25, 60, 5):  # seven walk-ins from 08:25 to 08:55, all after the booked patient
        walkin(clinic, make.patient(), f"08:{minute}")
    db.session.commit()
    line = waiting(clinic, "08:56")
    # the doctor starts at 08:56: two walk-ins are done by 09:26, a third would run to 09:41, past the slot
    place = [label for label, _, _ in line].index(booked.label)
    assert place == 2 and line[place][2] == 30  # 08:56 + 2 x 15: seen at 09:26, before the 09:30 slot
    late = walkin(clinic, make.patient(), "09:00")
    db.session.commit()
    again = waiting(clinic, "09:00")
    assert [label for label, _, _ in again].index(booked.label) == 2  # a later walk-in does not pass
    assert again[-1][0] == late.label
    assert again[2][2] == 30  # 09:30: seen at the slot time


def test_a_visit_ending_on_time_moves_the_estimates_by_at_most_one_consultation(clinic, make):
    appointment = book(clinic, make.patient(), "09:45")
    booked = queue_service.check_in(clinic["staff"].id, appointment, now=at("08:30"))
    first = walkin(clinic, make.patient(), "08:40")
    others = [walkin(clinic, make.patient(), f"08:{minute}") for minute in (41, 42, 43, 44)]
    db.session.commit()
    queue_service.set_status(clinic["staff"].id, first, "called", now=at("09:00"))
    queue_service.set_status(clinic["staff"].id, first, "in_progress", now=at("09:00"))
    db.session.commit()
    before = {label: wait for label, _, wait in waiting(clinic, "09:05")}
    queue_service.set_status(clinic["staff"].id, first, "completed", now=at("09:15"))  # the 15 minutes of a slot
    db.session.commit()
    after = {label: wait for label, _, wait in waiting(clinic, "09:15")}
    assert before.keys() == after.keys() == {booked.label, *(e.label for e in others)}
    assert all(abs(after[label] - before[label]) <= 15 for label in before)
    assert after[booked.label] == 30  # 09:15, 09:30 two walk-ins, then the booked patient at 09:45
    assert [label for label, _, _ in waiting(clinic, "09:15")] == [others[0].label, others[1].label, booked.label,
                                                                    others[2].label, others[3].label]


def test_a_first_long_visit_does_not_double_the_estimates(clinic, make):
    first = walkin(clinic, make.patient(), "09:00")
    rest = [walkin(clinic, make.patient(), f"09:0{minute}") for minute in range(1, 8)]
    db.session.commit()
    assert waiting(clinic, "09:00")[-1][2] == 7 * 15
    queue_service.set_status(None, first, "called", now=at("09:00"))
    queue_service.set_status(None, first, "in_progress", now=at("09:00"))
    queue_service.set_status(None, first, "completed", now=at("09:35"))  # 35 minutes against a 15-minute slot
    db.session.commit()
    assert waiting(clinic, "09:35")[-1] == (rest[-1].label, 7, 6 * 18)  # the pace 18 (15 + (30 - 15) / 5)


def test_an_urgent_walkin_goes_before_a_booked_patient_whose_slot_has_come(clinic, make):
    appointment = book(clinic, make.patient(), "09:00")
    booked = queue_service.check_in(None, appointment, now=at("08:50"))
    normal = walkin(clinic, make.patient(), "08:40")
    urgent = walkin(clinic, make.patient(), "08:55", "urgent")
    db.session.commit()
    assert [label for label, _, _ in waiting(clinic, "09:00")] == [urgent.label, booked.label, normal.label]
