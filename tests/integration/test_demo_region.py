"""The region seeder at a toy scale: counts, the booked share, and rows exactly as real bookings write them."""
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.demo import DEMO_PASSWORD
from app.demo.region import seed_region
from app.extensions import db
from app.models import (
    Appointment,
    AvailabilityRule,
    Claim,
    DayCounter,
    Doctor,
    Hospital,
    Patient,
    SchedulableResource,
    Schedule,
    Specialty,
    User,
)
from app.models.base import utcnow
from app.services import booking
from app.services.accounts.passwords import verify_password
from app.services.availability.query import SlotQuery
from app.services.availability.search import search_slots
from tests.conftest import _empty_tables
from tests.integration.demo_checks import doctors_sharing_a_room, rooms_in_use

SCALE = dict(hospitals=3, doctors=12, days=7, patients=50)


def _seed(seed: int = 5):
    return seed_region(seed, **SCALE, echo=None)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _bookings() -> list[tuple]:
    return db.session.execute(select(Appointment.doctor_id, Appointment.start, Appointment.patient_id)
                              .order_by(Appointment.doctor_id, Appointment.start)).all()


def _slots_offered() -> int:
    """The slots of the seeded days, counted from the stored weekly rules (15-minute slots, no exceptions)."""
    today = utcnow().date()
    days = [today + timedelta(days=n) for n in range(SCALE["days"])]
    total = 0
    for rule in db.session.scalars(select(AvailabilityRule)):
        minutes = (datetime.combine(today, rule.end) - datetime.combine(today, rule.start)) // timedelta(minutes=1)
        total += sum(1 for day in days if day.weekday() == rule.weekday) * (minutes // rule.slot_minutes)
    return total


def test_region_seed_counts_share_and_logins(app):
    logins = _seed()
    assert _count(Hospital) == 3 and _count(Doctor) == 12 and _count(Patient) == 50 and _count(Specialty) == 10
    assert _count(User) == 12 + 50 + 3  # doctors, patients, nurse, staff, admin
    assert {h.timezone for h in db.session.scalars(select(Hospital))} <= {"Europe/London", "Europe/Berlin"}
    assert all(" General Hospital " in h.name for h in db.session.scalars(select(Hospital)))
    # one schedule per doctor and hospital, each a weekday morning and afternoon
    schedules = db.session.scalars(select(Schedule)).all()
    assert len(schedules) == sum(len(d.hospitals) for d in db.session.scalars(select(Doctor)))
    assert all(len({r.weekday for r in s.rules}) * 2 == len(s.rules) for s in schedules)
    assert set(logins) == {"patient", "doctor", "nurse", "staff", "admin"}
    assert doctors_sharing_a_room() == [] and rooms_in_use() == len(schedules)  # a room each, at each hospital
    for email, password in logins.values():
        user = db.session.scalar(select(User).where(User.email == email))
        assert password == DEMO_PASSWORD and verify_password(user, password)
    share = _count(Appointment) / _slots_offered()
    assert 0.5 <= share <= 0.7, share


def test_region_seed_writes_what_a_booking_writes(app):
    _seed()
    resource_of = dict(db.session.execute(select(SchedulableResource.doctor_id, SchedulableResource.id)).all())
    zone_of = {h.id: ZoneInfo(h.timezone) for h in db.session.scalars(select(Hospital))}
    claims = defaultdict(list)
    for resource_id, cell, seat, appointment_id in db.session.execute(
            select(Claim.resource_id, Claim.cell_start, Claim.seat, Claim.appointment_id)):
        claims[appointment_id].append((resource_id, cell, seat))
    expected_days: Counter = Counter()
    patient_times = set()
    appointments = db.session.scalars(select(Appointment)).all()
    assert appointments
    for a in appointments:
        tz = zone_of[a.hospital_id]
        local = core.to_local(a.start, tz)
        assert a.status == "scheduled" and a.kind == "slots" and a.end - a.start == timedelta(minutes=15)
        assert local.weekday() < 5 and (9 <= local.hour < 12 or 13 <= local.hour < 17) and local.minute % 15 == 0
        assert a.start == core.to_utc(local.date(), local.time().replace(tzinfo=None), tz)
        resource_id = resource_of[a.doctor_id]
        assert sorted(claims[a.id]) == [(resource_id, cell, 0) for cell in core.cells(a.start, a.end)]
        expected_days[(resource_id, local.date())] += 1
        assert (a.patient_id, a.start) not in patient_times, "a patient booked twice at once"
        patient_times.add((a.patient_id, a.start))
    assert _count(Claim) == 3 * len(appointments)
    held_twice = (select(Claim.resource_id, Claim.cell_start, Claim.seat)
                  .group_by(Claim.resource_id, Claim.cell_start, Claim.seat).having(func.count() > 1).subquery())
    assert db.session.scalar(select(func.count()).select_from(held_twice)) == 0
    counters = {(c.resource_id, c.day): c.count for c in db.session.scalars(select(DayCounter))}
    assert counters == dict(expected_days)


def _start_over() -> None:
    db.session.rollback()  # end this session's snapshot first: MariaDB reads are REPEATABLE READ
    _empty_tables()


def test_region_seed_is_deterministic(app):
    _seed(5)
    first = _bookings()
    _start_over()
    _seed(5)
    assert _bookings() == first
    _start_over()
    _seed(6)
    assert _bookings() != first


def test_booking_service_sees_the_seeded_region(app):
    """A seeded booking holds its slot; a slot the search offers can still be booked, counted on the same day row."""
    _seed()
    now = utcnow()
    taken = db.session.scalar(select(Appointment).where(Appointment.start > now + timedelta(hours=2),
                                                        Appointment.urgency == "routine")
                              .order_by(Appointment.start).limit(1))
    assert taken is not None, "a seeded week at 60 % always holds future routine bookings"
    # another patient, free at that time: the slot itself must be what refuses them
    at_that_time = select(Appointment.patient_id).where(Appointment.patient_id.is_not(None),
                                                        Appointment.start < taken.end, Appointment.end > taken.start)
    patient = db.session.scalar(select(Patient).where(Patient.id.not_in(at_that_time)).limit(1))
    with pytest.raises(core.SlotTaken):
        booking.book(None, patient, db.session.get(Doctor, taken.doctor_id), taken.start, now=now)
    db.session.rollback()
    today = now.date()
    free = search_slots(SlotQuery(first_day=today, last_day=today + timedelta(days=6), doctor_id=taken.doctor_id,
                                  limit=1), now=now)
    assert free, "the seeded week leaves free slots"
    slot = free[0]
    resource_id = db.session.scalar(select(SchedulableResource.id).where(
        SchedulableResource.doctor_id == slot.doctor_id))
    before = db.session.get(DayCounter, (resource_id, slot.local_date))
    before_count = before.count if before else 0
    # a patient with nothing booked near that time (a booked visit may run past the slot's own end)
    busy = select(Appointment.patient_id).where(Appointment.patient_id.is_not(None),
                                                Appointment.start < slot.start + timedelta(hours=4),
                                                Appointment.end > slot.start - timedelta(hours=4))
    patient = db.session.scalar(select(Patient).where(Patient.id.not_in(busy)).limit(1))
    appointment = booking.book(None, patient, db.session.get(Doctor, slot.doctor_id), slot.start, now=now)
    db.session.commit()
    assert appointment.start == slot.start
    db.session.expire_all()
    assert db.session.get(DayCounter, (resource_id, slot.local_date)).count == before_count + 1
