"""Reading the token queue: a doctor's board in serving order with positions and estimated waits (issue #5).

The serving order and the estimate are the core's (app.scheduling.tokens.serving_plan, the rule in docs/queue.md),
fed with the doctor's consultations of the day (started_at -> ended_at of completed entries, at any hospital), the
slot length of the doctor's schedule as the pace before the first one, and the hospital's no-show grace as the
time a booked patient may be late and still keep their slot.

A board reads top down as the desk and the nurses work it: "now serving" first (in progress, then called), then the
waiting in serving order with their positions, then the finished ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.extensions import db
from app.models import AvailabilityRule, Doctor, Hospital, Queue, QueueEntry, SchedulableResource, Schedule
from app.models.base import utcnow
from app.scheduling.codes import EntryStatus

DEFAULT_MINUTES = 15
ACTIVE_FIRST = ("in_progress", "called")  # above the waiting: whoever is being seen or is on the way in
FINISHED = ("completed", "left", "no_show")  # below the waiting, in this order


@dataclass
class QueueRow:
    """One line of a board."""

    entry: QueueEntry
    position: int | None  # 1-based among the waiting; None once called, in progress or done
    estimated_wait_minutes: int | None  # waiting entries of today only
    room_name: str | None


def room_name(entry: QueueEntry) -> str | None:
    """Where the patient is called to: the queue's room, else the booked appointment's room."""
    if entry.queue.room is not None:
        return entry.queue.room.name
    if entry.appointment is not None and entry.appointment.room is not None:
        return entry.appointment.room.name
    return None


def _items(entries: list[QueueEntry]) -> list[core.QueueItem]:
    return [core.QueueItem(e.id, e.priority, e.source, e.arrived_at,
                           e.appointment.start if e.appointment is not None else None, e.manual_offset)
            for e in entries]


def day_consultations(doctor_id: int, day: date) -> list[float]:
    """The doctor's consultation lengths of the day in minutes (any hospital), in the order they ended: the pace is
    learnt from them afresh each day."""
    rows = db.session.execute(
        select(QueueEntry.started_at, QueueEntry.ended_at).join(Queue, Queue.id == QueueEntry.queue_id)
        .where(Queue.doctor_id == doctor_id, QueueEntry.day == day, QueueEntry.status == EntryStatus.COMPLETED,
               QueueEntry.started_at.is_not(None), QueueEntry.ended_at.is_not(None))
        .order_by(QueueEntry.ended_at, QueueEntry.id)).all()
    return [(end - start).total_seconds() / 60 for start, end in rows]


def slot_minutes(doctor_id: int, hospital_id: int, day: date) -> int:
    """The slot length of the doctor's schedule rules at the hospital that day (their shortest), else 15."""
    rows = db.session.scalars(
        select(AvailabilityRule.slot_minutes).join(Schedule, Schedule.id == AvailabilityRule.schedule_id)
        .join(SchedulableResource, SchedulableResource.id == Schedule.resource_id)
        .where(SchedulableResource.doctor_id == doctor_id, Schedule.hospital_id == hospital_id,
               Schedule.valid_from <= day, (Schedule.valid_till.is_(None)) | (Schedule.valid_till > day),
               AvailabilityRule.weekday == day.weekday())).all()
    return min(rows) if rows else DEFAULT_MINUTES


def _board(hospital: Hospital, queue: Queue, day: date, now: datetime) -> list[QueueRow]:
    entries = list(db.session.scalars(select(QueueEntry).where(QueueEntry.queue_id == queue.id,
                                                                QueueEntry.day == day)
                                      .options(selectinload(QueueEntry.patient),
                                               selectinload(QueueEntry.appointment))))
    waiting = [e for e in entries if e.status == EntryStatus.WAITING]
    by_id = {e.id: e for e in waiting}
    order, waits = core.serving_plan(
        _items(waiting), day_consultations(queue.doctor_id, day), now,
        in_progress_started=[e.started_at for e in entries if e.status == EntryStatus.IN_PROGRESS and e.started_at],
        called_ahead=sum(1 for e in entries if e.status == EntryStatus.CALLED),
        default_minutes=slot_minutes(queue.doctor_id, hospital.id, day),
        late_grace_minutes=hospital.noshow_grace_minutes or 0)
    ordered = [by_id[item.id] for item in order]
    if day != core.local_day(now, ZoneInfo(hospital.timezone)):
        waits = {}  # another day's line is a record, not a promise
    serving = sorted((e for e in entries if e.status in ACTIVE_FIRST),
                     key=lambda e: (ACTIVE_FIRST.index(e.status), e.started_at or e.called_at or e.arrived_at,
                                    e.number))
    finished = sorted((e for e in entries if e.status in FINISHED),
                      key=lambda e: (FINISHED.index(e.status), e.called_at or e.ended_at or e.arrived_at, e.number))
    return ([QueueRow(e, None, None, room_name(e)) for e in serving]
            + [QueueRow(e, i, waits.get(e.id), room_name(e)) for i, e in enumerate(ordered, start=1)]
            + [QueueRow(e, None, None, room_name(e)) for e in finished])


def queue_for(hospital_id: int, doctor_id: int, day: date | None = None, *,
              now: datetime | None = None) -> list[QueueRow]:
    """The doctor's board: in progress and called on top, the waiting in serving order, then the finished."""
    now = now or utcnow()
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        return []
    day = day or core.local_day(now, ZoneInfo(hospital.timezone))
    queue = db.session.scalar(select(Queue).where(Queue.hospital_id == hospital_id, Queue.doctor_id == doctor_id))
    return _board(hospital, queue, day, now) if queue is not None else []


def hospital_board(hospital_id: int, day: date | None = None, *,
                   now: datetime | None = None) -> dict[Doctor, list[QueueRow]]:
    """Every doctor with tokens that day at the hospital, by name: the desk, nurse station and waiting room."""
    now = now or utcnow()
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        return {}
    day = day or core.local_day(now, ZoneInfo(hospital.timezone))
    queues = db.session.scalars(select(Queue).where(
        Queue.hospital_id == hospital_id,
        Queue.id.in_(select(QueueEntry.queue_id).where(QueueEntry.day == day)))).all()
    boards = {q.doctor: _board(hospital, q, day, now) for q in queues}
    return dict(sorted(boards.items(), key=lambda pair: (pair[0].name, pair[0].id)))


def position_of(entry: QueueEntry, *, now: datetime | None = None) -> int | None:
    """The entry's 1-based place among the waiting of its queue and day; None when it is not waiting."""
    if entry.status != EntryStatus.WAITING:
        return None
    queue = entry.queue
    rows = queue_for(queue.hospital_id, queue.doctor_id, entry.day, now=now)
    return next((r.position for r in rows if r.entry.id == entry.id), None)
