"""The public results page at the region scale: GET /search as the search form sends it, search and render.

    python -m benchmarks.results_page [--db URL] [--requests 200] [--fresh]

Seeds (or, with --db, reuses) the region exactly as benchmarks.slot_search does (a reused one is first migrated
to the current schema), then requests the page through Flask's test client in this one process, so the figure is
the page's own cost: the form's choices, the slot search, loading doctors and hospitals, and rendering the
template (no network, no WSGI server). Each request carries every
field the form in templates/public/search.html submits (empty ones included): a random specialty, today to
today + 13 days, radius 50 km and, for a quarter of them, a city from the form's picker. No app context is held
between requests, so each one starts from an empty session like a real request. Prints {"bench": "results_page",
"db", "requests", "p50_ms", "p95_ms", "mean_ms", "max_ms", "status_counts", "results_mean", "city_requests", ...}.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import select

from app.extensions import db
from app.models import Hospital, Specialty
from app.models.base import utcnow
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile
from benchmarks.slot_search import DAYS, prepare

WARMUP = 5
CITY_SHARE = 0.25  # a quarter of the requests choose a city (distances, 50 km radius)
RADIUS_KM = 50


def planned_requests(rng: random.Random, count: int) -> list[dict[str, str]]:
    """Query strings as the browser builds them from the form: every field, empty ones as ''."""
    specialty_ids = list(db.session.scalars(select(Specialty.id).where(Specialty.active).order_by(Specialty.id)))
    cities = list(db.session.scalars(select(Hospital.city).where(Hospital.active).distinct().order_by(Hospital.city)))
    today = utcnow().date()
    plans = []
    for _ in range(count):
        city = rng.choice(cities) if rng.random() < CITY_SHARE else ""
        plans.append({
            "specialty": str(rng.choice(specialty_ids)), "city": city, "lat": "", "lon": "",
            "radius_km": str(RADIUS_KM), "urgency": "routine", "from": today.isoformat(),
            "to": (today + timedelta(days=DAYS - 1)).isoformat(), "hospital": "", "doctor": "",
            "appointment_type": "", "language": "",
        })
    return plans


def run(app, plans: list[dict[str, str]]) -> tuple[list[float], dict[str, int], list[int], list[int]]:
    """Timings, status counts, result rows per page and page sizes; called outside any app context."""
    client = app.test_client()
    timings, statuses, rows, sizes = [], {}, [], []
    for args in plans:
        started = time.perf_counter()
        response = client.get("/search", query_string=args)
        body = response.get_data()
        timings.append(time.perf_counter() - started)
        key = str(response.status_code)
        statuses[key] = statuses.get(key, 0) + 1
        rows.append(body.count(b'class="list-group-item slot-row"'))
        sizes.append(len(body))
    return timings, statuses, rows, sizes


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--requests", type=int, default=200)
    args.add_argument("--fresh", action="store_true", help="reseed even when --db holds a current region")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    app = make_app(args.db)
    with app.app_context():
        seed_seconds = prepare(args)
        if seed_seconds is None:  # a reused region may predate the newest migrations: bring its schema forward
            db.session.remove()  # end this session's transaction first: its metadata locks would block the ALTERs
            upgrade()
        plans = planned_requests(random.Random(args.seed), args.requests + WARMUP)
        label = dialect_label()
        db.session.remove()
    run(app, plans[:WARMUP])  # connections, template compilation, translation catalogues
    log(f"requesting the results page {args.requests} times...")
    timings, statuses, rows, sizes = run(app, plans[WARMUP:])
    emit({
        "bench": "results_page", "db": label, "requests": len(timings),
        "p50_ms": ms(percentile(timings, 50)), "p95_ms": ms(percentile(timings, 95)),
        "mean_ms": ms(statistics.fmean(timings)), "max_ms": ms(max(timings)),
        "status_counts": statuses, "results_mean": round(statistics.fmean(rows), 1),
        "empty_pages": sum(1 for r in rows if r == 0), "page_kb_mean": round(statistics.fmean(sizes) / 1024, 1),
        "city_requests": sum(1 for p in plans[WARMUP:] if p["city"]),
        "seed_seconds": round(seed_seconds, 1) if seed_seconds is not None else None,
        "reused_region": seed_seconds is None,
    })


if __name__ == "__main__":
    main()
