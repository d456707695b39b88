"""Reads that may come from a read replica (docs/operations.md, "Read replica").

With DATABASE_REPLICA_URL set, the views marked `@read_replica` (searches and other pages that write nothing) read
from the replica while it answers and lags at most DATABASE_REPLICA_MAX_LAG_SECONDS; everything else reads and
writes on the primary. Inside a marked view the primary still serves:

- who is asking: the login loaders (app/security.py) read `on_primary()`, and logins and API tokens are never read
  from the replica, so a revoked login ends at once, not a few seconds later;
- anything but a plain SELECT (a flush, an UPDATE, `SELECT ... FOR UPDATE`, raw SQL), and everything after the first
  write in the request, so a request never reads its own writes from a copy that has not seen them yet.

Bookings are never marked: every booking check reads the primary, and the claims there decide (docs/architecture.md,
"Integrity"). A replica that fails mid-request is marked down and the view runs again on the primary, so a stopped
replica costs one retried read, never an error.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Select, text
from sqlalchemy.exc import DBAPIError

from app.conversions import with_conversions

log = logging.getLogger(__name__)

BIND = "replica"  # the Flask-SQLAlchemy bind key of the replica's engine
HEALTH = "waitless.replica"  # app.extensions key of the app's ReplicaHealth
ACTIVE, USED = "waitless.read_replica", "waitless.read_replica_used"  # marks in the session's info
PRIMARY_ONLY_TABLES = frozenset({"user_sessions", "api_tokens", "login_throttle"})  # the logins themselves
CONNECT_TIMEOUT_SECONDS = 2  # an unreachable replica costs a request at most this long, once per check interval


def replica_lag(rows: Iterable[Mapping[str, Any]]) -> float | None:
    """Seconds the replica is behind its primary, from SHOW REPLICA STATUS rows: the worst channel's lag; None when
    it is not replicating (no channel, or a channel whose threads stopped or lost the primary: MariaDB and MySQL
    report its lag as NULL then)."""
    lags = [row.get("Seconds_Behind_Master", row.get("Seconds_Behind_Source")) for row in rows]
    if not lags or any(lag is None for lag in lags):
        return None
    return float(max(lags))


class ReplicaHealth:
    """Whether the replica may serve reads, asked of the replica at most once per `every` seconds per process."""

    def __init__(self, engine, max_lag: float, every: float, clock: Callable[[], float] = time.monotonic):
        self.engine, self.max_lag, self.every, self.clock = engine, max_lag, every, clock
        self._usable, self._next_check = False, 0.0
        self._reported: bool | None = None  # what the log last said
        self.reason: str | None = None  # why the last check skipped the replica
        self._lock = threading.Lock()

    def usable(self) -> bool:
        if self.clock() >= self._next_check and self._lock.acquire(blocking=False):
            try:  # one thread asks; the others go on with the last answer meanwhile
                self.refresh()
            finally:
                self._lock.release()
        return self._usable

    def refresh(self) -> bool:
        """Ask the replica now and keep the answer for `every` seconds; the log hears of each change."""
        usable = self.check()
        if usable != self._reported:
            if usable:
                log.info("read replica in use")
            else:
                log.warning("read replica skipped, reading from the primary: %s", self.reason)
            self._reported = usable
        self._usable, self._next_check = usable, self.clock() + self.every
        return usable

    def check(self) -> bool:
        """Ask the replica now: reachable and at most max_lag seconds behind."""
        self.reason = self.why_not()
        return self.reason is None

    def why_not(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                if conn.dialect.name != "mysql":  # no replication status to read: reachable is all we can know
                    conn.execute(text("SELECT 1"))
                    return None
                lag = replica_lag(conn.execute(text("SHOW REPLICA STATUS")).mappings().all())
        except DBAPIError as err:
            return f"unusable ({err.orig})"
        if lag is None:
            return "not replicating"
        if lag > self.max_lag:
            return f"{lag:.0f} s behind (limit {self.max_lag:g} s)"
        return None

    def mark_down(self) -> None:
        """The replica just failed a read: skip it until the next check."""
        self._usable, self._next_check = False, self.clock() + self.every


def init_replica(app: Flask) -> None:
    """Before db.init_app: DATABASE_REPLICA_URL becomes the `replica` bind (Flask-SQLAlchemy makes its engine)."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    options: dict[str, Any] = {"url": url, "pool_pre_ping": True}
    if url.startswith("mysql"):
        options = with_conversions({**options, "connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}})
    app.config["SQLALCHEMY_BINDS"] = {**(app.config.get("SQLALCHEMY_BINDS") or {}), BIND: options}


def start_health(app: Flask, engines: Mapping[str | None, Any]) -> None:
    """After db.init_app: the replica's health, kept per app."""
    if BIND in engines:
        app.extensions[HEALTH] = ReplicaHealth(engines[BIND], float(app.config["DATABASE_REPLICA_MAX_LAG_SECONDS"]),
                                               float(app.config["DATABASE_REPLICA_CHECK_SECONDS"]))


def health() -> ReplicaHealth | None:
    return current_app.extensions.get(HEALTH)


def _session_info() -> dict:
    return current_app.extensions["sqlalchemy"].session.info  # this app context's session


@contextmanager
def on_primary() -> Iterator[None]:
    """Reads inside the block come from the primary, even in a `@read_replica` view."""
    marked = has_app_context() and _session_info().pop(ACTIVE, False)
    try:
        yield
    finally:
        if marked:
            _session_info().setdefault(ACTIVE, True)


def read_replica(view: Callable) -> Callable:
    """Mark a view that writes nothing: its plain reads may come from the replica (see the module's docstring)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        replica = health()
        if replica is None:
            return view(*args, **kwargs)
        info = _session_info()
        info.setdefault(ACTIVE, True)
        try:
            return view(*args, **kwargs)
        except DBAPIError:
            if not info.pop(USED, False):
                raise  # the primary failed: app/errors.py answers (503 with Retry-After when it passes)
            log.warning("read replica failed mid-request; reading from the primary", exc_info=True)
            replica.mark_down()
            current_app.extensions["sqlalchemy"].session.rollback()
            info.pop(ACTIVE, None)
            return view(*args, **kwargs)
        finally:
            info.pop(ACTIVE, None)
            info.pop(USED, None)
    return wrapper


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, which hands plain reads in `@read_replica` views to the replica.

    The marks live in the session's `info`, which is this request's own (Flask-SQLAlchemy keeps one session per
    app context): every statement asks get_bind, and a dictionary lookup is all an unmarked one pays.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.info.get(ACTIVE):
            if self._is_plain_read(mapper, clause):
                replica = health()
                if replica is not None and replica.usable():
                    self.info.setdefault(USED, True)
                    return current_app.extensions["sqlalchemy"].engines[BIND]
            elif not isinstance(clause, Select):  # a flush asks with no clause at all
                self.info.pop(ACTIVE, None)  # written (or about to): the rest of the request reads its own writes
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    @staticmethod
    def _is_plain_read(mapper, clause) -> bool:
        if not isinstance(clause, Select) or clause._for_update_arg is not None:
            return False
        table = getattr(mapper, "local_table", None)  # the ORM names the entity it loads; that is enough here
        return table is None or table.name not in PRIMARY_ONLY_TABLES
