"""Load run: 200 simulated patients search and book on MariaDB behind gunicorn, then an SQL check for double bookings.

    python -m benchmarks.load_run --db mysql+pymysql://root@127.0.0.1:3306/wl_load?charset=utf8mb4
        [--database NAME] [--users 200] [--spawn-rate 50] [--seconds 60] [--workers 4] [--threads 4]
        [--think 1,3] [--arrivals even|batched]

Needs a MySQL/MariaDB server: without --db (or with a SQLite one) it prints {"bench": "load_run", "skipped": ...}
and exits 0, so `make bench` stays quick on SQLite. The run uses the database --db names, like every benchmark
(--database names another on the same server; wl_load when the URL names none), dropped and rebuilt through the
migrations, then seeded with a small region (app.demo_region.seed_region: 20 hospitals, 200 doctors, 14 days, 2,000
patients) and given API tokens for the first --users patients. It starts gunicorn on a free loopback port
(`wsgi:app`, WAITLESS_ENV=production, rate limits off, OUTBOX_DELIVERY=off so no mail is tried), runs locust
headless with benchmarks/load/locustfile.py for --seconds, stops gunicorn and removes its temporary files (the
database stays for inspection; the next run rebuilds it). Afterwards a plain SQL check that does not use the booking
code counts double bookings (benchmarks.booking_race.double_bookings). Prints {"bench": "load_run", "db", "users",
"seconds", "requests", "rps", "errors", "p50_ms", "p95_ms", "bookings", "taken_409", "double_bookings",
"ramp_seconds", "p95_after_ramp_ms" (the requests sent once every user had started), ...};
"errors" are 5xx answers and connection failures, other unexpected statuses are counted apart, and tracebacks in
gunicorn's log are counted and summarised on stderr (the log is kept when there are any).

Arrivals: locust starts --spawn-rate users at one instant once a second, and each user's first round comes at once,
so "50 a second" reaches the server as 50 searches within a few milliseconds. With --arrivals even (the default) each
user waits a random part of that second before its first round, so the users arrive at the stated rate; --arrivals
batched keeps locust's own steps. The line says which ("arrivals"); docs/benchmarks.md, "Arrivals", has both.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app import scheduling as core
from app.demo.region import seed_region
from app.extensions import db
from app.models import ApiToken, Appointment, Doctor, Hospital, Patient, User
from app.models.base import utcnow
from app.services.accounts.tokens import token_digest
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema
from benchmarks.booking_race import double_bookings

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
REGION = dict(hospitals=20, doctors=200, days=14, patients=2000)
DAYS = 14
RADIUS_KM = 50
PICK_FIRST = 5  # users book one of the five earliest results: collisions happen, as with real patients
WINDOW = 5  # seconds per line of the over-time summary on stderr
THINK = "1,3"  # default think time between a user's rounds: uniform between these seconds
ARRIVALS = ("even", "batched")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def arrival_spread(spawn_rate: int, arrivals: str) -> float:
    """Seconds over which a user's first round is spread at random: one step of locust's dispatcher (it starts
    max(1, floor(rate)) users at once, every that many / rate seconds) for even arrivals, none for batched ones."""
    if arrivals == "batched":
        return 0.0
    return max(1, math.floor(spawn_rate)) / spawn_rate


def prepare(app, users: int, seed: int, think: tuple[float, float], spread: float = 0.0) -> tuple[dict, int]:
    """Rebuild and seed the load database; the locust plan and the highest appointment id before the run."""
    with app.app_context():
        reset_schema()
        started = time.perf_counter()
        seed_region(seed, echo=log, **REGION)
        log(f"seeded in {time.perf_counter() - started:.1f} s; creating {users} API tokens")
        rows = db.session.execute(select(User.id).join(Patient, Patient.user_id == User.id)
                                  .order_by(Patient.id).limit(users)).scalars().all()
        tokens = []
        for user_id in rows:
            token = secrets.token_urlsafe(32)
            db.session.add(ApiToken(user_id=user_id, token_hash=token_digest(token)))
            tokens.append(token)
        db.session.commit()
        specialties = sorted(db.session.scalars(select(Doctor.specialty_id).where(Doctor.active).distinct()))
        cities = sorted(db.session.scalars(select(Hospital.city).where(Hospital.active).distinct()))
        last_id = db.session.scalar(select(func.max(Appointment.id))) or 0
        db.session.remove()
    today = utcnow().date()
    plan = {"tokens": tokens, "specialties": specialties, "cities": cities, "from": today.isoformat(),
            "to": (today + timedelta(days=DAYS - 1)).isoformat(), "radius_km": RADIUS_KM,
            "pick_first": PICK_FIRST, "wait": list(think), "arrival_spread": spread}
    return plan, last_id


def start_gunicorn(url: str, port: int, workers: int, threads: int, folder: Path) -> tuple[subprocess.Popen, Path]:
    error_log = folder / "gunicorn.log"
    env = dict(os.environ, DATABASE_URL=url, WAITLESS_ENV="production", SECRET_KEY=secrets.token_hex(32),
               RATELIMIT_ENABLED="false", OUTBOX_DELIVERY="off", JOBS_ENABLED="false", PYTHONUNBUFFERED="1")
    env.pop("CELERY_BROKER_URL", None)
    env.pop("MAIL_SERVER", None)
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
               "-b", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "15",
               "--error-logfile", str(error_log), "--log-level", "info", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    return process, error_log


def wait_ready(process: subprocess.Popen, base: str, specialty: int, timeout: float = 90) -> None:
    """Until every worker could have booted: the slot search answers 200 a few times in a row."""
    deadline, good = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/slots?specialty={specialty}", timeout=10) as response:
                good = good + 1 if response.status == 200 else 0
        except OSError:
            good = 0
        if good >= 8:
            return
        time.sleep(0.25)
    raise RuntimeError("gunicorn did not answer within the timeout")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's own process group (the master and its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def run_locust(base: str, plan_path: Path, tally_path: Path, folder: Path, args) -> int:
    env = dict(os.environ, LOAD_PLAN=str(plan_path), LOAD_TALLY=str(tally_path))
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(args.users),
               "-r", str(args.spawn_rate), "-t", f"{args.seconds}s", "--host", base, "--stop-timeout", "20",
               "--csv", str(folder / "locust"), "--only-summary", "--loglevel", "WARNING"]
    with open(folder / "locust.log", "w", encoding="utf-8") as out:
        # bounded: the run plus ramp-up, stop timeout and start-up; a hung locust is killed
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                   start_new_session=True)
        try:
            return process.wait(timeout=args.seconds + 120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return -9


def server_tracebacks(error_log: Path) -> tuple[int, Counter]:
    """How many tracebacks gunicorn's log holds, and their closing lines (the exception) counted."""
    if not error_log.exists():
        return 0, Counter()
    lines = error_log.read_text(encoding="utf-8", errors="replace").splitlines()
    count, last = 0, Counter()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            count += 1
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            if j < len(lines):
                last[lines[j][:200]] += 1
    return count, last


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--database", help="another database on the --db server (default: the one --db names)")
    args.add_argument("--users", type=int, default=200)
    args.add_argument("--spawn-rate", type=int, default=50)
    args.add_argument("--seconds", type=int, default=60)
    args.add_argument("--workers", type=int, default=4)
    args.add_argument("--threads", type=int, default=4)
    args.add_argument("--think", default=THINK, metavar="MIN,MAX",
                      help=f"seconds a user waits between rounds (default {THINK})")
    args.add_argument("--arrivals", choices=ARRIVALS, default=ARRIVALS[0],
                      help="even: users start at the spawn rate; batched: locust's steps, spawn-rate users at once "
                           "each second (default even)")
    return args


def target_url(db_url: str, database: str | None = None):
    """The database of the run: the one --db names, like every benchmark's; --database picks another on that server."""
    url = make_url(db_url)
    return url.set(database=database or url.database or "wl_load")


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    think = tuple(float(x) for x in args.think.split(","))
    if not args.db or make_url(args.db).get_backend_name() != "mysql":
        emit({"bench": "load_run", "skipped": "needs --db with a MySQL/MariaDB URL (gunicorn + locust on it)"})
        return
    url = target_url(args.db, args.database)
    url_text = url.render_as_string(hide_password=False)
    app = make_app(url_text)
    plan, last_id = prepare(app, args.users, args.seed, think, arrival_spread(args.spawn_rate, args.arrivals))
    folder = Path(tempfile.mkdtemp(prefix="waitless-load-"))
    plan_path, tally_path = folder / "plan.json", folder / "tally.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, error_log = start_gunicorn(url_text, port, args.workers, args.threads, folder)
    keep = False
    try:
        wait_ready(process, base, plan["specialties"][0])
        log(f"gunicorn ({args.workers} workers x {args.threads} threads) on {base}; locust: {args.users} users "
            f"for {args.seconds} s...")
        locust_rc = run_locust(base, plan_path, tally_path, folder, args)
    finally:
        stop(process)
    try:
        tally = json.loads(tally_path.read_text(encoding="utf-8")) if tally_path.exists() else None
        if tally is None or not tally["requests"]:
            keep = True
            log((folder / "locust.log").read_text(encoding="utf-8", errors="replace")[-3000:])
            log(f"locust recorded no request (exit {locust_rc}); its files are kept in {folder}")
            raise SystemExit(1)
        requests = tally["requests"]
        seconds = max(1e-9, (tally["stopped"] or time.time()) - (tally["started"] or time.time()))
        statuses = Counter(str(r[1]) for r in requests)
        errors = [r for r in requests if r[1] == 0 or r[1] >= 500]
        books = [r for r in requests if r[0] == "book"]
        refusals = Counter(r[2] or "?" for r in books if r[1] == 409)
        unexpected = [r for r in requests if r[1] not in (0, 200, 201, 409) and r[1] < 500]
        timings = [r[3] / 1000 for r in requests]
        search_times = [r[3] / 1000 for r in requests if r[0] == "search"]
        book_times = [r[3] / 1000 for r in books]
        # beside the headline p95: the requests sent once every user had started (locust starts `spawn_rate` a
        # second, each user's first round comes within its step), so the ramp and the steady run can be told apart
        ramp = args.users / max(1, args.spawn_rate)
        after_ramp = [r[3] / 1000 for r in requests if len(r) > 4 and r[4] >= ramp]
        tracebacks, exceptions = server_tracebacks(error_log)
        # on stderr, the run over time: the first seconds (every user starts at once) apart from the rest
        windows: dict[int, list[list]] = {}
        for r in requests:
            windows.setdefault(int(r[4] // WINDOW) * WINDOW if len(r) > 4 else 0, []).append(r)
        for first in sorted(windows):
            rows = windows[first]
            parts = [f"{kind} {len(times)}, p50 {ms(percentile(times, 50))} ms, p95 {ms(percentile(times, 95))} ms"
                     for kind in ("search", "book") if (times := [r[3] / 1000 for r in rows if r[0] == kind])]
            log(f"sent {first}-{first + WINDOW} s: " + "; ".join(parts))
        for line, n in exceptions.most_common(10):
            log(f"gunicorn log: {n} x {line}")
        failures = folder / "locust_failures.csv"
        if errors and failures.exists():
            log("locust's failures:\n" + failures.read_text(encoding="utf-8", errors="replace")[:3000])
        client_exceptions = tally.get("client_exceptions") or []
        for text in client_exceptions[:5]:
            log(f"exception in the locustfile: {text}")
        if tracebacks or errors or client_exceptions:
            keep = True
            log(f"gunicorn's and locust's logs kept in {folder}")
        with app.app_context():
            pairs, cells = double_bookings()
            active = tuple(core.ACTIVE)
            stored = db.session.scalar(select(func.count(Appointment.id)).where(
                Appointment.id > last_id, Appointment.status.in_(active)))
            label = dialect_label()
            db.session.remove()
        emit({
            "bench": "load_run", "db": label, "users": args.users, "seconds": round(seconds, 1),
            "requests": len(requests), "rps": round(len(requests) / seconds, 1), "errors": len(errors),
            "p50_ms": ms(percentile(timings, 50)) if timings else None,
            "p95_ms": ms(percentile(timings, 95)) if timings else None,
            "search_p95_ms": ms(percentile(search_times, 95)) if search_times else None,
            "book_p95_ms": ms(percentile(book_times, 95)) if book_times else None,
            "ramp_seconds": round(ramp, 1),
            "p95_after_ramp_ms": ms(percentile(after_ramp, 95)) if after_ramp else None,
            "requests_after_ramp": len(after_ramp),
            "searches": len(search_times), "bookings": sum(1 for r in books if r[1] == 201),
            "taken_409": sum(refusals.values()), "refusals_409": dict(refusals),
            "unexpected_statuses": len(unexpected), "status_counts": dict(statuses),
            "bookings_in_db": stored, "double_bookings": pairs + cells,
            "overlapping_appointment_pairs": pairs, "claim_cells_held_twice": cells,
            "server_tracebacks": tracebacks, "client_exceptions": len(client_exceptions),
            "workers": args.workers, "threads": args.threads,
            "think_seconds": list(think), "arrivals": args.arrivals, "locust_exit": locust_rc,
        })
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
