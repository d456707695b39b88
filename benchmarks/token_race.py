"""Token race: 50 clients issue walk-in tokens on one queue at once, and 50 book one capacity ("tokens") slot.

    python -m benchmarks.token_race [--db URL] [--rounds 10] [--clients 50] [--capacity 7]

Each round a barrier releases every client, each on its own connection, onto one doctor's queue for a new day
through app.services.queue.issue_walkin; the numbers of that day must be exactly 1..clients (gap-free, unique).
Then every client books the same token slot of that day through app.services.booking.book; no more than its
capacity may win. Afterwards plain SQL that does not use the queue or booking code counts duplicate numbers and
over-full slots. Prints {"bench": "token_race", "db", "rounds", "clients", "gap_free_rounds",
"duplicate_numbers", "capacity_overflows", "p50_ms", "p95_ms", ...} (latency of one token issue, commit
included). The schema is always rebuilt (--db is dropped and migrated).
"""
from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as wall
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Patient, QueueEntry, Role, Specialty, TokenSlot
from app.services import booking
from app.services import queue as queue_service
from app.services.accounts import create_user
from app.services.accounts.passwords import hash_password
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule
from app.services.directory import create_doctor_profile
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema

NOW = datetime(2030, 1, 7, 6, 0)  # a Monday, 06:00 in London; each round is one later day
TZ = "Europe/London"


@dataclass
class Round:
    seconds: list[float] = field(default_factory=list)  # successful token issues
    numbers: list[int] = field(default_factory=list)
    booked: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def setup(clients: int, capacity: int) -> tuple[int, int, list[int]]:
    """A London hospital with one doctor whose every day is one 60-minute token session per hour, and patients."""
    hospital = Hospital(name="Token Hospital", city="London", country="GB", lat=51.5, lon=-0.12, timezone=TZ)
    specialty = Specialty(name="Cardiology", code="CAR")
    db.session.add_all([hospital, specialty])
    db.session.flush()
    password_hash = hash_password("race-Password-1")
    user = create_user("doctor@tokens.example", "", Role.DOCTOR, "Dr Token", verified=True,
                       password_hash=password_hash)
    doctor = create_doctor_profile(user, hospital.id, specialty.id)
    db.session.flush()
    rules = [RuleInput(weekday=d, start=wall(8), end=wall(18), kind="tokens", slot_minutes=60,
                       tokens_per_slot=capacity) for d in range(7)]
    put_schedule(None, resource_for_doctor(doctor.id).id, hospital.id,
                 ScheduleInput(valid_from=date(2020, 1, 1), valid_till=None, rules=rules, horizon_days=365,
                               min_notice_minutes=0))
    patient_ids = []
    for i in range(clients):
        patient = Patient(name=f"Patient {i}")
        db.session.add(patient)
        db.session.flush()
        patient_ids.append(patient.id)
    db.session.commit()
    return hospital.id, doctor.id, patient_ids


def _count(outcomes: dict[str, int], name: str) -> None:
    outcomes[name] = outcomes.get(name, 0) + 1


def run_round(app, hospital_id: int, doctor_id: int, patient_ids: list[int], now: datetime,
              slot_start: datetime) -> Round:
    result = Round()
    lock = threading.Lock()

    def together(work) -> None:
        barrier = threading.Barrier(len(patient_ids))

        def client(patient_id: int) -> None:
            with app.app_context():  # its own session, hence its own connection: only ids cross threads
                try:
                    patient = db.session.get(Patient, patient_id)
                    barrier.wait(timeout=120)
                    work(patient)
                except threading.BrokenBarrierError:
                    result.errors.append("barrier broken")
                except Exception as err:  # a defect or a lock timeout: report it, never leave the others waiting
                    db.session.rollback()
                    result.errors.append(repr(err)[:300])
                    barrier.abort()
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=client, args=(p,)) for p in patient_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def issue(patient: Patient) -> None:
        started = time.perf_counter()
        try:
            entry = queue_service.issue_walkin(None, hospital_id, patient, doctor_id=doctor_id, now=now)
            number = entry.number
            db.session.commit()
            with lock:
                result.seconds.append(time.perf_counter() - started)
                result.numbers.append(number)
        except core.SchedulingError as err:
            db.session.rollback()
            with lock:
                _count(result.refusals, type(err).__name__)

    def book(patient: Patient) -> None:
        try:
            booking.book(None, patient, db.session.get(Doctor, doctor_id), slot_start, now=now)
            db.session.commit()
            with lock:
                result.booked += 1
        except core.SchedulingError as err:
            db.session.rollback()
            with lock:
                _count(result.refusals, type(err).__name__)

    together(issue)
    together(book)
    return result


def integrity() -> tuple[int, int]:
    """(duplicate token numbers per queue and day, token slots issued beyond capacity), by plain SQL."""
    db.session.rollback()  # a new snapshot: MariaDB reads are REPEATABLE READ
    dupes = (select(QueueEntry.queue_id, QueueEntry.day, QueueEntry.number)
             .group_by(QueueEntry.queue_id, QueueEntry.day, QueueEntry.number).having(func.count() > 1).subquery())
    duplicates = db.session.scalar(select(func.count()).select_from(dupes))
    over = db.session.scalar(select(func.count()).select_from(TokenSlot).where(TokenSlot.issued > TokenSlot.capacity))
    booked = (select(Appointment.start).where(Appointment.kind == "tokens", Appointment.status.in_(tuple(core.ACTIVE)))
              .group_by(Appointment.start).having(func.count() > select(func.max(TokenSlot.capacity))
                                                  .scalar_subquery()).subquery())
    over += db.session.scalar(select(func.count()).select_from(booked))
    return duplicates, over


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=10)
    args.add_argument("--clients", type=int, default=50)
    args.add_argument("--capacity", type=int, default=7)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    app = make_app(args.db, pool_size=args.clients + 5)
    with app.app_context():
        reset_schema()
        hospital_id, doctor_id, patient_ids = setup(args.clients, args.capacity)
        db.session.remove()
        tz = ZoneInfo(TZ)
        rounds: list[Round] = []
        for r in range(args.rounds):
            day = NOW.date() + timedelta(days=r)
            now = core.to_utc(day, wall(7), tz)  # the queue's day is the hospital's local day of `now`
            result = run_round(app, hospital_id, doctor_id, patient_ids, now, core.to_utc(day, wall(10), tz))
            rounds.append(result)
            log(f"round {r + 1}: {len(result.numbers)} tokens, max {max(result.numbers, default=0)}; "
                f"{result.booked} of {args.clients} booked the slot of {args.capacity}")
        duplicates, overflows = integrity()
        issues = [s for game in rounds for s in game.seconds]
        errors = [e for game in rounds for e in game.errors]
        for error in errors[:5]:
            log(f"error: {error}")
        refusals: dict[str, int] = {}
        for game in rounds:
            for name, n in game.refusals.items():
                refusals[name] = refusals.get(name, 0) + n
        emit({
            "bench": "token_race", "db": dialect_label(), "rounds": args.rounds, "clients": args.clients,
            "gap_free_rounds": sum(1 for g in rounds if sorted(g.numbers) == list(range(1, args.clients + 1))),
            "duplicate_numbers": duplicates, "capacity_overflows": overflows,
            "p50_ms": ms(percentile(issues, 50)) if issues else None,
            "p95_ms": ms(percentile(issues, 95)) if issues else None,
            "capacity": args.capacity, "booked_per_round": [g.booked for g in rounds],
            "refusals": refusals, "errors": len(errors),
        })


if __name__ == "__main__":
    main()
