"""What every benchmark shares: its database, its log, percentiles and the one JSON line it prints.

Progress goes to stderr; stdout carries exactly one JSON line, so `make bench | jq` works. Every benchmark accepts
the common flags (--db, --seed) and ignores the others' flags, so one BENCH_ARGS drives them all. Without --db a
benchmark runs on a temporary SQLite file with the app's own settings (WAL, busy timeout); with --db it uses that
URL, e.g. mysql+pymysql://root@127.0.0.1:3306/wl_bench?charset=utf8mb4, and builds the schema through the Alembic
history.
"""
from __future__ import annotations

import argparse
import atexit
import json
import math
import shutil
import sys
import tempfile

from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db


def parser(description: str) -> argparse.ArgumentParser:
    """The flags every benchmark accepts, so one BENCH_ARGS drives them all (docs/benchmarks.md): --db and --seed.
    Each benchmark adds its own; no abbreviations, so one benchmark's flag never passes for another's."""
    args = argparse.ArgumentParser(description=description, allow_abbrev=False)
    args.add_argument("--db", metavar="URL", help="database URL (default: a temporary SQLite file); benchmarks "
                      "without a database accept it and ignore it")
    args.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    return args


def parse(args: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the common and own flags; another benchmark's flags (`make bench BENCH_ARGS="--db URL --rounds 5"`)
    are ignored with a line on stderr instead of stopping the run. A bad value of a known flag still stops it."""
    options, others = args.parse_known_args(argv)
    if others:
        log(f"{args.prog}: ignoring {' '.join(others)} (not a flag of this benchmark)")
    return options


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def emit(figures: dict) -> None:
    """The benchmark's one line on stdout."""
    print(json.dumps(figures, sort_keys=False), flush=True)


def make_app(url: str | None, *, pool_size: int | None = None) -> Flask:
    """The app in its testing configuration on `url`, or on a temporary SQLite file removed at exit."""
    if url is None:
        folder = tempfile.mkdtemp(prefix="waitless-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        url = f"sqlite:///{folder}/bench.sqlite"
    else:
        ensure_database(url)
    options: dict = {"pool_pre_ping": True}
    if pool_size:
        options.update(pool_size=pool_size, max_overflow=10, pool_timeout=60)
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options,
                      RATELIMIT_ENABLED=False)


def ensure_database(url: str) -> None:
    """Create the MySQL/MariaDB database named in the URL when it does not exist yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "mysql" or not parsed.database:
        return
    engine = create_engine(parsed.set(database=""))
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{parsed.database}` CHARACTER SET utf8mb4"))
    finally:
        engine.dispose()


def reset_schema() -> None:
    """Drop every table and build the schema again through the migrations (inside an app context)."""
    from flask_migrate import upgrade

    engine = db.engine
    tables = inspect(engine).get_table_names()
    if tables:
        log(f"dropping {len(tables)} tables")
        with engine.begin() as conn:
            if engine.dialect.name == "mysql":
                conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in tables:
                conn.execute(text(f"DROP TABLE {engine.dialect.identifier_preparer.quote(table)}"))
            if engine.dialect.name == "mysql":
                conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    upgrade()


def dialect_label() -> str:
    """sqlite, mysql or mariadb: the server, not only the driver's dialect."""
    engine = db.engine
    if engine.dialect.name == "mysql":
        with engine.connect() as conn:
            version = conn.execute(text("SELECT VERSION()")).scalar() or ""
        return "mariadb" if "mariadb" in version.lower() else "mysql"
    return engine.dialect.name


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
