"""What the availability index adds to a booking: its p50/p95 with and without the index upkeep.

    python -m benchmarks.index_write_cost [--db URL] [--bookings 200] [--doctors 80]

Seeds a scaled-down region (the region's hours and ~60% booking, fewer hospitals and doctors), then books random
free slots through the booking service inside the transaction boundary, as a page does, timing each from the
start of its transaction to its commit. Bookings alternate between the normal session (the index's rows of the
doctor's day are computed again before the commit, docs/availability-index.md) and a session with the upkeep
switched off, so drift in the machine's load falls on both alike. Prints {"bench": "index_write_cost", "db",
"bookings", "with_index_p50_ms", "with_index_p95_ms", "without_index_p50_ms", "without_index_p95_ms",
"added_p50_ms", "added_p95_ms", ...}.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta

from sqlalchemy import select

from app import scheduling as core
from app.demo.region import seed_region
from app.extensions import db
from app.models import Doctor, Patient
from app.models.base import utcnow
from app.services import booking
from app.services.availability import index
from app.services.availability.query import SlotQuery
from app.services.availability.search import live_search
from app.transaction import transaction
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema

WARMUP = 10


def arguments() -> argparse.ArgumentParser:
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--bookings", type=int, default=200, help="timed bookings, half of them with the index")
    args.add_argument("--doctors", type=int, default=80)
    return args


def _book_one(rng: random.Random, doctors: list[int], patients: list[int], with_index: bool) -> float | None:
    """One booking of a random free slot; its seconds, or None when the patient was busy or the slot went."""
    db.session.remove()
    doctor = db.session.get(Doctor, rng.choice(doctors))
    today = utcnow().date()
    free = live_search(SlotQuery(first_day=today + timedelta(days=1), last_day=today + timedelta(days=7),
                                 doctor_id=doctor.id, limit=100), utcnow())
    if not free:
        return None
    slot = rng.choice(free)
    patient = db.session.get(Patient, rng.choice(patients))
    db.session.info[index.OFF] = not with_index
    started = time.perf_counter()
    try:
        with transaction():
            booking.book(None, patient, doctor, slot.start, hospital_id=slot.hospital_id)
    except core.SchedulingError:
        return None
    finally:
        db.session.info.pop(index.OFF, None)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    app = make_app(args.db)
    with app.app_context():
        reset_schema()
        log("seeding...")
        seed_region(args.seed, hospitals=max(2, args.doctors // 20), doctors=args.doctors, days=14,
                    patients=max(200, args.bookings * 4), echo=log)
        doctors = list(db.session.scalars(select(Doctor.id).order_by(Doctor.id)))
        patients = list(db.session.scalars(select(Patient.id).order_by(Patient.id)))
        rng = random.Random(args.seed)
        for i in range(WARMUP):
            _book_one(rng, doctors, patients, i % 2 == 0)
        timings: dict[bool, list[float]] = {True: [], False: []}
        log(f"booking {args.bookings} slots...")
        attempts = 0
        while len(timings[True]) + len(timings[False]) < args.bookings and attempts < args.bookings * 5:
            attempts += 1
            with_index = len(timings[True]) <= len(timings[False])
            seconds = _book_one(rng, doctors, patients, with_index)
            if seconds is not None:
                timings[with_index].append(seconds)
        db.session.remove()
        on, off = timings[True], timings[False]
        emit({
            "bench": "index_write_cost", "db": dialect_label(), "bookings": len(on) + len(off),
            "with_index_p50_ms": ms(percentile(on, 50)), "with_index_p95_ms": ms(percentile(on, 95)),
            "without_index_p50_ms": ms(percentile(off, 50)), "without_index_p95_ms": ms(percentile(off, 95)),
            "added_p50_ms": ms(percentile(on, 50) - percentile(off, 50)),
            "added_p95_ms": ms(percentile(on, 95) - percentile(off, 95)),
            "with_index_mean_ms": ms(statistics.fmean(on)), "without_index_mean_ms": ms(statistics.fmean(off)),
            "doctors": len(doctors),
        })


if __name__ == "__main__":
    main()
