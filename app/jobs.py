"""Periodic jobs: an entry point beside the pages, the API and the CLI (docs/architecture.md, "Layers").

Each job is a thin function: it calls one service inside the transaction boundary, so its writes commit once and
what they change is announced after the commit. The embedded default runs them in an APScheduler thread;
`flask jobs run-once` runs each once; with CELERY_BROKER_URL set, Celery beat runs the same functions (app.celery_app).
This module also registers, at start-up, how committed outbox messages reach delivery (OUTBOX_DELIVERY).
"""
from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app

from app.extensions import db
from app.models.base import utcnow
from app.notifications import outbox
from app.services.accounts import housekeeping
from app.services.availability import index as availability_index
from app.services.booking import noshows, reminders
from app.services.federation import SourceError
from app.services.federation import sync as federation_sync
from app.services.payments import checkout as payment_checkout
from app.services.queue import closing
from app.services.reports import stats as report_stats
from app.services.reports import totals as report_totals
from app.services.waitlist import late as waitlist_late
from app.services.waitlist import offers as waitlist_offers
from app.transaction import transaction

log = logging.getLogger(__name__)

# name -> (function, interval in seconds)
JOBS: dict[str, tuple[Callable[..., int], int]] = {}
DELIVER_TASK = "waitless.outbox.deliver"  # the Celery task that delivers committed messages (app.celery_app)


def job(name: str, every_seconds: int):
    def register(fn):
        JOBS[name] = (fn, every_seconds)
        return fn
    return register


@job("purge_login_state", 300)
def purge_login_state(now: datetime | None = None) -> int:
    with transaction():
        return housekeeping.purge_login_state(now)


@job("purge_unverified_accounts", 3600)
def purge_unverified_accounts(now: datetime | None = None) -> int:
    with transaction():
        return housekeeping.purge_unverified_accounts(now)


@job("send_reminders", 300)
def send_reminders(now: datetime | None = None) -> int:
    """Reminders at each appointment type's offsets (else the hospital's hours, else REMINDER_HOURS); returns how many
    were queued (docs/operations.md, "Reminders")."""
    with transaction():
        return reminders.send_reminders(tuple(current_app.config.get("REMINDER_HOURS", (24, 2))), now,
                                        confirm_hours=current_app.config.get("NOSHOW_CONFIRM_HOURS", 72))


@job("deliver_outbox", 30)
def deliver_outbox(ignore_backoff: bool = False) -> int:
    """Send the due outbox messages (each in its own short transactions); returns how many went out."""
    return outbox.deliver_pending(ignore_backoff=ignore_backoff)["sent"]


@job("mark_no_shows", 300)
def mark_no_shows(now: datetime | None = None) -> int:
    with transaction():
        return noshows.mark_no_shows(now)


@job("close_queues", 900)
def close_queues(now: datetime | None = None) -> int:
    with transaction():
        return closing.close_queues(now)


@job("expire_offers", 60)
def expire_offers(now: datetime | None = None) -> int:
    """Waitlist holds whose time is up move on to the next candidates, or back on sale."""
    with transaction():
        return waitlist_offers.expire_offers(now)


@job("expire_payment_holds", 60)
def expire_payment_holds(now: datetime | None = None) -> int:
    """Slots held for a payment that did not arrive in time go back on sale (docs/payments.md)."""
    with transaction():
        return payment_checkout.expire_holds(now)


@job("offer_short_notice_slots", 300)
def offer_short_notice_slots(now: datetime | None = None) -> int:
    """The late release: free slots starting within a few hours go to any waiting patient the reserve allows."""
    with transaction():
        return waitlist_late.offer_short_notice_slots(now)


# what `flask jobs run-once` passes: delivery tries every pending message now, ignoring the backoff (docs/cli.md)
RUN_ONCE_ARGS: dict[str, dict] = {"deliver_outbox": {"ignore_backoff": True}}


@job("index_availability", 86400)
def index_availability(now: datetime | None = None) -> int:
    """The availability index's daily step: days behind its window go, days entering it are indexed, one doctor
    per transaction (docs/availability-index.md). Returns the rows written."""
    with transaction():
        availability_index.roll(now)
    rows = 0
    for doctor_id in availability_index.doctor_ids():
        with transaction():
            rows += availability_index.roll_in(doctor_id, now)
    return rows


@job("rebuild_stats", 86400)
def rebuild_stats(now: datetime | None = None) -> int:
    """The nightly statistics: yesterday (UTC) computed again from its appointments, queues and offers
    (docs/reports.md). Returns the daily rows written."""
    day = (now or utcnow()).date() - timedelta(days=1)
    with transaction():
        written = report_stats.rebuild(day, day)["daily_rows"]
        report_totals.refresh(day)
        return written


@job("sync_federation", 300)
def sync_federation(now: datetime | None = None) -> int:
    """Every federation source's slots fetched again (docs/federation.md, "Sync"). Returns the slots upserted."""
    return sync_sources(now)["upserted"]


def sync_sources(now: datetime | None = None) -> dict[str, int]:
    """Sync each source: the network outside any transaction, then one transaction per source for its outcome,
    so a slow or failing source neither holds a transaction open nor undoes another's result. The report is the
    `federation sync` line (docs/cli.md)."""
    now = now or utcnow()
    with transaction():
        wanted, circuit_open = federation_sync.due(now)
    report = {"sources": len(wanted) + len(circuit_open), "fetched": 0, "upserted": 0, "removed": 0, "errors": 0,
              "stale": 0}
    for source_id in circuit_open:
        with transaction():
            outcome = federation_sync.failed(source_id, None, now)
        report["errors"] += 1
        report["removed"] += outcome.removed
        report["stale"] += outcome.stale
    for spec in wanted:
        try:
            fetched = federation_sync.fetch(spec, now)
        except SourceError as err:
            with transaction():
                outcome = federation_sync.failed(spec.id, err, now)
            report["errors"] += 1
        else:
            with transaction():
                outcome = federation_sync.apply(spec.id, fetched, now)
            report["fetched"] += fetched.fetched
            report["errors"] += fetched.skipped
        report["upserted"] += outcome.upserted
        report["removed"] += outcome.removed
        report["stale"] += outcome.stale
    return report


def run_all() -> dict[str, int]:
    results = {}
    for name, (fn, _every) in JOBS.items():
        try:
            results[name] = fn(**RUN_ONCE_ARGS.get(name, {}))
        except Exception:  # one failing job must not stop the others
            db.session.rollback()
            log.exception("job %s failed", name)
            results[name] = -1
    return results


def init_jobs(app: Flask) -> None:
    outbox.init_app(app)
    configure_delivery(app)
    if app.config.get("JOBS_ENABLED") and not app.config.get("CELERY_BROKER_URL"):
        _start_scheduler(app)


def configure_delivery(app: Flask) -> None:
    """How committed messages reach delivery, from OUTBOX_DELIVERY: inline, thread, celery (a task on the broker)
    or off (the periodic job sends them)."""
    mode = app.config.get("OUTBOX_DELIVERY", "thread")
    dispatch = {"inline": outbox.deliver_inline, "thread": outbox.deliver_in_thread}.get(mode)
    if mode == "celery":
        dispatch = _celery_sender(app)
    outbox.set_dispatcher(app, dispatch)


def _celery_sender(app: Flask) -> Callable[[list[str]], None]:
    """Send the delivery task by name: the web process needs a broker connection, not the workers' task modules."""
    from celery import Celery

    client = Celery(app.import_name, broker=app.config["CELERY_BROKER_URL"])
    queue = app.config.get("CELERY_QUEUE", "waitless")

    def send(keys: list[str]) -> None:
        client.send_task(DELIVER_TASK, args=[keys], queue=queue)

    return send


def _start_scheduler(app: Flask) -> None:
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
