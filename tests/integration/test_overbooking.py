"""Extra bookings in full sessions (docs/overbooking.md): the rule from the database, the seats, the race."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Claim, Doctor, Patient
from app.services import booking, overbooking
from tests.integration.racing import double_booked_cells, race

NOW = datetime(2026, 3, 2, 8, 0)
DAY = datetime(2026, 3, 3)
STARTS = [DAY.replace(hour=9, minute=15 * i) for i in range(4)]  # 09:00-10:00 London = UTC in March
RACERS = 20


def _full_session(make, risks=(0.5, 0.4, 0.05, 0.3)):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    db.session.add(AppointmentType(hospital_id=hospital.id, code="check", name="Check", duration_minutes=15))
    make.schedule(doctor, hospital, end="10:00")
    risk = {}
    for start, p in zip(STARTS, risks, strict=True):
        risk[booking.book(None, make.patient(), doctor, start, now=NOW).id] = p
    db.session.commit()
    return doctor, risk


def test_an_extra_only_where_the_rule_allows(app, make):
    doctor, risk = _full_session(make)
    patient = make.patient()
    risk_of = lambda a: risk.get(a.id, 0.5)  # noqa: E731

    def extra(start, p=0.3):
        return booking.book_extra(None, patient, doctor, start, probability=p, now=NOW, risk_of=risk_of)

    with pytest.raises(core.OverbookRefused) as off:
        extra(STARTS[0])
    assert off.value.reason == "off"  # no rule anywhere: off
    overbooking.put_rule(None, None, None, max_extra=2, alpha=1.0, low_risk=0.1)
    overbooking.put_rule(None, doctor.id, None, max_extra=0, alpha=0.0, low_risk=0.1)
    with pytest.raises(core.OverbookRefused):
        extra(STARTS[0])  # the doctor's own rule (off) wins over the region's
    overbooking.put_rule(None, doctor.id, "check", max_extra=1, alpha=1.0, low_risk=0.1)
    with pytest.raises(core.OverbookRefused) as low:
        booking.book_extra(None, patient, doctor, STARTS[2], probability=0.3, appointment_type="check", now=NOW,
                           risk_of=risk_of)
    assert low.value.reason == "low_risk"  # 0.05: never over a patient likely to come
    won = booking.book_extra(None, patient, doctor, STARTS[0], probability=0.3, appointment_type="check", now=NOW,
                             risk_of=risk_of)
    db.session.commit()
    assert booking.overbooked_ids([won.id, *risk]) == {won.id}
    seats = db.session.execute(select(Claim.cell_start, Claim.seat).where(Claim.appointment_id == won.id)).all()
    assert sorted(s for _, s in seats) == [-1, 1, 1, 1]
    booking.cancel(None, won, "test")
    db.session.commit()
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.seat != 0)) == 0


def test_no_extra_while_regular_slots_are_free(app, make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, end="10:00")
    first = booking.book(None, make.patient(), doctor, STARTS[0], now=NOW)
    overbooking.put_rule(None, None, None, max_extra=3, alpha=2.0, low_risk=0.0)
    db.session.commit()
    with pytest.raises(core.OverbookRefused) as refused:
        booking.book_extra(None, make.patient(), doctor, STARTS[0], probability=0.2, now=NOW,
                           risk_of=lambda a: 0.5 if a.id == first.id else None)
    assert refused.value.reason == "regular_free"


def test_twenty_racers_for_the_last_extra_seat_one_wins(app, make):
    doctor, risk = _full_session(make, risks=(0.5, 0.5, 0.5, 0.5))
    overbooking.put_rule(None, doctor.id, None, max_extra=2, alpha=2.0, low_risk=0.1)
    patients = [make.patient().id for _ in range(RACERS + 1)]
    doctor_id = doctor.id
    booking.book_extra(None, db.session.get(Patient, patients[-1]), doctor, STARTS[3], probability=0.3, now=NOW,
                       risk_of=lambda a: risk.get(a.id, 0.3))
    db.session.commit()  # one extra seat of two is taken: the racers fight for the last one, in any slot

    def extra(i: int):
        doc, pat = db.session.get(Doctor, doctor_id), db.session.get(Patient, patients[i])
        return booking.book_extra(None, pat, doc, STARTS[i % 3], probability=0.3, now=NOW,
                                  risk_of=lambda a: risk.get(a.id, 0.3)).id

    results, errors = race(app, extra, RACERS, timeout=60)
    assert errors == []
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, core.SchedulingError)]
    assert len(winners) == 1 and len(losers) == RACERS - 1
    assert all(isinstance(r, (core.SlotTaken, core.OverbookRefused)) for r in losers)
    db.session.rollback()  # end this session's snapshot: MariaDB reads are REPEATABLE READ
    assert db.session.scalar(select(func.count(Appointment.id))) == 4 + 2
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.seat < 0)) == 2
    assert double_booked_cells() == 0
