"""Issue #5 integrity on the real database: 50 walk-ins at once get tokens 1..50 with no gap and no duplicate, and
a token ("tokens") slot never issues more places than its capacity.

Every racer is a thread with its own app context, session and connection, released together by a barrier. The
test app's pool is too small for 50 open connections, so a wider engine stands in for the duration of each race.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import create_engine, event, func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Patient, QueueCounter, QueueEntry, TokenSlot
from app.services import booking
from app.services import queue as queue_service
from tests.integration.racing import race

NOW = datetime(2026, 3, 2, 8, 0)  # Monday 08:00 in London
CLIENTS = 50


@contextmanager
def wide_pool(size: int):
    """Swap the app's engine for one whose pool holds `size` connections (same database, same SQLite pragmas)."""
    original = db.engines[None]
    engine = create_engine(original.url, pool_size=size, max_overflow=5, pool_timeout=60, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()
    db.session.remove()
    db.engines[None] = engine
    try:
        yield
    finally:
        db.session.remove()
        db.engines[None] = original
        engine.dispose()


@pytest.fixture
def clinic(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, kind="tokens", slot_minutes=60, tokens_per_slot=7)
    patients = [make.patient().id for _ in range(CLIENTS)]
    return {"hospital_id": hospital.id, "doctor_id": doctor.id, "patients": patients}


def test_fifty_concurrent_walkins_get_tokens_one_to_fifty(app, clinic):
    def issue(i: int) -> int:
        patient = db.session.get(Patient, clinic["patients"][i])
        return queue_service.issue_walkin(None, clinic["hospital_id"], patient, doctor_id=clinic["doctor_id"],
                                          now=NOW).number

    with wide_pool(CLIENTS + 5):
        results, errors = race(app, issue, CLIENTS)
    assert errors == []
    assert sorted(results) == list(range(1, CLIENTS + 1))  # every racer got a token: none refused, none lost
    db.session.rollback()  # a new snapshot (MariaDB reads are REPEATABLE READ)
    numbers = list(db.session.scalars(select(QueueEntry.number).order_by(QueueEntry.number)))
    assert numbers == list(range(1, CLIENTS + 1))
    labels = set(db.session.scalars(select(QueueEntry.label)))
    assert len(labels) == CLIENTS and "CAR-050" in labels
    assert db.session.scalar(select(QueueCounter.last_number)) == CLIENTS


def test_one_patient_racing_for_two_tokens_gets_one(app, clinic):
    patient_id = clinic["patients"][0]

    def issue(_i: int):
        return queue_service.issue_walkin(None, clinic["hospital_id"], db.session.get(Patient, patient_id),
                                          doctor_id=clinic["doctor_id"], now=NOW).number

    with wide_pool(10):
        results, errors = race(app, issue, 6)
    assert errors == []
    refusals = [r for r in results if isinstance(r, core.QueueError)]
    assert len(refusals) == 5 and all(r.field == "patient" for r in refusals)
    db.session.rollback()
    assert db.session.scalar(select(func.count(QueueEntry.id))) == 1


def test_token_slot_never_exceeds_its_capacity(app, clinic):
    start = datetime(2026, 3, 2, 10, 0)  # 10:00 London, one 60-minute slot with 7 places

    def book(i: int):
        doctor = db.session.get(Doctor, clinic["doctor_id"])
        return booking.book(None, db.session.get(Patient, clinic["patients"][i]), doctor, start, now=NOW).id

    with wide_pool(CLIENTS + 5):
        results, errors = race(app, book, CLIENTS)
    assert errors == []
    won = [r for r in results if isinstance(r, int)]
    assert len(won) == 7 and all(isinstance(r, core.SlotTaken) for r in results if not isinstance(r, int))
    db.session.rollback()
    assert db.session.scalar(select(TokenSlot.issued)) == 7
    assert db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.start == start, Appointment.status.in_(tuple(core.ACTIVE)))) == 7
