"""Booking race: 50 clients, each on its own connection, released together onto the same slot.

    python -m benchmarks.booking_race [--db URL] [--rounds 20] [--clients 50] [--overlap-rounds 5]

Each round a barrier releases every client at once onto one new 15-minute slot through
app.services.booking.book; the unique claim index must let exactly one win. Overlap rounds then mix 15- and
45-minute bookings with starts 15 minutes apart, so claims collide on some cells only. Afterwards an SQL check that
does not use the booking code counts double bookings: pairs of overlapping active appointments of one doctor, and
claim cells held twice. Prints {"bench": "booking_race", "db", "rounds", "clients", "successes_per_round",
"exactly_one_winner_rounds", "double_bookings", "p50_ms", "p95_ms", "loser_p95_ms", ...}. The schema is always
rebuilt (--db is dropped and migrated).
"""
from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Claim, Doctor, Hospital, Patient, Role, Specialty
from app.services import booking
from app.services.accounts import create_user
from app.services.accounts.passwords import hash_password
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule
from app.services.directory import create_doctor_profile
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema

NOW = datetime(2030, 1, 7, 6, 0)  # a Monday; every booked day lies in the following weeks, within the horizon
TZ = "Europe/London"
LONG = "long"  # the 45-minute appointment type


@dataclass
class Outcome:
    won: bool
    seconds: float
    error: str | None = None


@dataclass
class Race:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def successes(self) -> int:
        return sum(1 for o in self.outcomes if o.won)


def setup(clients: int) -> tuple[int, list[int]]:
    """One London hospital, one doctor open every day 08:00-18:00 in 15-minute slots, a 45-minute type, patients."""
    hospital = Hospital(name="Race Hospital", city="London", country="GB", lat=51.5, lon=-0.12, timezone=TZ)
    specialty = Specialty(name="Cardiology", code="CAR")
    db.session.add_all([hospital, specialty])
    db.session.flush()
    db.session.add(AppointmentType(hospital_id=hospital.id, code=LONG, name="Long consultation",
                                   duration_minutes=45, fee=Decimal("100.00")))
    password_hash = hash_password("race-Password-1")
    user = create_user("doctor@race.example", "", Role.DOCTOR, "Dr Race", verified=True, password_hash=password_hash)
    doctor = create_doctor_profile(user, hospital.id, specialty.id)
    db.session.flush()
    rules = [RuleInput(weekday=d, start=wall(8), end=wall(18)) for d in range(7)]
    put_schedule(None, resource_for_doctor(doctor.id).id, hospital.id,
                 ScheduleInput(valid_from=date(2020, 1, 1), valid_till=None, rules=rules, horizon_days=90,
                               min_notice_minutes=0))
    patient_ids = []
    for i in range(clients):
        account = create_user(f"patient{i}@race.example", "", Role.PATIENT, f"Patient {i}", verified=True,
                              password_hash=password_hash)
        patient = Patient(user_id=account.id, name=account.name)
        db.session.add(patient)
        db.session.flush()
        patient_ids.append(patient.id)
    db.session.commit()
    return doctor.id, patient_ids


def race(app, doctor_id: int, patient_ids: list[int], plans: list[tuple[datetime, str | None]]) -> Race:
    """Every client books its (start, type) at the same moment, each in its own thread, session and connection."""
    barrier = threading.Barrier(len(plans))
    result = Race()

    def client(patient_id: int, start: datetime, appointment_type: str | None) -> None:
        with app.app_context():  # its own session, hence its own connection: only ids cross threads
            try:
                doctor = db.session.get(Doctor, doctor_id)
                patient = db.session.get(Patient, patient_id)
                barrier.wait(timeout=120)
                started = time.perf_counter()
                try:
                    booking.book(None, patient, doctor, start, appointment_type=appointment_type, now=NOW)
                    db.session.commit()
                    result.outcomes.append(Outcome(True, time.perf_counter() - started))
                except core.SchedulingError as err:
                    db.session.rollback()
                    result.outcomes.append(Outcome(False, time.perf_counter() - started, type(err).__name__))
            except threading.BrokenBarrierError:
                result.errors.append("barrier broken")
            except Exception as err:  # a defect or a lock timeout: report it, never leave the others waiting
                result.errors.append(repr(err)[:300])
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=client, args=(patient_ids[i], start, kind))
               for i, (start, kind) in enumerate(plans)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


def double_bookings() -> tuple[int, int]:
    """(overlapping active appointment pairs of one doctor, claim cells held twice), by plain SQL."""
    db.session.rollback()  # a new snapshot: MariaDB reads are REPEATABLE READ
    a, b = Appointment.__table__.alias("a"), Appointment.__table__.alias("b")
    active = tuple(core.ACTIVE)
    pairs = db.session.scalar(select(func.count()).select_from(a.join(b, and_(
        a.c.doctor_id == b.c.doctor_id, a.c.id < b.c.id, a.c.status.in_(active), b.c.status.in_(active),
        a.c.start < b.c.end, b.c.start < a.c.end))))
    held_twice = (select(Claim.resource_id, Claim.cell_start, Claim.seat)
                  .group_by(Claim.resource_id, Claim.cell_start, Claim.seat).having(func.count() > 1).subquery())
    cells = db.session.scalar(select(func.count()).select_from(held_twice))
    return pairs, cells


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=20)
    args.add_argument("--clients", type=int, default=50)
    args.add_argument("--overlap-rounds", type=int, default=5)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    app = make_app(args.db, pool_size=args.clients + 5)
    with app.app_context():
        reset_schema()
        doctor_id, patient_ids = setup(args.clients)
        db.session.remove()
        tz = ZoneInfo(TZ)
        first_day = NOW.date() + timedelta(days=1)
        rounds: list[Race] = []
        for r in range(args.rounds):  # same slot for everyone, a new slot (a new day) each round
            start = core.to_utc(first_day + timedelta(days=r), wall(9), tz)
            rounds.append(race(app, doctor_id, patient_ids, [(start, None)] * args.clients))
            log(f"round {r + 1}: {rounds[-1].successes} of {args.clients} won")
        overlaps: list[Race] = []
        for r in range(args.overlap_rounds):  # 15 and 45 minutes, starts 15 minutes apart: partial collisions
            day = first_day + timedelta(days=args.rounds + r)
            plans = [(core.to_utc(day, wall(9), tz) + timedelta(minutes=15 * (i % 4)), LONG if i % 2 else None)
                     for i in range(args.clients)]
            overlaps.append(race(app, doctor_id, patient_ids, plans))
            log(f"overlap round {r + 1}: {overlaps[-1].successes} of {args.clients} won")
        pairs, cells = double_bookings()
        attempts = [o for game in rounds + overlaps for o in game.outcomes]
        losers = [o.seconds for o in attempts if not o.won]
        errors = [e for game in rounds + overlaps for e in game.errors]
        for error in errors[:5]:
            log(f"error: {error}")
        emit({
            "bench": "booking_race", "db": dialect_label(), "rounds": args.rounds, "clients": args.clients,
            "successes_per_round": [game.successes for game in rounds],
            "exactly_one_winner_rounds": sum(1 for game in rounds if game.successes == 1),
            "overlap_rounds": args.overlap_rounds,
            "overlap_successes_per_round": [game.successes for game in overlaps],
            "double_bookings": pairs + cells, "overlapping_appointment_pairs": pairs, "claim_cells_held_twice": cells,
            "attempts": len(attempts), "errors": len(errors),
            "p50_ms": ms(percentile([o.seconds for o in attempts], 50)) if attempts else None,
            "p95_ms": ms(percentile([o.seconds for o in attempts], 95)) if attempts else None,
            "loser_p95_ms": ms(percentile(losers, 95)) if losers else None,
            "refusals": _tally(o.error for o in attempts if not o.won),
        })


def _tally(names) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return counts


if __name__ == "__main__":
    main()
