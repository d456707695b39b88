"""Periodic jobs as plain functions. An APScheduler thread runs them in the embedded default;
`flask jobs run-once` runs each once (DESIGN.md sections 4 and 6)."""
from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.models import User
from app.models.base import utcnow

log = logging.getLogger(__name__)

# name -> (function, interval in seconds)
JOBS: dict[str, tuple[Callable[[], int], int]] = {}


def job(name: str, every_seconds: int):
    def register(fn):
        JOBS[name] = (fn, every_seconds)
        return fn
    return register


@job("release_expired_lockouts", 300)
def release_expired_lockouts() -> int:
    """Clear lockouts whose time is up, so the account list shows who is really locked."""
    result = db.session.execute(
        update(User).where(User.locked_until.is_not(None), User.locked_until <= utcnow())
        .values(locked_until=None, failed_logins=0)
    )
    db.session.commit()
    return result.rowcount


@job("purge_unverified_accounts", 3600)
def purge_unverified_accounts() -> int:
    """Deactivate self-registered accounts never confirmed within 30 days (their address may be someone else's)."""
    cutoff = utcnow() - timedelta(days=30)
    result = db.session.execute(
        update(User).where(User.email_verified_at.is_(None), User.created_at < cutoff, User.active.is_(True))
        .values(active=False)
    )
    db.session.commit()
    return result.rowcount


def run_all() -> dict[str, int]:
    results = {}
    for name, (fn, _every) in JOBS.items():
        try:
            results[name] = fn()
        except Exception:  # one failing job must not stop the others
            db.session.rollback()
            log.exception("job %s failed", name)
            results[name] = -1
    return results


def init_jobs(app: Flask) -> None:
    if not app.config.get("JOBS_ENABLED") or app.config.get("CELERY_BROKER_URL"):
        return
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(daemon=True)

    def wrap(fn):
        def run():
            with app.app_context():
                try:
                    fn()
                except Exception:
                    db.session.rollback()
                    log.exception("job %s failed", fn.__name__)
        return run

    for name, (fn, every) in JOBS.items():
        scheduler.add_job(wrap(fn), "interval", seconds=every, id=name, max_instances=1, coalesce=True)
    scheduler.start()
    atexit.register(lambda: scheduler.shutdown(wait=False))
