"""cosmicpython's proof: N writers race for one slot on the real database and exactly one wins."""
import threading
from datetime import datetime

from sqlalchemy import func, select, text

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Claim, Doctor, Patient
from app.services import booking

NOW = datetime(2026, 3, 2, 8, 0)
RACERS = 8


def _race(app, doctor_id: int, patient_ids: list[int], starts: list[datetime]) -> list[str]:
    barrier = threading.Barrier(len(patient_ids))
    outcomes: list[str] = []

    def racer(patient_id: int, start: datetime):
        with app.app_context():  # its own session and connection
            try:
                doctor = db.session.get(Doctor, doctor_id)
                patient = db.session.get(Patient, patient_id)
                barrier.wait(timeout=30)
                booking.book(None, patient, doctor, start, now=NOW)
                db.session.commit()
                outcomes.append("won")
            except core.SlotTaken:
                db.session.rollback()
                outcomes.append("taken")
            except Exception as err:  # a defect: report it rather than leave the others at the barrier
                outcomes.append(repr(err))
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=racer, args=(p, s)) for p, s in zip(patient_ids, starts, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _double_booked_cells() -> int:
    return db.session.execute(text(
        "SELECT COUNT(*) FROM (SELECT resource_id, cell_start, seat FROM claims "
        "GROUP BY resource_id, cell_start, seat HAVING COUNT(*) > 1) AS d")).scalar()


def test_exactly_one_of_many_racers_wins(app, make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    patients = [make.patient().id for _ in range(RACERS)]
    outcomes = _race(app, doctor.id, patients, [datetime(2026, 3, 3, 9)] * RACERS)
    assert sorted(outcomes) == ["taken"] * (RACERS - 1) + ["won"]
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
    barrier = threading.Barrier(RACERS)
    results = []

    errors = []

    def racer(i: int):
        with app.app_context():
            try:
                doc, pat = db.session.get(Doctor, doctor_id), db.session.get(Patient, patients[i])
                start = datetime(2026, 3, 3, 9, 15 * (i % 3))
                barrier.wait(timeout=30)
                booking.book(None, pat, doc, start, appointment_type="long" if i % 2 else None, now=NOW)
                db.session.commit()
                results.append(start)
            except core.SchedulingError:
                db.session.rollback()
            except Exception as err:  # anything else is a defect: report it instead of hanging the barrier
                errors.append(repr(err))
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results, "at least one booking must succeed"
    db.session.rollback()
    assert _double_booked_cells() == 0
    rows = db.session.execute(select(Appointment.start, Appointment.end).order_by(Appointment.start)).all()
    for (_s1, e1), (s2, _e2) in zip(rows, rows[1:], strict=False):
        assert e1 <= s2, "two active appointments overlap"
