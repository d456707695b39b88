"""Periodic jobs as plain functions. An APScheduler thread runs them in the embedded default;
`flask jobs run-once` runs each once (DESIGN.md sections 4 and 6)."""
from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Appointment, User
from app.models.base import utcnow

log = logging.getLogger(__name__)

# name -> (function, interval in seconds)
JOBS: dict[str, tuple[Callable[..., int], int]] = {}


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


@job("send_reminders", 300)
def send_reminders(now: datetime | None = None) -> int:
    """Queue reminders REMINDER_HOURS (24 h and 2 h by default, or the hospital's own reminder_hours) before each
    scheduled appointment.

    Each appointment gets the reminder of the nearest offset whose moment has come (a job that was down for a day
    sends one reminder, not two), and none for an offset that had passed when it was booked (the confirmation
    said it all). The dedupe key (appointment, offset, start) makes repeated runs harmless, and a moved
    appointment gets fresh reminders; delivery skips a reminder whose appointment was cancelled meanwhile.
    """
    from app.notifications import events

    now = now or utcnow()
    default = tuple(current_app.config.get("REMINDER_HOURS", (24, 2)))
    per_hospital = _reminder_hours_by_hospital()  # a hospital's own offsets replace the default
    widest = max((h for offsets in (default, *per_hospital.values()) for h in offsets), default=0)
    if not widest:
        return 0
    due = db.session.scalars(select(Appointment).where(
        Appointment.status == "scheduled", Appointment.kind != "location", Appointment.patient_id.is_not(None),
        Appointment.start > now, Appointment.start <= now + timedelta(hours=widest))).all()
    queued = 0
    for appointment in due:
        offsets = sorted(per_hospital.get(appointment.hospital_id, default))
        hours = next((h for h in offsets if appointment.start - now <= timedelta(hours=h)), None)
        if hours is None:
            continue
        if appointment.created_at > appointment.start - timedelta(hours=hours):
            continue
        queued += events.appointment_reminder(appointment, hours)
    db.session.commit()
    return queued


def _reminder_hours_by_hospital() -> dict[int, tuple[int, ...]]:
    """Hospitals that set their own reminder hours (Hospital.reminder_hours); a bad value falls back to the default."""
    from app.models.hospital import Hospital, parse_reminder_hours

    found = {}
    for hospital_id, value in db.session.execute(select(Hospital.id, Hospital.reminder_hours).where(
            Hospital.reminder_hours.is_not(None))):
        try:
            hours = parse_reminder_hours(value)
        except ValueError:
            log.warning("hospital %s: unreadable reminder hours %r, using the default", hospital_id, value)
            continue
        if hours is not None:
            found[hospital_id] = hours
    return found


@job("deliver_outbox", 30)
def deliver_outbox(ignore_backoff: bool = False) -> int:
    """Send the due outbox messages; returns how many went out."""
    from app.notifications.outbox import deliver_pending

    return deliver_pending(ignore_backoff=ignore_backoff)["sent"]


@job("mark_no_shows", 300)
def mark_no_shows(now: datetime | None = None) -> int:
    """Booked patients not checked in within their hospital's noshow_grace_minutes after the start become no-shows.

    booking.cancel(status="no_show") deletes the claims (or gives the token back) in the same transaction, so the
    time is free again for the waitlist. Room bookings have nobody to check in and are left alone.
    """
    from app import realtime
    from app import scheduling as core
    from app.models import Hospital
    from app.services import booking

    now = now or utcnow()
    late = db.session.execute(select(Appointment, Hospital.noshow_grace_minutes)
                              .join(Hospital, Hospital.id == Appointment.hospital_id)
                              .where(Appointment.status == "scheduled", Appointment.kind != "location",
                                     Appointment.patient_id.is_not(None), Appointment.start <= now)).all()
    marked = 0
    for appointment, grace in late:
        if appointment.start + timedelta(minutes=grace or 0) > now:
            continue
        try:
            booking.cancel(None, appointment, "not checked in", status="no_show",
                           comment=f"not checked in within {grace} minutes of the start")
            marked += 1
        except core.SchedulingError:
            log.warning("appointment %s could not become a no-show", appointment.id, exc_info=True)
    db.session.commit()
    realtime.publish_slot_changes()
    return marked


# A clinic that runs late still calls its last patients: a day's queue closes this long after the doctor's last hours
# of that day at that hospital end. A module constant, not a hospital setting: nobody has asked to tune it yet.
SESSION_GRACE = timedelta(minutes=60)


@job("close_queues", 900)
def close_queues(now: datetime | None = None) -> int:
    """Close each queue day whose session is over: no more tokens, no entry left open.

    A (queue, day) closes SESSION_GRACE after the end of the doctor's last availability window of that local day at
    that hospital (weekly hours with leave cut out and added time included, as search sees them), or at the
    hospital's local midnight when the doctor has no hours there that day. Still waiting -> left; called but never
    came in -> no_show; in progress -> completed without an end time (so a consultation nobody closed does not
    distort the estimated waits). Returns how many queue days were closed.
    """
    from app import realtime
    from app.models import Hospital, Queue, QueueCounter, QueueEntry
    from app.services import queue as queue_service

    now = now or utcnow()
    rows = db.session.execute(select(QueueCounter, Queue.doctor_id, Hospital)
                              .join(Queue, Queue.id == QueueCounter.queue_id)
                              .join(Hospital, Hospital.id == Queue.hospital_id)
                              .where(QueueCounter.closed_at.is_(None))).all()
    closing = _queue_closing_times(rows)
    closed = 0
    for counter, _doctor_id, _hospital in rows:
        if now < closing[(counter.queue_id, counter.day)]:
            continue
        entries = db.session.scalars(select(QueueEntry).where(
            QueueEntry.queue_id == counter.queue_id, QueueEntry.day == counter.day,
            QueueEntry.status.in_(("waiting", "called", "in_progress")))).all()
        for entry in entries:
            target = {"waiting": "left", "called": "no_show", "in_progress": "completed"}[entry.status]
            queue_service.set_status(None, entry, target, now=now, comment="queue closed at the end of the session")
            if target == "completed":
                entry.ended_at = None
        counter.closed_at = now
        closed += 1
    db.session.commit()
    realtime.publish_slot_changes()
    realtime.publish_queue_changes()
    return closed


def _queue_closing_times(rows) -> dict[tuple, datetime]:
    """(queue id, day) -> when that queue day closes, for (counter, doctor id, hospital) rows: the end of the
    doctor's last window that day at that hospital plus SESSION_GRACE, else the next local midnight. The calendars
    come from the availability service, read once per day for all the doctors."""
    from zoneinfo import ZoneInfo

    from app import scheduling as core
    from app.models import SchedulableResource
    from app.services.availability import load_calendars

    resources = dict(db.session.execute(select(SchedulableResource.doctor_id, SchedulableResource.id).where(
        SchedulableResource.doctor_id.in_({doctor_id for _, doctor_id, _ in rows}))).all()) if rows else {}
    by_day: dict = {}
    for counter, doctor_id, hospital in rows:
        by_day.setdefault(counter.day, []).append((counter, resources.get(doctor_id), hospital))
    closing = {}
    for day, items in by_day.items():
        pairs = [(resource_id, hospital.id) for _, resource_id, hospital in items if resource_id is not None]
        calendars = load_calendars(pairs, {hospital.id: hospital.timezone for _, _, hospital in items}, day, day)
        for counter, resource_id, hospital in items:
            tz = ZoneInfo(hospital.timezone)
            calendar = calendars.get((resource_id, hospital.id))
            windows = core.expand_windows([schedule for _, schedule in calendar.schedules], calendar.exceptions, tz,
                                          day, day) if calendar is not None else []
            closing[(counter.queue_id, day)] = (max(w.end for w in windows) + SESSION_GRACE if windows
                                                else core.to_utc(day + timedelta(days=1), time(0), tz))
    return closing


@job("expire_offers", 60)
def expire_offers(now: datetime | None = None) -> int:
    """Waitlist holds whose time is up: their offers expire and the slot goes to the next candidates, or back on
    sale when nobody is left (app.services.waitlist_offers). Returns the offers expired."""
    from app import realtime
    from app.services.waitlist import offers as waitlist_offers

    expired = waitlist_offers.expire_offers(now)
    db.session.commit()
    realtime.publish_slot_changes()  # a released hold is a freed slot to the pages watching it
    return expired


@job("offer_short_notice_slots", 300)
def offer_short_notice_slots(now: datetime | None = None) -> int:
    """The late release: free slots starting within LATE_RELEASE_HOURS (3 h) go to waiting entries, routine
    included, where the urgent reserve allows (app.services.waitlist_late). A slot only becomes that near as time
    passes, so a job looks every five minutes; a held slot is not free, so nothing is offered twice. Returns the
    offers made."""
    from app import realtime
    from app.services.waitlist import late as waitlist_late

    offered = waitlist_late.offer_short_notice_slots(now)
    db.session.commit()
    realtime.publish_slot_changes()  # a new hold takes the slot off sale for the pages watching it
    return offered


# what `flask jobs run-once` passes: delivery tries every pending message now, ignoring the backoff (DESIGN.md 6)
RUN_ONCE_ARGS: dict[str, dict] = {"deliver_outbox": {"ignore_backoff": True}}


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
    from app.notifications.outbox import init_app as init_outbox

    init_outbox(app)  # requests hand the messages they committed to delivery at once
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
