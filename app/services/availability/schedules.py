"""Publishing availability: weekly schedules (a new configuration closes the old one) and exceptions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import (
    AvailabilityException,
    AvailabilityRule,
    Doctor,
    Hospital,
    Room,
    SchedulableResource,
    Schedule,
    User,
)
from app.notifications import events as notify
from app.scheduling.words import Text
from app.services import audit, signals
from app.services.availability.calendars import load_calendars, policy_of, rule_of

RULE_FIELDS = ("weekday", "start", "end", "kind", "slot_minutes", "tokens_per_slot", "appointment_types", "room_id")


@dataclass
class RuleInput:
    weekday: int
    start: object
    end: object
    kind: str = "slots"
    slot_minutes: int = 15
    tokens_per_slot: int = 1
    appointment_types: list[str] = field(default_factory=list)
    room_id: int | None = None


@dataclass
class ScheduleInput:
    valid_from: date
    valid_till: date | None
    rules: list[RuleInput]
    horizon_days: int = 60
    daily_limit: int | None = None
    min_notice_minutes: int = 60
    buffer_minutes: int = 0
    urgent_share: float = 0.0
    urgent_release_hours: int = 24


def current_schedule(resource_id: int, hospital_id: int, on: date) -> Schedule | None:
    return db.session.scalar(
        select(Schedule).where(Schedule.resource_id == resource_id, Schedule.hospital_id == hospital_id,
                               Schedule.valid_from <= on,
                               (Schedule.valid_till.is_(None)) | (Schedule.valid_till > on))
        .order_by(Schedule.valid_from.desc()).limit(1))


def put_schedule(actor_id: int | None, resource_id: int, hospital_id: int, data: ScheduleInput) -> Schedule:
    """Start a new configuration at data.valid_from, closing the one in force there; ScheduleInvalid on errors."""
    row = Schedule(resource_id=resource_id, hospital_id=hospital_id, valid_from=data.valid_from,
                   valid_till=data.valid_till, horizon_days=data.horizon_days, daily_limit=data.daily_limit,
                   min_notice_minutes=data.min_notice_minutes, buffer_minutes=data.buffer_minutes,
                   urgent_share=data.urgent_share, urgent_release_hours=data.urgent_release_hours)
    row.rules = [AvailabilityRule(weekday=r.weekday, start=r.start, end=r.end, kind=r.kind,
                                  slot_minutes=r.slot_minutes, tokens_per_slot=r.tokens_per_slot,
                                  appointment_types=",".join(sorted(set(r.appointment_types))), room_id=r.room_id)
                 for r in data.rules]
    errors = core.validate_schedule(tuple(rule_of(r) for r in row.rules), data.valid_from, data.valid_till,
                                    policy_of(row))
    room_ids = {r.room_id for r in data.rules if r.room_id is not None}
    if room_ids:
        known = set(db.session.scalars(select(Room.id).where(Room.id.in_(room_ids), Room.hospital_id == hospital_id)))
        for i, r in enumerate(data.rules):
            if r.room_id is not None and r.room_id not in known:
                errors[f"rules.{i}.room_id"] = "No such room at this hospital."
    for i, message in _room_clashes(resource_id, hospital_id, data).items():
        errors.setdefault(f"rules.{i}.room_id", message)
    if errors:
        raise core.ScheduleInvalid("The schedule has errors.", fields=errors)
    previous = db.session.scalars(select(Schedule).where(
        Schedule.resource_id == resource_id, Schedule.hospital_id == hospital_id,
        (Schedule.valid_till.is_(None)) | (Schedule.valid_till > data.valid_from))).all()
    for old in previous:
        if old.valid_from >= data.valid_from:
            db.session.delete(old)  # wholly replaced: it never took effect
        else:
            old.valid_till = data.valid_from
    db.session.add(row)
    db.session.flush()
    audit.record(actor_id, "schedule.put", "schedule", row.id, hospital_id=hospital_id,
                 after={"valid_from": data.valid_from.isoformat(),
                        "valid_till": data.valid_till.isoformat() if data.valid_till else None,
                        "rules": [audit.snapshot(r, RULE_FIELDS) for r in row.rules],
                        "horizon_days": row.horizon_days, "daily_limit": row.daily_limit})
    return row


def _room_clashes(resource_id: int, hospital_id: int, data: ScheduleInput) -> dict[int, str]:
    """Rules (by index) that would put this doctor in a room another doctor holds at that time, with the clash."""
    room_ids = {r.room_id for r in data.rules if r.room_id is not None}
    if not room_ids:
        return {}
    names = dict(db.session.execute(select(Room.id, Room.name).where(Room.id.in_(room_ids))).all())
    held = db.session.execute(
        select(AvailabilityRule, Schedule.valid_from, Schedule.valid_till, User.name)
        .join(Schedule, Schedule.id == AvailabilityRule.schedule_id)
        .join(SchedulableResource, SchedulableResource.id == Schedule.resource_id)
        .join(Doctor, Doctor.id == SchedulableResource.doctor_id)
        .join(User, User.id == Doctor.user_id)
        .where(AvailabilityRule.room_id.in_(room_ids), Schedule.resource_id != resource_id, Doctor.active,
               (Schedule.valid_till.is_(None)) | (Schedule.valid_till > data.valid_from))).all()
    others = [core.RoomUse(rule.room_id, names.get(rule.room_id, ""), name, rule.weekday, rule.start, rule.end,
                           valid_from, valid_till) for rule, valid_from, valid_till, name in held]
    wanted = [(i, core.RoomUse(r.room_id, names.get(r.room_id, ""), "", r.weekday, r.start, r.end,
                               data.valid_from, data.valid_till))
              for i, r in enumerate(data.rules) if r.room_id is not None and r.start < r.end]
    found = core.room_clashes([use for _, use in wanted], others)
    return {wanted[n][0]: core.clash_message(use) for n, use in found.items()}


def add_exception(actor_id: int | None, resource_id: int, hospital_id: int, start: datetime, end: datetime,
                  available: bool, reason: str, *, now: datetime | None = None) -> AvailabilityException:
    if end <= start:
        raise core.ScheduleInvalid("The end must be after the start.", fields={"end": "Must be after the start."})
    if available:
        _refuse_room_overlap(resource_id, hospital_id, start, end)
    row = AvailabilityException(resource_id=resource_id, hospital_id=hospital_id, start=start, end=end,
                                available=available, reason=reason.strip(), created_by_id=actor_id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor_id, "schedule.exception", "availability_exception", row.id, hospital_id=hospital_id,
                 after=audit.snapshot(row, ("start", "end", "available", "reason")))
    if not available:
        notify.doctor_leave(row)  # booked patients in that time hear of it, in this transaction
        signals.leave_added.send(None, actor_id=actor_id, resource_id=resource_id, hospital_id=hospital_id,
                                 start=start, end=end, now=now)
    else:
        signals.time_added.send(None, actor_id=actor_id, resource_id=resource_id, hospital_id=hospital_id,
                                start=start, end=end, now=now)
    return row


def _refuse_room_overlap(resource_id: int, hospital_id: int, start: datetime, end: datetime) -> None:
    """A room's extra session must not overlap its weekly sessions or another extra session (docs/rooms.md): the
    room is one theatre, so two sessions at once would be one session sold twice. A doctor's extra clinic merges
    with their hours instead, as before."""
    if db.session.scalar(select(SchedulableResource.room_id).where(SchedulableResource.id == resource_id)) is None:
        return
    other = db.session.scalar(select(AvailabilityException).where(
        AvailabilityException.resource_id == resource_id, AvailabilityException.available.is_(True),
        AvailabilityException.start < end, AvailabilityException.end > start)
        .order_by(AvailabilityException.start).limit(1))
    clash = (other.start, other.end) if other is not None else None
    tz_name = db.session.scalar(select(Hospital.timezone).where(Hospital.id == hospital_id))
    tz = ZoneInfo(tz_name)
    if clash is None:
        key = (resource_id, hospital_id)
        first, last = core.local_day(start, tz), core.local_day(end, tz)
        calendar = load_calendars([key], {hospital_id: tz_name}, first, last)[key]
        windows = core.expand_windows([pair[1] for pair in calendar.schedules], [], tz, first, last)
        clash = next(((w.start, w.end) for w in windows if w.start < end and start < w.end), None)
    if clash is not None:
        at, till = core.to_local(clash[0], tz), core.to_local(clash[1], tz)
        raise core.ScheduleInvalid("The session overlaps another.", fields={"start": Text(
            "Overlaps the session on %(day)s, %(start)s-%(end)s.", day=at.date().isoformat(),
            start=f"{at:%H:%M}", end=f"{till:%H:%M}")})


def remove_exception(actor_id: int | None, row: AvailabilityException, *, now: datetime | None = None) -> None:
    audit.record(actor_id, "schedule.exception_removed", "availability_exception", row.id,
                 hospital_id=row.hospital_id, before=audit.snapshot(row, ("start", "end", "available", "reason")))
    db.session.delete(row)
    if not row.available:  # back from leave: the time is free again
        db.session.flush()
        signals.time_added.send(None, actor_id=actor_id, resource_id=row.resource_id,
                                hospital_id=row.hospital_id, start=row.start, end=row.end, now=now)
