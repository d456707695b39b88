"""Closing a day's queues when the doctor's session is over."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Hospital, Queue, QueueCounter, QueueEntry, SchedulableResource
from app.models.base import utcnow
from app.services.availability import load_calendars
from app.services.queue.operations import set_status

# A clinic that runs late still calls its last patients: a day's queue closes this long after the doctor's last hours
# of that day at that hospital end. A module constant, not a hospital setting: nobody has asked to tune it yet.
SESSION_GRACE = timedelta(minutes=60)


def close_queues(now: datetime | None = None) -> int:
    """Close each queue day whose session is over: no more tokens, no entry left open.

    A (queue, day) closes SESSION_GRACE after the end of the doctor's last availability window of that local day at
    that hospital (weekly hours with leave cut out and added time included, as search sees them), or at the
    hospital's local midnight when the doctor has no hours there that day. Still waiting -> left; called but never
    came in -> no_show; in progress -> completed without an end time (so a consultation nobody closed does not
    distort the estimated waits). Returns how many queue days were closed.
    """
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
            set_status(None, entry, target, now=now, comment="queue closed at the end of the session")
            if target == "completed":
                entry.ended_at = None
        counter.closed_at = now
        closed += 1
    return closed


def _queue_closing_times(rows) -> dict[tuple, datetime]:
    """(queue id, day) -> when that queue day closes, for (counter, doctor id, hospital) rows: the end of the
    doctor's last window that day at that hospital plus SESSION_GRACE, else the next local midnight. The calendars
    come from the availability service, read once per day for all the doctors."""
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
