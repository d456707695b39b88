"""From rows to the core: a doctor's schedules, exceptions and bookings become free slots.

Everything here reads; booking.py writes. The slot search runs these for every doctor of a specialty, so each step
loads all doctors at once (one query per table) and computes in memory with app.scheduling.

Two things are kept between requests, because the region search would otherwise rebuild them for hundreds of
doctors every time: the weekly rules of each schedules row (a row's rules never change once written: a new
configuration is a new row, see schedules.put_schedule) and the slots a day's rules give (pure computation,
memoised by its inputs). Everything that does change — which rows are in force, their policy, exceptions, bookings —
is read on every call.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from app import scheduling as core
from app.extensions import db
from app.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Room,
    SchedulableResource,
    Schedule,
)
from app.services.memo import made_of, remembered

ACTIVE = tuple(core.HOLDING)  # a waitlist hold (status "held") keeps its time busy too

# No booking lasts longer than this: a doctor's appointment stays inside one session of one local day (at most 25 h,
# on the night the clocks go back) and a room booking, which may also hold its surgeon, is at most 24 h
# (locations.MAX_MINUTES). So a booking that reaches into [start, end) began after start - LONGEST_BOOKING, and
# load_busy reads that stretch of the (doctor_id, start) index instead of each doctor's whole history.
LONGEST_BOOKING = timedelta(hours=26)


@dataclass(frozen=True)
class ScheduleRef:
    """A schedules row as the slot computation sees it: its id and the room of each of its core rules, in order."""

    id: int
    rooms: tuple[int | None, ...]


@dataclass
class Calendar:
    """One doctor (or room) at one hospital: what the core needs to compute its slots."""

    resource_id: int
    hospital_id: int
    tz: ZoneInfo
    schedules: list[tuple[ScheduleRef, core.Schedule]]
    rooms: dict[core.WeeklyRule, int | None] = field(default_factory=dict)
    exceptions: list[core.AvailabilityException] = field(default_factory=list)

    def schedule_for(self, day: date) -> tuple[ScheduleRef, core.Schedule] | None:
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


# --- the rules of schedules rows, cached per process ---

_RULES_CACHE_SIZE = 20_000  # schedules rows; a region has a few thousand in force, plus the history of changes
_rules_cache: dict[tuple, tuple[tuple[core.WeeklyRule, ...], tuple[int | None, ...]]] = {}
_rules_lock = threading.Lock()


def _rules_key(row) -> tuple:
    """What names one row's rules for ever. The id alone would not: SQLite hands out a deleted largest id again
    (tests empty the tables; put_schedule deletes rows that never took effect) and the region seed picks its own
    ids. A reused id comes with another creation time (microseconds on SQLite) and, on MySQL, with new rule ids."""
    return row.id, row.created_at, row.last_rule_id


def forget_cached_rules() -> None:
    """Drop the cached rules. The services never change a schedules row's rules (a change is a new row), so only
    rules written past them (by hand in SQL, or a test making such hours) need this, with an index rebuild
    (docs/availability-index.md)."""
    with _rules_lock:
        _rules_cache.clear()


def _cached_rules(rows) -> dict[int, tuple[tuple[core.WeeklyRule, ...], tuple[int | None, ...]]]:
    """(rules, room of each rule) per schedule id; rows not seen before are read in one query."""
    found, missing = {}, {}
    for row in rows:
        cached = _rules_cache.get(_rules_key(row))
        if cached is not None:
            found[row.id] = cached
        else:
            missing[row.id] = row
    if not missing:
        return found
    read: dict[int, list] = {schedule_id: [] for schedule_id in missing}
    r = AvailabilityRule
    for schedule_id, *values in db.session.execute(
            select(r.schedule_id, r.weekday, r.start, r.end, r.kind, r.slot_minutes, r.tokens_per_slot,
                   r.appointment_types, r.room_id)
            .where(r.schedule_id.in_(missing)).order_by(r.schedule_id, r.weekday, r.start, r.id)):
        read[schedule_id].append(values)
    with _rules_lock:
        if len(_rules_cache) + len(read) > _RULES_CACHE_SIZE:
            _rules_cache.clear()  # rare (thousands of schedule changes); reading them again is one query
        for schedule_id, values in read.items():
            rules = tuple(core.WeeklyRule(weekday=v[0], start=v[1], end=v[2], kind=v[3], slot_minutes=v[4],
                                          tokens_per_slot=v[5],
                                          appointment_types=frozenset(c for c in v[6].split(",") if c))
                          for v in values)
            found[schedule_id] = _rules_cache[_rules_key(missing[schedule_id])] = (rules, tuple(v[7] for v in values))
    return found


# --- one read per transaction: a booking's placement and its index upkeep ask for the same calendar ---

# (resource, hospital, zone, first, last) -> the Calendar this transaction read (app/services/memo.py)
# not of resources: a calendar is kept under its resource's id, and a resource never changes owner, so a room's
# resource made by a booking's first claim of the room changes no calendar (and must not make the upkeep read again)
made_of("calendars", Schedule, AvailabilityRule, AvailabilityException)
# hospital id -> its active AppointmentType rows, with their equipment
made_of("active_types", AppointmentType)


def load_calendars(pairs: list[tuple[int, int]], tzs: dict[int, str], first_day: date,
                   last_day: date) -> dict[tuple[int, int], Calendar]:
    """Calendars for (resource_id, hospital_id) pairs, with the schedules and exceptions touching the days.

    Which schedules rows are in force, and their policies, are read in every transaction (a PUT closes a row by
    changing its valid_till); only their rules come from the per-process cache. Within one transaction a calendar
    already read for the same days is used again, until the transaction writes schedules or exceptions: a
    booking's placement and the index upkeep before its commit read them once (docs/availability-index.md).
    """
    if not pairs:
        return {}
    seen = remembered("calendars")
    if seen is None:
        return _read_calendars(pairs, tzs, first_day, last_day)
    keys = {(r, h): (r, h, tzs[h], first_day, last_day) for r, h in pairs}
    missing = [pair for pair in pairs if keys[pair] not in seen]
    if missing:
        for pair, calendar in _read_calendars(missing, tzs, first_day, last_day).items():
            seen[keys[pair]] = calendar
    return {pair: seen[keys[pair]] for pair in pairs}


@cache
def _schedules_statement():
    """The schedules in force on some of the days, with their last rule's id (the rules cache's key). Built once:
    a booking reads its calendar twice over (placement, index upkeep) in every transaction, and building and keying
    the statement cost more than the database's answer (docs/benchmarks.md, "Built once")."""
    last_rule_id = (select(func.max(AvailabilityRule.id)).where(AvailabilityRule.schedule_id == Schedule.id)
                    .correlate(Schedule).scalar_subquery())
    return (select(Schedule.id, Schedule.resource_id, Schedule.hospital_id, Schedule.valid_from, Schedule.valid_till,
                   Schedule.created_at, Schedule.horizon_days, Schedule.daily_limit, Schedule.min_notice_minutes,
                   Schedule.buffer_minutes, Schedule.urgent_share, Schedule.urgent_release_hours,
                   last_rule_id.label("last_rule_id"))
            .where(Schedule.resource_id.in_(bindparam("resources", expanding=True)),
                   Schedule.valid_from <= bindparam("last_day"),
                   (Schedule.valid_till.is_(None)) | (Schedule.valid_till > bindparam("first_day")))
            .order_by(Schedule.id))


@cache
def _exceptions_statement():
    e = AvailabilityException
    return (select(e.resource_id, e.hospital_id, e.start, e.end, e.available, e.reason)
            .where(e.resource_id.in_(bindparam("resources", expanding=True)), e.start < bindparam("span_end"),
                   e.end > bindparam("span_start"))
            .order_by(e.start, e.end, e.id))


def _read_calendars(pairs: list[tuple[int, int]], tzs: dict[int, str], first_day: date,
                    last_day: date) -> dict[tuple[int, int], Calendar]:
    resource_ids = sorted({r for r, _ in pairs})
    rows = db.session.execute(_schedules_statement(), {"resources": resource_ids, "first_day": first_day,
                                                       "last_day": last_day}).all()
    rules_of = _cached_rules(rows)
    calendars = {(r, h): Calendar(r, h, ZoneInfo(tzs[h]), []) for r, h in pairs}
    for row in rows:
        calendar = calendars.get((row.resource_id, row.hospital_id))
        if calendar is None:
            continue
        rules, rooms = rules_of[row.id]
        calendar.schedules.append((ScheduleRef(row.id, rooms), core.Schedule(row.valid_from, row.valid_till, rules,
                                                                              policy_of(row))))
        calendar.rooms.update(zip(rules, rooms, strict=True))
    span_start = datetime.combine(first_day - timedelta(days=1), time.min)
    span_end = datetime.combine(last_day + timedelta(days=2), time.min)
    by_resource: dict[int, list[Calendar]] = defaultdict(list)
    for calendar in calendars.values():
        by_resource[calendar.resource_id].append(calendar)
    for resource_id, hospital_id, start, end, available, reason in db.session.execute(
            _exceptions_statement(), {"resources": resource_ids, "span_start": span_start, "span_end": span_end}):
        for calendar in by_resource[resource_id]:
            # leave removes time everywhere; added time belongs to the hospital where the clinic runs
            if not available or hospital_id == calendar.hospital_id:
                calendar.exceptions.append(core.AvailabilityException(start, end, bool(available), reason))
    return calendars


# --- bookings ---

def load_busy(resource_ids: set[int], start: datetime, end: datetime) -> dict[int, list[core.Busy]]:
    """Active bookings of doctors and rooms that overlap [start, end), as core Busy intervals."""
    if not resource_ids:
        return defaultdict(list)
    resources = db.session.execute(select(SchedulableResource.id, SchedulableResource.doctor_id,
                                          SchedulableResource.room_id)
                                   .where(SchedulableResource.id.in_(resource_ids))).all()
    busy = load_doctor_busy({d: r for r, d, _ in resources if d is not None}, start, end)
    by_room = {m: r for r, _, m in resources if m is not None}
    for room_id, held in load_room_busy(set(by_room), start, end).items():
        busy[by_room[room_id]] += [b for _, b in held]
    return busy


def load_room_busy(room_ids: set[int], start: datetime, end: datetime, *,
                   locking: bool = False) -> dict[int, list[tuple[int | None, core.Busy]]]:
    """Bookings holding each room in [start, end), with the doctor each belongs to (None for a room booking).
    `locking`: a locking read (MariaDB's index upkeep: it sees what committed since the transaction's snapshot,
    docs/availability-index.md, "Concurrency").

    A session with a room claims it for every booking (docs/architecture.md, "Integrity"); the caller drops its own
    doctor's bookings, which its doctor's busy list already has, so that a token session's seats are not counted
    twice."""
    busy: dict[int, list[tuple[int | None, core.Busy]]] = defaultdict(list)
    if room_ids:
        for room_id, doctor_id, a_start, a_end in db.session.execute(
                _room_busy_statement(locking), _overlap_params(sorted(room_ids), start, end)):
            busy[room_id].append((doctor_id, core.Busy(a_start, a_end)))
    return busy


@cache
def _room_busy_statement(locking: bool):
    stmt = (select(Appointment.room_id, Appointment.doctor_id, Appointment.start, Appointment.end)
            .where(Appointment.room_id.in_(bindparam("ids", expanding=True)), Appointment.holds_room.is_(True),
                   *_overlapping()))
    return stmt.with_for_update(read=True) if locking else stmt


@cache
def _doctor_busy_statement(locking: bool):
    stmt = (select(Appointment.doctor_id, Appointment.start, Appointment.end)
            .where(Appointment.doctor_id.in_(bindparam("ids", expanding=True)), *_overlapping())
            .order_by(Appointment.start))
    return stmt.with_for_update(read=True) if locking else stmt


def _overlapping() -> tuple:
    """Active bookings reaching into [start, end), the interval as parameters (`lo`, `start`, `end`:
    _overlap_params); the lower bound on start keeps the index range to the bookings that can reach into it."""
    return (Appointment.status.in_(ACTIVE), Appointment.start >= bindparam("lo"), Appointment.start < bindparam("end"),
            Appointment.end > bindparam("start"))


def _overlap_params(ids: list[int], start: datetime, end: datetime) -> dict:
    return {"ids": ids, "lo": start - LONGEST_BOOKING, "start": start, "end": end}


def others_in_room(room_busy: dict[int, list[tuple[int | None, core.Busy]]], room_id: int | None,
                   doctor_id: int) -> list[core.Busy]:
    """What holds the room besides this doctor's own bookings."""
    if room_id is None:
        return []
    return [b for owner, b in room_busy.get(room_id, []) if owner != doctor_id]


def load_doctor_busy(by_doctor: dict[int, int], start: datetime, end: datetime, *,
                     locking: bool = False) -> dict[int, list[core.Busy]]:
    """load_busy for doctors whose resources the caller knows (doctor id -> resource id), keyed by resource id,
    each list by start. `locking`: a locking read (MariaDB's index upkeep: docs/availability-index.md,
    "Concurrency")."""
    busy: dict[int, list[core.Busy]] = defaultdict(list)
    if by_doctor:
        for doctor_id, a_start, a_end in db.session.execute(_doctor_busy_statement(locking),
                                                             _overlap_params(sorted(by_doctor), start, end)):
            busy[by_doctor[doctor_id]].append(core.Busy(a_start, a_end))
    return busy


def load_day_counts(by_doctor: dict[int, int], tz: ZoneInfo, day: date) -> dict[int, int]:
    """Active bookings per doctor (doctor id -> resource id) that start on the local day, keyed by resource id: what
    the core's daily limit counts (day_counts), for callers that read only part of the day's bookings."""
    if not by_doctor:
        return {}
    day_start, day_end = core.to_utc(day, time(0), tz), core.to_utc(day + timedelta(days=1), time(0), tz)
    rows = db.session.execute(
        select(Appointment.doctor_id, func.count()).where(
            Appointment.doctor_id.in_(by_doctor), Appointment.status.in_(ACTIVE), Appointment.start >= day_start,
            Appointment.start < day_end).group_by(Appointment.doctor_id))
    return {by_doctor[doctor_id]: count for doctor_id, count in rows}


def active_types(hospital_ids: set[int]) -> dict[int, list[AppointmentType]]:
    """The hospitals' active appointment types (by id) with their equipment loaded: read once per transaction, for
    a typed booking's placement and again for its index upkeep (known_types)."""
    seen = remembered("active_types")
    missing = set(hospital_ids) if seen is None else {h for h in hospital_ids if h not in seen}
    found: dict[int, list[AppointmentType]] = {h: [] for h in missing}
    if missing:
        for row in db.session.scalars(select(AppointmentType)
                                      .where(AppointmentType.hospital_id.in_(missing), AppointmentType.active)
                                      .options(joinedload(AppointmentType.equipment))
                                      .order_by(AppointmentType.id)).unique():
            found[row.hospital_id].append(row)
    if seen is None:
        return found
    seen.update(found)
    return {h: seen[h] for h in hospital_ids}


def known_types(hospital_ids: set[int]) -> dict[int, list[AppointmentType]] | None:
    """What active_types has read of these hospitals in this transaction, or None when it has not read them all:
    the index upkeep then reads its own, lighter answer without the ORM (index._setup)."""
    seen = remembered("active_types")
    if seen is None or any(h not in seen for h in hospital_ids):
        return None
    return {h: seen[h] for h in hospital_ids}


def rooms_with(room_ids: set[int], equipment: set[int]) -> set[int]:
    """The rooms among room_ids that have every piece of equipment."""
    if not equipment:
        return set(room_ids)
    rooms = db.session.scalars(select(Room).where(Room.id.in_(room_ids)).options(selectinload(Room.equipment)))
    return {room.id for room in rooms if equipment <= {e.id for e in room.equipment}}


# --- slots ---

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
    """Slots of one schedule and room: they share one policy and one room's bookings. The slots are shared with
    a cache: never change them."""

    schedule: ScheduleRef
    policy: core.Policy
    room_id: int | None
    slots: Sequence[core.Slot]


def day_groups(calendar: Calendar, day: date, request: Request,
               eligible_rooms: set[int] | None = None) -> list[Group]:
    """The slots of one local day, grouped by room; rooms without the needed equipment are left out."""
    pair = calendar.schedule_for(day)
    if pair is None:  # no schedule in force: not even added time is offered
        return []
    ref, schedule = pair
    rooms = (*ref.rooms, None)  # the last stands for added time, which has no room
    groups = []
    for label, slots in _day_slots(schedule.rules, schedule.policy, _room_labels(rooms), tuple(calendar.exceptions),
                                   calendar.tz, day):
        room_id = rooms[label]
        if request.equipment and (room_id is None or (eligible_rooms is not None and room_id not in eligible_rooms)):
            continue
        groups.append(Group(ref, schedule.policy, room_id, slots))
    return groups


def _room_labels(rooms: tuple[int | None, ...]) -> tuple[int, ...]:
    """Which rules share a room, as the position of the first rule with that room. Slots depend on this grouping
    (the urgent hold-back is spread per room), never on the room ids, so doctors with the same hours share one
    memoised day whichever rooms they use."""
    return tuple(rooms.index(room) for room in rooms)


@lru_cache(maxsize=4096)
def _day_slots(rules: tuple[core.WeeklyRule, ...], policy: core.Policy, labels: tuple[int, ...],
               exceptions: tuple[core.AvailabilityException, ...], tz: ZoneInfo,
               day: date) -> tuple[tuple[int, tuple[core.Slot, ...]], ...]:
    """(room label, slots) of one local day of one schedule: pure, so memoised. Bounded to some tens of MB at worst;
    usually far less, as doctors with the same hours share entries.

    Computing a day alone gives the same slots as computing it inside a range: windows never cross local
    midnight, and the urgent hold-back is counted per day.
    """
    label_of = dict(zip(rules, labels[:-1], strict=True))  # the last label: added time
    windows = core.expand_windows([core.Schedule(day, None, rules, policy)], exceptions, tz, day, day)
    grouped: dict[int, list[core.Window]] = defaultdict(list)
    for window in windows:
        grouped[label_of.get(window.rule, labels[-1])].append(window)
    return tuple((label, tuple(core.generate_slots(group, tz, policy))) for label, group in grouped.items())


def slot_groups(calendar: Calendar, first_day: date, last_day: date, request: Request,
                eligible_rooms: set[int] | None = None) -> list[Group]:
    """Slots of the days, grouped by (schedule, room); rooms without the needed equipment are left out."""
    merged: dict[tuple[int, int | None], Group] = {}
    day = first_day
    while day <= last_day:
        for group in day_groups(calendar, day, request, eligible_rooms):
            key = (group.schedule.id, group.room_id)
            if key in merged:
                merged[key].slots = [*merged[key].slots, *group.slots]
            else:
                merged[key] = group
        day += timedelta(days=1)
    return list(merged.values())


def type_label(requested: str | None, offered: frozenset[str]) -> str:
    """The type a slot is sold as: the one asked for, else the only kind it takes, else a new appointment."""
    if requested:
        return requested
    return min(offered) if offered else "new"
