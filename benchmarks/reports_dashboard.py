"""The report dashboards over the daily statistics, and the nightly statistics job for one day (docs/reports.md).

    python -m benchmarks.reports_dashboard [--db URL] [--hospitals 100] [--doctors 2000] [--history-days 365]
                                           [--requests 60] [--stats-only]

Seeds a region with `history_days` of past appointments (the seed builds their daily statistics), times the
nightly job's work for one day (`stats rebuild` of yesterday, every hospital), then requests the dashboards
through Flask's test client as the region admin, a hospital admin and a doctor, over the last year by month and
the last twelve weeks by week, HTML and CSV. The page's own cost: no network, no WSGI server. The defaults are
the region of the issue; smaller values (`--hospitals 10 --doctors 100 --history-days 60`) keep it runnable on a
laptop. Prints {"bench": "reports_dashboard", "db", "hospitals", "doctors", "history_days", "daily_rows",
"nightly_day_s", "totals_day_s", "requests", "p50_ms", "p95_ms", "max_ms", "p95_ms_by_role", "status_counts",
"history"}.

`--stats-only` writes the statistics themselves (random figures: a row per doctor and day, an access row per
hospital, specialty and day) instead of seeding appointments and deriving them: the dashboards read only the
statistics, so this measures their read cost at the full region's row count in minutes rather than the hours a
year of appointments takes to seed. The nightly job then has no appointments to read and is not timed
(`nightly_day_s` null); `totals_day_s` times its running totals for one day. `history` says which it was.
"""
from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, insert, select

from app.demo import seed_region
from app.demo.catalogue import DEMO_PASSWORD
from app.extensions import db
from app.models import AccessStat, DailyStat, Hospital, Membership, Role, Specialty
from app.models.base import utcnow
from app.services.accounts import create_user
from app.services.directory.catalogue import create_doctor_profile
from app.services.reports import stats, totals
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema

WARMUP = 3


def prepare(args) -> tuple[int, float]:
    """A fresh region with history; (daily rows, seconds of the nightly job for yesterday)."""
    db.session.remove()
    reset_schema()
    log(f"seeding {args.hospitals} hospitals, {args.doctors} doctors, {args.history_days} days of history...")
    seed_region(args.seed, hospitals=args.hospitals, doctors=args.doctors, patients=max(args.doctors * 10, 100),
                days=7, history_days=args.history_days, echo=log)
    hospital_id = db.session.scalar(select(Hospital.id).order_by(Hospital.id))
    admin = create_user("hospital-admin@waitless.example", DEMO_PASSWORD, Role.ADMIN, "Hospital Admin",
                        verified=True)
    db.session.add(Membership(user_id=admin.id, hospital_id=hospital_id, role=Role.ADMIN))
    db.session.commit()
    yesterday = utcnow().date() - timedelta(days=1)
    started = time.perf_counter()
    stats.rebuild(yesterday, yesterday)  # what jobs.rebuild_stats does each night
    totals.refresh(yesterday)
    db.session.commit()
    nightly = time.perf_counter() - started
    rows = db.session.scalar(select(func.count(DailyStat.id)))
    return rows, nightly


SPECIALTIES = 10


def prepare_stats_only(args) -> int:
    """A region's hospitals, the three logins, and `history_days` of statistics written directly; the daily rows."""
    db.session.remove()
    reset_schema()
    rng = random.Random(args.seed)
    specialties = [Specialty(name=f"Specialty {n:02d}", code=f"S{n:02d}") for n in range(SPECIALTIES)]
    hospitals = [Hospital(name=f"Hospital {n:03d}", city="London", country="GB", lat=51.5, lon=-0.12,
                          timezone="Europe/London") for n in range(args.hospitals)]
    db.session.add_all([*specialties, *hospitals])
    db.session.commit()
    create_user("admin@waitless.example", DEMO_PASSWORD, Role.ADMIN, "Region Admin", verified=True)
    admin = create_user("hospital-admin@waitless.example", DEMO_PASSWORD, Role.ADMIN, "Hospital Admin",
                        verified=True)
    db.session.add(Membership(user_id=admin.id, hospital_id=hospitals[0].id, role=Role.ADMIN))
    doctor_user = create_user("doctor1@waitless.example", DEMO_PASSWORD, Role.DOCTOR, "Doctor One", verified=True)
    db.session.add(Membership(user_id=doctor_user.id, hospital_id=hospitals[0].id, role=Role.DOCTOR))
    doctor = create_doctor_profile(doctor_user, hospitals[0].id, specialties[0].id)
    db.session.commit()
    # every doctor id but the one with a login is only a number in the statistics, which is all the pages read
    doctors = [(doctor.id, hospitals[0].id, specialties[0].id)] + [
        (doctor.id + n, hospitals[n % len(hospitals)].id, specialties[n % SPECIALTIES].id)
        for n in range(1, args.doctors)]
    columns = [c.name for c in DailyStat.__table__.columns
               if c.name not in ("id", "day", "hospital_id", "doctor_id", "specialty_id")]
    today = utcnow().date()
    first = today - timedelta(days=args.history_days)
    log(f"writing {args.history_days} days of statistics for {args.doctors} doctors...")
    for back in range(args.history_days, 0, -1):
        day = today - timedelta(days=back)
        db.session.execute(insert(DailyStat), [
            {**{c: rng.randint(0, 60) for c in columns}, "day": day, "hospital_id": h, "doctor_id": d,
             "specialty_id": s} for d, h, s in doctors])
        db.session.execute(insert(AccessStat), [
            {"day": day, "hospital_id": h.id, "specialty_id": s.id, "third_next_days": float(rng.randint(0, 20))}
            for h in hospitals for s in specialties])
        db.session.commit()
    totals.refresh(first)
    db.session.commit()
    return db.session.scalar(select(func.count(DailyStat.id)))


def time_totals() -> float:
    """The nightly job's running totals for yesterday."""
    started = time.perf_counter()
    totals.refresh(utcnow().date() - timedelta(days=1))
    db.session.commit()
    return time.perf_counter() - started


def plans(rng: random.Random, count: int) -> list[tuple[str, str, dict]]:
    """(role, path, query) per request: the dashboards each role opens, by month over a year or by week."""
    today = utcnow().date()
    periods = [{"first": (today - timedelta(days=365)).isoformat(), "last": (today - timedelta(days=1)).isoformat(),
                "by": "month"},
               {"first": (today - timedelta(weeks=12)).isoformat(), "last": (today - timedelta(days=1)).isoformat(),
                "by": "week"}]
    pages = [("region_admin", "/admin/reports"), ("hospital_admin", "/admin/reports"), ("doctor", "/doctor/reports")]
    result = []
    for _ in range(count):
        role, path = rng.choice(pages)
        query = dict(rng.choice(periods))
        if rng.random() < 0.25:
            query.update(format="csv", table=rng.choice(["trend", "compare", "access"]))
        result.append((role, path, query))
    return result


def run(app, planned) -> tuple[dict[str, list[float]], dict[str, int]]:
    logins = {"region_admin": "admin@waitless.example", "hospital_admin": "hospital-admin@waitless.example",
              "doctor": "doctor1@waitless.example"}
    clients = {}
    for role, email in logins.items():
        clients[role] = app.test_client()
        clients[role].post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
    timings: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, int] = defaultdict(int)
    for i, (role, path, query) in enumerate(planned):
        started = time.perf_counter()
        response = clients[role].get(path, query_string=query)
        response.get_data()
        elapsed = time.perf_counter() - started
        statuses[str(response.status_code)] += 1
        if i >= WARMUP:
            timings[role].append(elapsed)
    return timings, dict(statuses)


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser("Report dashboards over the daily statistics, and the nightly job for one day.")
    args.add_argument("--hospitals", type=int, default=100)
    args.add_argument("--doctors", type=int, default=2000)
    args.add_argument("--history-days", type=int, default=365)
    args.add_argument("--requests", type=int, default=60)
    args.add_argument("--stats-only", action="store_true",
                      help="write the statistics directly instead of seeding a history of appointments")
    return args


def main(argv=None) -> None:
    options = parse(arguments(), argv)
    app = make_app(options.db)
    with app.app_context():
        if options.stats_only:
            rows, nightly = prepare_stats_only(options), None
        else:
            rows, nightly = prepare(options)
        totals_day = time_totals()
        label = dialect_label()
        planned = plans(random.Random(options.seed), options.requests + WARMUP)
        db.session.remove()
    timings, statuses = run(app, planned)
    every = [t for values in timings.values() for t in values]
    emit({"bench": "reports_dashboard", "db": label, "hospitals": options.hospitals, "doctors": options.doctors,
          "history_days": options.history_days, "daily_rows": rows,
          "nightly_day_s": round(nightly, 2) if nightly is not None else None, "totals_day_s": round(totals_day, 2),
          "requests": len(every), "p50_ms": ms(percentile(every, 50)), "p95_ms": ms(percentile(every, 95)),
          "max_ms": ms(max(every)), "p95_ms_by_role": {r: ms(percentile(v, 95)) for r, v in sorted(timings.items())},
          "status_counts": statuses, "history": "statistics" if options.stats_only else "appointments"})


if __name__ == "__main__":
    main()
