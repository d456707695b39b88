"""The fast region search's moving parts, against a real database.

The search keeps the weekly rules of schedules rows and the slots of a day between requests, and reads bookings only
for the time windows it looks at (app.services.availability, app.services.search). None of that may hide a change or
a booking: a new schedule, an exception, a booking earlier in the day (daily limit), a long theatre list that began
the day before.
"""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import AppointmentType, AvailabilityRule, Equipment, Role, Room
from app.services import booking, locations
from app.services.availability import LONGEST_BOOKING, index, resource_for_doctor
from app.services.availability import search as search_module
from app.services.availability.calendars import forget_cached_rules
from app.services.availability.query import SlotQuery
from app.services.availability.schedules import add_exception, remove_exception
from app.services.availability.search import search_slots

# Monday 2 March 2026, 08:00 UTC; London is on UTC+0 until the 29th
NOW = datetime(2026, 3, 2, 8, 0)
TUESDAY = date(2026, 3, 3)


def starts(now: datetime = NOW, first: date = TUESDAY, last: date = TUESDAY, limit: int = 500, **kw) -> list[str]:
    found = search_slots(SlotQuery(first_day=first, last_day=last, limit=limit, **kw), now=now)
    return [f"{r.start:%a %H:%M}" for r in found]


def hours(start: str, end: str, step: int = 15, day: str = "Tue") -> list[str]:
    t, stop, result = datetime.fromisoformat(f"2026-03-03 {start}"), datetime.fromisoformat(f"2026-03-03 {end}"), []
    while t < stop:
        result.append(f"{day} {t:%H:%M}")
        t += timedelta(minutes=step)
    return result


def test_a_new_schedule_is_seen_by_the_next_search(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)  # every day 09:00-12:00, valid from 2020
    assert starts(doctor_id=doctor.id) == hours("09:00", "12:00")
    # the same valid_from: the first row is replaced (deleted), the rules cached for it must not come back
    make.schedule(doctor, hospital, start="14:00", end="15:00", slot_minutes=20)
    assert starts(doctor_id=doctor.id) == hours("14:00", "15:00", 20)
    # from Wednesday on: the row above is closed (its valid_till changes), Tuesday keeps it
    make.schedule(doctor, hospital, valid_from=TUESDAY + timedelta(days=1), start="08:00", end="08:30")
    assert starts(doctor_id=doctor.id, last=TUESDAY + timedelta(days=1)) == [
        *hours("14:00", "15:00", 20), "Wed 08:00", "Wed 08:15"]


def test_a_schedule_id_used_again_does_not_bring_back_the_old_rules(make):
    """SQLite hands out a deleted largest id again (the test fixture empties tables; so may an operator)."""
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    row = make.schedule(doctor, hospital)
    assert starts(doctor_id=doctor.id) == hours("09:00", "12:00")
    db.session.delete(row)
    db.session.commit()
    make.schedule(doctor, hospital, start="10:00", end="10:30")
    assert starts(doctor_id=doctor.id) == hours("10:00", "10:30")


def test_exceptions_are_seen_at_once(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    resource_id = resource_for_doctor(doctor.id).id
    assert starts(doctor_id=doctor.id) == hours("09:00", "12:00")
    leave = add_exception(None, resource_id, hospital.id, datetime(2026, 3, 3, 10), datetime(2026, 3, 3, 11),
                          False, "training")
    db.session.commit()
    assert starts(doctor_id=doctor.id) == [*hours("09:00", "10:00"), *hours("11:00", "12:00")]
    add_exception(None, resource_id, hospital.id, datetime(2026, 3, 3, 13), datetime(2026, 3, 3, 13, 30), True,
                  "extra clinic")
    db.session.commit()
    assert starts(doctor_id=doctor.id) == [*hours("09:00", "10:00"), *hours("11:00", "12:00"), *hours("13:00", "13:30")]
    remove_exception(None, leave)
    db.session.commit()
    assert starts(doctor_id=doctor.id) == [*hours("09:00", "12:00"), *hours("13:00", "13:30")]


def test_the_daily_limit_counts_the_bookings_before_now(make):
    """The search reads bookings from now on, but a daily limit counts the whole day."""
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, daily_limit=3)
    for hh, mm in ((9, 0), (9, 15)):
        booking.book(None, make.patient(), doctor, datetime(2026, 3, 3, hh, mm), now=NOW)
    db.session.commit()
    later = datetime(2026, 3, 3, 9, 40)
    assert starts(now=later, doctor_id=doctor.id) == hours("09:45", "12:00")
    booking.book(None, make.patient(), doctor, datetime(2026, 3, 3, 11), now=later)
    db.session.commit()
    assert starts(now=later, doctor_id=doctor.id, last=TUESDAY + timedelta(days=1), limit=2) == [
        "Wed 09:00", "Wed 09:15"]


def test_a_theatre_list_that_began_the_day_before_blocks_the_surgeon(make):
    hospital = make.hospital()
    surgeon = make.doctor(hospital, make.specialty("Surgery", "SUR"))
    make.schedule(surgeon, hospital)
    theatre = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True)
    db.session.add(theatre)
    db.session.commit()
    assert timedelta(minutes=locations.MAX_MINUTES) < LONGEST_BOOKING  # what load_busy's index range relies on
    # Monday 10:15 to Tuesday 10:15: a 24-hour list holding the surgeon
    locations.book_location(make.user(Role.ADMIN, hospital), theatre, datetime(2026, 3, 2, 10, 15),
                            locations.MAX_MINUTES, doctor=surgeon, emergency=True, now=NOW)
    db.session.commit()
    assert starts(doctor_id=surgeon.id) == hours("10:15", "12:00")


def test_equipment_types_use_the_room_of_the_schedule_in_force_and_its_bookings(make):
    """A type that needs equipment is offered only where the day's schedule puts the doctor in a room that has it,
    and not while that room is booked by someone else. Two schedules may repeat a rule with different rooms."""
    hospital = make.hospital()
    ecg = Equipment(code="ecg", name="ECG")
    with_ecg = Room(hospital_id=hospital.id, name="Consultation 1", kind="consultation", equipment=[ecg])
    plain = Room(hospital_id=hospital.id, name="Consultation 2", kind="consultation")
    db.session.add_all([with_ecg, plain, AppointmentType(hospital_id=hospital.id, code="ecg", name="ECG",
                                                         duration_minutes=30, equipment=[ecg])])
    db.session.commit()
    specialty = make.specialty()
    doctor, colleague = make.doctor(hospital, specialty), make.doctor(hospital, specialty)
    make.schedule(doctor, hospital, start="09:00", end="10:00", room_id=with_ecg.id)
    # from Wednesday the same hours in the room without the ECG: Tuesday keeps its own room
    make.schedule(doctor, hospital, valid_from=TUESDAY + timedelta(days=1), start="09:00", end="10:00",
                  room_id=plain.id)
    ecg_week = dict(doctor_id=doctor.id, appointment_type="ecg", last=TUESDAY + timedelta(days=1))
    assert starts(**ecg_week) == ["Tue 09:00", "Tue 09:15", "Tue 09:30"]
    assert starts(doctor_id=doctor.id, last=TUESDAY + timedelta(days=1))[-1] == "Wed 09:45"  # no type: any room
    # the colleague in the same room: hours saved before the editor refused a shared room, still held by the claims
    shared = make.schedule(colleague, hospital, start="08:00", end="12:00")
    db.session.execute(update(AvailabilityRule).where(AvailabilityRule.schedule_id == shared.id)
                       .values(room_id=with_ecg.id))
    db.session.commit()
    forget_cached_rules()  # rules written past the services, as an operator's SQL would: forget and re-index
    index.rebuild(colleague.id)
    db.session.commit()
    booking.book(None, make.patient(), colleague, datetime(2026, 3, 3, 8, 45), appointment_type="ecg", now=NOW)
    db.session.commit()
    assert starts(**ecg_week) == ["Tue 09:15", "Tue 09:30"]  # the room is taken until 09:15


@pytest.mark.parametrize("window_factor", [1, search_module.WINDOW_FACTOR])
def test_a_smaller_limit_gives_the_start_of_a_larger_search(make, monkeypatch, window_factor):
    """The search stops after the first time windows that hold enough free slots; a small limit reads far fewer
    windows than a large one, and must still give exactly the earliest slots, each once (whatever the window)."""
    monkeypatch.setattr(search_module, "WINDOW_FACTOR", window_factor)
    specialty = make.specialty()
    london = make.hospital()
    berlin = make.hospital(city="Berlin", country="DE", timezone="Europe/Berlin", lat=52.52, lon=13.4)
    for hospital in (london, berlin):  # longer than a slot: the core looks past the window's end
        db.session.add(AppointmentType(hospital_id=hospital.id, code="double", name="Double", duration_minutes=30))
    doctors = []
    hours_of = ((london, "09:00", "12:00", 15), (london, "08:30", "10:00", 10), (berlin, "09:00", "11:00", 20),
                (berlin, "10:00", "16:00", 30))
    for i, (hospital, start, end, minutes) in enumerate(hours_of):
        doctor = make.doctor(hospital, specialty)
        make.schedule(doctor, hospital, weekdays=range(5), start=start, end=end, slot_minutes=minutes,
                      urgent_share=0.25 if i == 3 else 0.0)
        doctors.append(doctor)
    taken = [(0, datetime(2026, 3, 3, 9)), (0, datetime(2026, 3, 3, 9, 45)), (1, datetime(2026, 3, 3, 8, 30)),
             (1, datetime(2026, 3, 3, 9, 10)), (2, datetime(2026, 3, 3, 8)), (2, datetime(2026, 3, 3, 8, 40)),
             (3, datetime(2026, 3, 3, 9))]
    # Tuesday mostly booked, so that a window often holds too few free slots and the search goes on to the next
    taken += [(0, datetime(2026, 3, 3, 10) + timedelta(minutes=15 * n)) for n in range(8) if n % 3]
    taken += [(3, datetime(2026, 3, 3, 10) + timedelta(minutes=30 * n)) for n in range(10) if n % 3]
    for i, start in taken:
        booking.book(None, make.patient(), doctors[i], start, now=NOW, urgency="urgent")
    db.session.commit()

    def search(limit: int, **kw) -> list[tuple[int, datetime, datetime]]:
        query = SlotQuery(first_day=TUESDAY, last_day=TUESDAY + timedelta(days=4), specialty_id=specialty.id,
                          limit=limit, **kw)
        return [(r.doctor_id, r.start, r.end) for r in search_slots(query, now=datetime(2026, 3, 3, 8, 50))]

    for kw in ({}, {"urgency": "urgent"}, {"appointment_type": "double"}):
        everything = search(500, **kw)
        assert len(everything) > 40 and len(set(everything)) == len(everything)
        assert [start for _, start, _ in everything] == sorted(start for _, start, _ in everything)
        for limit in (1, 2, 5, 13, 40):
            assert search(limit, **kw) == everything[:limit], (kw, limit)


def test_the_api_sees_a_schedule_put_and_an_exception_at_once(client, runner, make):
    hospital = make.hospital(timezone="UTC")
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    token = runner.invoke(args=["users", "token", "--email", doctor.user.email]).output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    url = f"/api/v1/slots?doctor={doctor.id}&from={monday}&to={monday}"

    def api_starts() -> list[str]:
        return [s["start"][11:16] for s in client.get(url).get_json()["slots"]]

    assert api_starts()[:2] == ["09:00", "09:15"]
    res = client.put(f"/api/v1/doctors/{doctor.id}/schedule", headers=headers, json={
        "rules": [{"weekday": 0, "start": "14:00", "end": "15:00", "slot_minutes": 20}],
        "valid_from": str(date.today())})
    assert res.status_code == 200
    assert api_starts() == ["14:00", "14:20", "14:40"]
    res = client.post(f"/api/v1/doctors/{doctor.id}/exceptions", headers=headers, json={
        "start": f"{monday}T14:00:00+00:00", "end": f"{monday}T14:30:00+00:00", "available": False,
        "reason": "training"})
    assert res.status_code == 201
    assert api_starts() == ["14:40"]
