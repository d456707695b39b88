"""cosmicpython's proof: N writers race for one slot on the real database and exactly one wins."""
from datetime import datetime

from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Claim, Doctor, Patient
from app.services import booking
from tests.integration.racing import double_booked_cells, race

NOW = datetime(2026, 3, 2, 8, 0)
RACERS = 8


def _outcome(result: object) -> str:
    if isinstance(result, core.SlotTaken):
        return "taken"
    return repr(result) if isinstance(result, Exception) else "won"


def test_exactly_one_of_many_racers_wins(app, make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    patients = [make.patient().id for _ in range(RACERS)]
    doctor_id = doctor.id  # read here: touching an expired row in a thread would use this thread's connection

    def book(i: int):
        doc, pat = db.session.get(Doctor, doctor_id), db.session.get(Patient, patients[i])
        return booking.book(None, pat, doc, datetime(2026, 3, 3, 9), now=NOW)

    results, errors = race(app, book, RACERS, timeout=30)
    assert errors == []
    assert sorted(_outcome(r) for r in results) == ["taken"] * (RACERS - 1) + ["won"]
    db.session.rollback()  # end this session's snapshot: MariaDB reads are REPEATABLE READ
    assert db.session.scalar(select(func.count(Appointment.id))) == 1
    assert db.session.scalar(select(func.count(Claim.id))) == 3


def test_overlapping_bookings_of_different_lengths(app, make):
    from app.models import AppointmentType

    hospital = make.hospital()
    db.session.add(AppointmentType(hospital_id=hospital.id, code="long", name="Long", duration_minutes=45))
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    db.session.commit()
    doctor_id = doctor.id  # read here: touching an expired row in a thread would use this thread's connection
    patients = [make.patient().id for _ in range(RACERS)]

    def book(i: int):
        doc, pat = db.session.get(Doctor, doctor_id), db.session.get(Patient, patients[i])
        start = datetime(2026, 3, 3, 9, 15 * (i % 3))
        booking.book(None, pat, doc, start, appointment_type="long" if i % 2 else None, now=NOW)
        return start

    outcomes, errors = race(app, book, RACERS, timeout=30)
    results = [r for r in outcomes if isinstance(r, datetime)]  # the others lost with a SchedulingError
    assert errors == []
    assert results, "at least one booking must succeed"
    db.session.rollback()
    assert double_booked_cells() == 0
    rows = db.session.execute(select(Appointment.start, Appointment.end).order_by(Appointment.start)).all()
    for (_s1, e1), (s2, _e2) in zip(rows, rows[1:], strict=False):
        assert e1 <= s2, "two active appointments overlap"
