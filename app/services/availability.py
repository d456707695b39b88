"""From rows to the core: a doctor's schedules, exceptions and bookings become free slots.

Everything here reads; booking.py writes. The slot search runs these for every doctor of a specialty, so each step
loads all doctors at once (one query per table) and computes in memory with app.scheduling.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, AvailabilityException, Room, SchedulableResource, Schedule

ACTIVE = tuple(core.ACTIVE)


@dataclass
class Calendar:
    """One doctor (or room) at one hospital: what the core needs to compute its slots."""

    resource_id: int
    hospital_id: int
    tz: ZoneInfo
    schedules: list[tuple[Schedule, core.Schedule]]
    rooms: dict[core.WeeklyRule, int | None] = field(default_factory=dict)
    exceptions: list[core.AvailabilityException] = field(default_factory=list)

    def schedule_for(self, day: date) -> tuple[Schedule, core.Schedule] | None:
        covering = [(row, s) for row, s in self.schedules
                    if s.valid_from <= day and (s.valid_till is None or day < s.valid_till)]
        return max(covering, key=lambda pair: pair[1].valid_from, default=None)

    def blocked(self) -> list[tuple[datetime, datetime]]:
        return [(e.start, e.end) for e in self.exceptions if not e.available]


def policy_of(row: Schedule) -> core.Policy:
    return core.Policy(horizon_days=row.horizon_days, daily_limit=row.daily_limit,
                       min_notice_minutes=row.min_notice_minutes, buffer_minutes=row.buffer_minutes,
                       urgent_share=row.urgent_share, urgent_release_hours=row.urgent_release_hours)


def rule_of(rule) -> core.WeeklyRule:
    return core.WeeklyRule(weekday=rule.weekday, start=rule.start, end=rule.end, kind=rule.kind,
                           slot_minutes=rule.slot_minutes, tokens_per_slot=rule.tokens_per_slot,
                           appointment_types=rule.type_codes)


def load_calendars(pairs: list[tuple[int, int]], tzs: dict[int, str], first_day: date,
                   last_day: date) -> dict[tuple[int, int], Calendar]:
    """Calendars for (resource_id, hospital_id) pairs, with the schedules and exceptions touching the days."""
    if not pairs:
        return {}
    resource_ids = {r for r, _ in pairs}
    rows = db.session.scalars(
        select(Schedule).where(Schedule.resource_id.in_(resource_ids), Schedule.valid_from <= last_day,
                               (Schedule.valid_till.is_(None)) | (Schedule.valid_till > first_day))
        .options(selectinload(Schedule.rules))).all()
    calendars = {(r, h): Calendar(r, h, ZoneInfo(tzs[h]), []) for r, h in pairs}
    for row in rows:
        calendar = calendars.get((row.resource_id, row.hospital_id))
        if calendar is None:
            continue
        rules = tuple(rule_of(r) for r in row.rules)
        calendar.schedules.append((row, core.Schedule(row.valid_from, row.valid_till, rules, policy_of(row))))
        calendar.rooms.update({rule_of(r): r.room_id for r in row.rules})
    span_start = datetime.combine(first_day - timedelta(days=1), time.min)
    span_end = datetime.combine(last_day + timedelta(days=2), time.min)
    for exc in db.session.scalars(select(AvailabilityException).where(
            AvailabilityException.resource_id.in_(resource_ids), AvailabilityException.start < span_end,
            AvailabilityException.end > span_start)):
        for (resource_id, hospital_id), calendar in calendars.items():
            # leave removes time everywhere; added time belongs to the hospital where the clinic runs
            if resource_id == exc.resource_id and (not exc.available or exc.hospital_id == hospital_id):
                calendar.exceptions.append(core.AvailabilityException(exc.start, exc.end, exc.available, exc.reason))
    return calendars


def load_busy(resource_ids: set[int], start: datetime, end: datetime) -> dict[int, list[core.Busy]]:
    """Active bookings of doctors and rooms in [start, end), as core Busy intervals."""
    busy: dict[int, list[core.Busy]] = defaultdict(list)
    if not resource_ids:
        return busy
    resources = db.session.execute(select(SchedulableResource.id, SchedulableResource.doctor_id,
                                          SchedulableResource.room_id)
                                   .where(SchedulableResource.id.in_(resource_ids))).all()
    by_doctor = {d: r for r, d, _ in resources if d is not None}
    by_room = {m: r for r, _, m in resources if m is not None}
    if by_doctor:
        for doctor_id, a_start, a_end in db.session.execute(
                select(Appointment.doctor_id, Appointment.start, Appointment.end).where(
                    Appointment.doctor_id.in_(by_doctor), Appointment.status.in_(ACTIVE),
                    Appointment.start < end, Appointment.end > start)):
            busy[by_doctor[doctor_id]].append(core.Busy(a_start, a_end))
    if by_room:
        for room_id, a_start, a_end in db.session.execute(
                select(Appointment.room_id, Appointment.start, Appointment.end).where(
                    Appointment.room_id.in_(by_room), Appointment.status.in_(ACTIVE),
                    Appointment.holds_room.is_(True), Appointment.start < end, Appointment.end > start)):
            busy[by_room[room_id]].append(core.Busy(a_start, a_end))
    return busy


def type_needs(hospital_id: int, code: str | None) -> tuple[int | None, set[int]]:
    """(duration in minutes, equipment ids) of an appointment type at a hospital; (None, set()) when unknown."""
    if code is None:
        return None, set()
    row = db.session.scalar(select(AppointmentType).where(AppointmentType.hospital_id == hospital_id,
                                                          AppointmentType.code == code, AppointmentType.active)
                            .options(selectinload(AppointmentType.equipment)))
    if row is None:
        return None, set()
    return row.duration_minutes, {e.id for e in row.equipment}


def rooms_with(room_ids: set[int], equipment: set[int]) -> set[int]:
    """The rooms among room_ids that have every piece of equipment."""
    if not equipment:
        return set(room_ids)
    rooms = db.session.scalars(select(Room).where(Room.id.in_(room_ids)).options(selectinload(Room.equipment)))
    return {room.id for room in rooms if equipment <= {e.id for e in room.equipment}}


@dataclass
class Request:
    """What a patient asks for; the same for search and for booking."""

    now: datetime
    appointment_type: str | None = None
    duration_minutes: int | None = None
    urgency: str = "routine"
    equipment: set[int] = field(default_factory=set)


@dataclass
class Group:
    """Slots of one schedule and room: they share one policy and one room's bookings."""

    schedule: Schedule
    policy: core.Policy
    room_id: int | None
    slots: list[core.Slot]


def slot_groups(calendar: Calendar, first_day: date, last_day: date, request: Request,
                eligible_rooms: set[int] | None = None) -> list[Group]:
    """Slots of the days, grouped by (schedule, room); rooms without the needed equipment are left out."""
    core_schedules = [s for _, s in calendar.schedules]
    windows = core.expand_windows(core_schedules, calendar.exceptions, calendar.tz, first_day, last_day)
    grouped: dict[tuple[int, int | None], list[core.Window]] = defaultdict(list)
    owners: dict[int, Schedule] = {}
    for window in windows:
        pair = calendar.schedule_for(window.local_date)
        if pair is None:
            continue
        row = pair[0]
        owners[row.id] = row
        room_id = calendar.rooms.get(window.rule)
        if request.equipment and (room_id is None or (eligible_rooms is not None and room_id not in eligible_rooms)):
            continue
        grouped[(row.id, room_id)].append(window)
    groups = []
    for (schedule_id, room_id), group_windows in grouped.items():
        row = owners[schedule_id]
        policy = policy_of(row)
        groups.append(Group(row, policy, room_id, core.generate_slots(group_windows, calendar.tz, policy)))
    return groups


def day_counts(busy: list[core.Busy], tz: ZoneInfo) -> dict[date, int]:
    counts: dict[date, int] = defaultdict(int)
    for b in busy:
        counts[core.local_day(b.start, tz)] += 1
    return counts


def free_slots_for(calendar: Calendar, first_day: date, last_day: date, request: Request,
                   busy: list[core.Busy], room_busy: dict[int, list[core.Busy]],
                   eligible_rooms: set[int] | None = None) -> list[tuple[core.FreeSlot, frozenset[str]]]:
    """Free slots of one calendar over the days with the types each offers, earliest first.

    busy holds the resource's active bookings; room_busy those of rooms, used when the type needs equipment.
    """
    counts = day_counts(busy, calendar.tz)
    result: list[tuple[core.FreeSlot, frozenset[str]]] = []
    for group in slot_groups(calendar, first_day, last_day, request, eligible_rooms):
        # a token booking is an appointment inside its token slot, so it counts against that slot's capacity
        group_busy = list(busy)
        if request.equipment and group.room_id is not None:
            group_busy += room_busy.get(group.room_id, [])
        types = {slot.start: slot.appointment_types for slot in group.slots}
        result += [(free, types[free.start]) for free in core.free_slots(
            group.slots, group_busy, request.now, group.policy, calendar.tz,
            appointment_type=request.appointment_type, duration_minutes=request.duration_minutes,
            urgency=request.urgency, day_counts=counts)]
    result.sort(key=lambda pair: pair[0].start)
    return result


def type_label(requested: str | None, offered: frozenset[str]) -> str:
    """The type a slot is sold as: the one asked for, else the only kind it takes, else a new appointment."""
    if requested:
        return requested
    return min(offered) if offered else "new"
