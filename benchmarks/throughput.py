"""Throughput: how many slot searches a second gunicorn answers at region scale, beside the framework's own floor.

    python -m benchmarks.throughput --db mysql+pymysql://root@127.0.0.1:3306/wl_bench?charset=utf8mb4
        [--database NAME] [--seconds 10] [--connections 64] [--workers 4] [--threads 4] [--fresh] [--python-load]
        [--targets floor,specialties,search]   (a target named again is measured again: search, search_2, ...)

Needs a MySQL/MariaDB server: without --db (or with a SQLite one) it prints {"bench": "throughput", "skipped": ...}
and exits 0, like load_run. It reuses the region slot_search keeps in that database (seeding it when it is missing
or stale), starts gunicorn (`wsgi:app`, production settings, --workers x --threads, rate limits as configured)
on a free loopback port and loads it with --connections keep-alive connections for --seconds per target, one
target after the other in the same run:

- `floor`: GET /api/v1/health, which touches nothing: what Flask, the extensions and gunicorn cost per request;
- `specialties`: GET /api/v1/specialties, a cached directory list;
- `search`: varied 14-day specialty searches /api/v1/slots?specialty=S&from=D&to=D+13&limit=50 (S and D drawn
  from the seeded specialties and the next two weeks).

The load comes from wrk when it is on PATH (`make bench` installs it through scripts/ensure-wrk when it runs as
root), else from this file's own generator (asyncio, raw keep-alive HTTP/1.1, one process per core), which
--python-load forces. Prints {"bench": "throughput", "db", "tool", "connections", "seconds", "workers",
"threads", "floor": {...}, "specialties": {...}, "search": {...}} where each target has "rps", "p50_ms",
"p95_ms", "p99_ms", "requests", "errors" (connection failures, timeouts and non-2xx answers).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import Doctor
from app.models.base import utcnow
from benchmarks import slot_search
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile
from benchmarks.load_run import free_port, server_tracebacks, start_gunicorn, stop, target_url, wait_ready

DAYS = 14
FIRST_DAYS = 14  # searches start today or on one of the next 13 days; the region's bookings reach 30 days ahead
PATHS = 2000  # distinct search URLs, cycled through
TARGETS = ("floor", "specialties", "search")

WRK_SCRIPT = """
local paths = {%(paths)s}
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args)
  i = id * 7919
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "errors": %%d, "non_2xx": %%d, "p50_us": %%d, "p95_us": %%d, '
    .. '"p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def search_paths(rng: random.Random, count: int) -> list[str]:
    specialties = sorted(db.session.scalars(select(Doctor.specialty_id).where(Doctor.active).distinct()))
    today = utcnow().date()
    paths = []
    for _ in range(count):
        first = today + timedelta(days=rng.randrange(FIRST_DAYS))
        paths.append(f"/api/v1/slots?specialty={rng.choice(specialties)}&from={first.isoformat()}"
                     f"&to={(first + timedelta(days=DAYS - 1)).isoformat()}&limit=50")
    return paths


def run_wrk(base: str, paths: list[str], connections: int, seconds: int, folder: Path) -> dict:
    script = folder / "paths.lua"
    script.write_text(WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths)}, encoding="utf-8")
    threads = max(1, min(os.cpu_count() or 1, connections))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(script), base]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr[-2000:]} {result.stdout[-2000:]}")
    raw = json.loads(line[len("WRK_JSON "):])
    seconds_run = raw["duration_us"] / 1e6
    return {"rps": round(raw["requests"] / seconds_run, 1), "p50_ms": round(raw["p50_us"] / 1000, 2),
            "p95_ms": round(raw["p95_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
            "max_ms": round(raw["max_us"] / 1000, 2), "requests": raw["requests"],
            "errors": raw["errors"] + raw["non_2xx"]}


# --- the Python load generator: used when wrk is not installed


async def _connection(host: str, port: int, paths: list[str], offset: int, until: float,
                      timings: list[float], failures: list[int]) -> None:
    reader = writer = None
    i = offset
    while time.perf_counter() < until:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head[9:12])
            length, closing = 0, False
            for header in head.split(b"\r\n")[1:]:
                name, _, value = header.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    closing = True
            if length:
                await asyncio.wait_for(reader.readexactly(length), 10)
            timings.append(time.perf_counter() - started)
            if not 200 <= status < 300:
                failures[0] += 1
            if closing:
                writer.close()
                writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            failures[0] += 1
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def _load_process(host: str, port: int, paths: list[str], connections: int, first: int, until: float,
                  out: multiprocessing.Queue) -> None:
    timings: list[float] = []
    failures = [0]

    async def main() -> None:
        await asyncio.gather(*(_connection(host, port, paths, (first + n) * 7919, until, timings, failures)
                               for n in range(connections)))

    asyncio.run(main())
    out.put((timings, failures[0]))


def run_python(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    host, port = base.removeprefix("http://").split(":")
    processes = max(1, min(os.cpu_count() or 1, connections))
    started = time.perf_counter()
    until = started + seconds
    queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
    shares = [connections // processes + (1 if n < connections % processes else 0) for n in range(processes)]
    workers = [multiprocessing.get_context("fork").Process(
        target=_load_process, args=(host, int(port), paths, share, sum(shares[:n]), until, queue))
        for n, share in enumerate(shares)]
    for worker in workers:
        worker.start()
    timings, failures = [], 0
    for _ in workers:
        part, failed = queue.get(timeout=seconds + 60)
        timings.extend(part)
        failures += failed
    for worker in workers:
        worker.join(timeout=30)
    elapsed = max(time.perf_counter() - started, 1e-9)
    if not timings:
        return {"rps": 0.0, "requests": 0, "errors": failures}
    return {"rps": round(len(timings) / elapsed, 1), "p50_ms": ms(percentile(timings, 50)),
            "p95_ms": ms(percentile(timings, 95)), "p99_ms": ms(percentile(timings, 99)),
            "max_ms": ms(max(timings)), "requests": len(timings), "errors": failures}


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--database", help="another database on the --db server (default: the one --db names)")
    args.add_argument("--seconds", type=int, default=10, help="seconds of load per target (default 10)")
    args.add_argument("--connections", type=int, default=64)
    args.add_argument("--workers", type=int, default=4)
    args.add_argument("--threads", type=int, default=4)
    args.add_argument("--fresh", action="store_true", help="reseed even when the database holds a current region")
    args.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    args.add_argument("--targets", default=",".join(TARGETS),
                      help=f"which of {', '.join(TARGETS)} to load, in this order (default: all)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    chosen = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not chosen or set(chosen) - set(TARGETS):
        raise SystemExit(f"--targets: choose among {', '.join(TARGETS)}")
    if not args.db or make_url(args.db).get_backend_name() != "mysql":
        emit({"bench": "throughput", "skipped": "needs --db with a MySQL/MariaDB URL (gunicorn on a region)"})
        return
    url_text = target_url(args.db, args.database).render_as_string(hide_password=False)
    app = make_app(url_text)
    with app.app_context():
        slot_search.prepare(argparse.Namespace(db=url_text, fresh=args.fresh, seed=args.seed))
        paths = search_paths(random.Random(args.seed), PATHS)
        label = dialect_label()
        db.session.remove()
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    tool = "wrk" if use_wrk else "python"
    folder = Path(tempfile.mkdtemp(prefix="waitless-throughput-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, error_log = start_gunicorn(url_text, port, args.workers, args.threads, folder)
    figures: dict = {}
    keep = False
    try:
        wait_ready(process, base, paths[0].split("specialty=")[1].split("&")[0])
        urls = {"floor": ["/api/v1/health"], "specialties": ["/api/v1/specialties"], "search": paths}
        for i, name in enumerate(chosen):
            target = urls[name]
            key = name if name not in chosen[:i] else f"{name}_{chosen[:i + 1].count(name)}"  # search, search_2 ...
            log(f"throughput: {key} with {tool}, {args.connections} connections for {args.seconds} s...")
            figures[key] = (run_wrk(base, target, args.connections, args.seconds, folder) if use_wrk
                            else run_python(base, target, args.connections, args.seconds))
            log(f"throughput: {key}: {figures[key]}")
    finally:
        stop(process)
        tracebacks, exceptions = server_tracebacks(error_log)
        for line, n in exceptions.most_common(5):
            log(f"gunicorn log: {n} x {line}")
        if tracebacks:
            keep = True
            log(f"gunicorn's log kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    emit({"bench": "throughput", "db": label, "tool": tool, "connections": args.connections,
          "seconds": args.seconds, "workers": args.workers, "threads": args.threads, **figures,
          "server_tracebacks": tracebacks, "kept_logs": keep})


if __name__ == "__main__":
    main()
