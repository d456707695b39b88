"""The index upkeep reads the bookings it computes from with locking reads (docs/availability-index.md,
"Concurrency"): a booking that committed after this transaction's snapshot, in the doctor's own calendar or in a
room the doctor's session uses, is still in the day the upkeep writes. On MariaDB (REPEATABLE READ) a plain read
would see the snapshot and write the day without it; SQLite has one writer and no such snapshot, and must agree.
"""
import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, IndexedSlot, Role, Room
from app.models.base import utcnow
from app.services import booking, locations
from app.services.availability import resource_for_room
from app.transaction import transaction

LONDON = ZoneInfo("Europe/London")


def _day_at(days: int, hour: int, minute: int = 0) -> datetime:
    day = core.local_day(utcnow(), LONDON) + timedelta(days=days)
    return core.to_utc(day, time(hour, minute), LONDON)


def _indexed_starts(doctor_id: int) -> set[datetime]:
    return set(db.session.scalars(select(IndexedSlot.start).where(IndexedSlot.doctor_id == doctor_id,
                                                                  IndexedSlot.variant == "")))


def _in_another_transaction(app, work) -> None:
    """Run work() in its own thread, app context, session and transaction, committed before this returns."""
    failed: list[BaseException] = []

    def run():
        with app.app_context():
            try:
                with transaction():
                    work()
            except BaseException as err:  # noqa: BLE001  (reported in the test's thread)
                failed.append(err)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and failed == []


def test_the_upkeep_sees_a_room_taken_after_its_snapshot(app, make):
    hospital = make.hospital()
    room = make.room(hospital)
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, room_id=room.id, horizon_days=5)
    manager = make.user(Role.ADMIN, hospital)
    resource_for_room(room.id)  # the room's resource exists before: its first claim would race to create it
    db.session.commit()
    patient = make.patient()
    taken = _day_at(1, 10)
    ids = {"room": room.id, "manager": manager.id}
    assert taken in _indexed_starts(doctor.id)

    with transaction():
        db.session.scalar(select(Appointment.id).limit(1))  # this transaction's snapshot starts here

        def take_the_room():  # an emergency in the room: the doctor's 10:00 is gone, and the other index says so
            from app.models import User
            locations.book_location(db.session.get(User, ids["manager"]), db.session.get(Room, ids["room"]),
                                    taken, 30, emergency=True)
        _in_another_transaction(app, take_the_room)
        # a booking of the same day: its upkeep writes the doctor's whole day again
        booking.book(None, patient, doctor, _day_at(1, 11))
    db.session.rollback()
    starts = _indexed_starts(doctor.id)
    assert taken not in starts and taken + timedelta(minutes=15) not in starts
    assert _day_at(1, 9) in starts


def test_the_upkeep_sees_a_booking_of_the_doctor_after_its_snapshot(app, make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, horizon_days=5)
    first, second = make.patient(), make.patient()
    taken = _day_at(1, 10)
    ids = {"doctor": doctor.id, "patient": first.id}

    with transaction():
        db.session.scalar(select(Appointment.id).limit(1))

        def book_ten():
            from app.models import Doctor, Patient
            booking.book(None, db.session.get(Patient, ids["patient"]), db.session.get(Doctor, ids["doctor"]), taken)
        _in_another_transaction(app, book_ten)
        booking.book(None, second, doctor, _day_at(1, 11))
    db.session.rollback()
    starts = _indexed_starts(doctor.id)
    assert taken not in starts and _day_at(1, 11) not in starts
    assert _day_at(1, 9) in starts
