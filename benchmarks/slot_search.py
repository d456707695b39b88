"""Slot search over the region: the earliest 50 free slots of a specialty in the next two weeks.

    python -m benchmarks.slot_search [--db URL] [--queries 200] [--fresh] [--live] [--profile FILE]

Seeds the region scale (app.demo_region) unless --db already holds a current one (100 hospitals whose bookings
reach two weeks ahead); --fresh reseeds. Every query starts from an empty session, so nothing comes from the
identity map. The search reads the availability index (docs/availability-index.md); --live times the computation
from the rules instead, the search as it was before the index. Prints {"bench": "slot_search", "db", "source",
"queries", "p50_ms", "p95_ms", "mean_ms", "results_mean", "seed_seconds", ...}.
"""
from __future__ import annotations

import argparse
import cProfile
import random
import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import func, inspect, select

from app.demo.region import CITIES, seed_region
from app.extensions import db
from app.models import Appointment, Hospital, IndexedSlot, Specialty
from app.models.base import utcnow
from app.services.availability.query import SlotQuery
from app.services.availability.search import live_search, search_slots
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema

HOSPITALS = 100
DAYS = 14
WARMUP = 5
NEAR_SHARE = 0.25  # a quarter of the queries ask for slots within 50 km of a city
RADIUS_KM = 50.0


def _current_region() -> bool:
    """Is there a seeded region whose bookings cover the searched fortnight?"""
    if "hospitals" not in inspect(db.engine).get_table_names():
        return False
    if db.session.scalar(select(func.count(Hospital.id))) != HOSPITALS:
        return False
    last = db.session.scalar(select(func.max(Appointment.start)))
    return (last is not None and last >= datetime.combine(utcnow().date() + timedelta(days=DAYS), datetime.min.time())
            and db.session.scalar(select(func.count(IndexedSlot.id))) > 0)


def prepare(args) -> float | None:
    """A seeded region; the seed's duration in seconds, or None when a cached one was reused."""
    if args.db is not None and not args.fresh and _current_region():
        log("reusing the region already in the database (--fresh reseeds)")
        return None
    db.session.remove()  # the check above holds a read lock that DROP TABLE would wait on forever (MariaDB)
    reset_schema()
    log("seeding the region...")
    started = time.perf_counter()
    seed_region(args.seed, echo=log)
    return time.perf_counter() - started


def queries(rng: random.Random, count: int) -> list[SlotQuery]:
    specialty_ids = list(db.session.scalars(select(Specialty.id).order_by(Specialty.id)))
    cities = [c for country in CITIES.values() for c in country]
    today = utcnow().date()
    result = []
    for _ in range(count):
        query = SlotQuery(specialty_id=rng.choice(specialty_ids), first_day=today,
                          last_day=today + timedelta(days=DAYS - 1), limit=50)
        if rng.random() < NEAR_SHARE:
            _, lat, lon, _ = rng.choice(cities)
            query.near, query.radius_km = (lat, lon), RADIUS_KM
        result.append(query)
    return result


def run(planned: list[SlotQuery], profiler: cProfile.Profile | None,
        live: bool = False) -> tuple[list[float], list[int]]:
    timings, sizes = [], []
    for query in planned:
        db.session.remove()  # a fresh session: no row comes from a previous query's identity map
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        found = live_search(query, utcnow()) if live else search_slots(query)
        timings.append(time.perf_counter() - started)
        if profiler:
            profiler.disable()
        sizes.append(len(found))
    db.session.remove()
    return timings, sizes


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--queries", type=int, default=200)
    args.add_argument("--fresh", action="store_true", help="reseed even when --db holds a current region")
    args.add_argument("--live", action="store_true", help="time the live computation instead of the index")
    args.add_argument("--profile", metavar="FILE", help="write cProfile statistics of the timed queries to FILE")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    app = make_app(args.db)
    with app.app_context():
        seed_seconds = prepare(args)
        rng = random.Random(args.seed)
        planned = queries(rng, args.queries + WARMUP)
        run(planned[:WARMUP], None, args.live)  # connections, statement caches
        profiler = cProfile.Profile() if args.profile else None
        log(f"running {args.queries} searches...")
        timings, sizes = run(planned[WARMUP:], profiler, args.live)
        if profiler:
            profiler.dump_stats(args.profile)
            log(f"profile written to {args.profile}")
        emit({
            "bench": "slot_search", "db": dialect_label(), "source": "live" if args.live else "index",
            "queries": len(timings),
            "p50_ms": ms(percentile(timings, 50)), "p95_ms": ms(percentile(timings, 95)),
            "mean_ms": ms(statistics.fmean(timings)), "max_ms": ms(max(timings)),
            "results_mean": round(statistics.fmean(sizes), 1),
            "near_queries": sum(1 for q in planned[WARMUP:] if q.near),
            "seed_seconds": round(seed_seconds, 1) if seed_seconds is not None else None,
            "reused_region": seed_seconds is None,
        })


if __name__ == "__main__":
    main()
