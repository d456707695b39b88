"""Login throttling per (account, client address) pair, instead of a lock anyone could trigger
(docs/security.md, "Logins").

A pair may fail LOGIN_THROTTLE_FREE times within LOGIN_THROTTLE_WINDOW_SECONDS; after that it waits 2, 4, 8 ...
seconds (at most LOGIN_THROTTLE_MAX_SECONDS) before its next try is even checked. The owner logging in from another
address is a different pair and is never slowed down by a stranger's failures. Rows are keyed by the SHA-256 of the
normalised e-mail, known account or not, so the table answers alike for both and keeps no addresses of people.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import LoginThrottle
from app.models.base import utcnow
from app.services.rows import ensure_row

UNKNOWN_ADDRESS = "unknown"


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _pair(email: str, address: str | None):
    return (LoginThrottle.email_hash == email_hash(email),
            LoginThrottle.address == ((address or UNKNOWN_ADDRESS)[:45]))


def wait_seconds(email: str, address: str | None, now: datetime | None = None) -> int:
    """How long this pair must still wait before a try is checked (0: go ahead)."""
    now = now or utcnow()
    blocked = db.session.scalar(select(LoginThrottle.blocked_until).where(*_pair(email, address)))
    if blocked is None or blocked <= now:
        return 0
    return max(1, math.ceil((blocked - now).total_seconds()))


def delay_after(failures: int) -> int:
    """Seconds to wait after this many failures in the window: 0 while free, then 2, 4, 8 ... capped."""
    cfg = current_app.config
    over = failures - cfg["LOGIN_THROTTLE_FREE"]
    if over < 0:
        return 0
    return min(cfg["LOGIN_THROTTLE_MAX_SECONDS"], 2 ** min(over + 1, 30))


def record_failure(email: str, address: str | None, now: datetime | None = None) -> int:
    """Count a failed try of the pair; returns the delay it now has to wait (0 while it has tries left)."""
    now = (now or utcnow()).replace(microsecond=0)
    key, where = email_hash(email), _pair(email, address)
    ensure_row(LoginThrottle, {"email_hash": key, "address": (address or UNKNOWN_ADDRESS)[:45]},
               {"failures": 0, "window_start": now})
    window = timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    db.session.execute(update(LoginThrottle).where(*where, LoginThrottle.window_start <= now - window)
                       .values(failures=0, window_start=now, blocked_until=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(LoginThrottle).where(*where).values(failures=LoginThrottle.failures + 1)
                       .execution_options(synchronize_session=False))
    failures = db.session.scalar(select(LoginThrottle.failures).where(*where))
    delay = delay_after(failures)
    if delay:
        db.session.execute(update(LoginThrottle).where(*where).values(blocked_until=now + timedelta(seconds=delay))
                           .execution_options(synchronize_session=False))
    return delay


def clear(email: str, address: str | None) -> None:
    """A successful login forgets the pair's failures."""
    db.session.execute(delete(LoginThrottle).where(*_pair(email, address))
                       .execution_options(synchronize_session=False))


def purge(now: datetime | None = None) -> int:
    """Forget pairs whose window and delay have both passed (the housekeeping job)."""
    now = now or utcnow()
    window = timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    result = db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.window_start <= now - window,
        (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until <= now))
        .execution_options(synchronize_session=False))
    return result.rowcount
