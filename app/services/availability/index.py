"""The availability index: the free bookable starts the slot search reads (docs/availability-index.md).

The weekly rules, exceptions and bookings stay the source of truth. This module keeps a derived table,
`slot_index`, of what the live computation (calendars.day_groups -> core.free_slots) offers, per (resource,
hospital, local day), so that a search is one indexed range query.

It is kept in step by the session, not by each write path: after every flush the rows written to the tables
availability depends on are turned into markers (which doctor, which stretch of time), and before the commit (or
before a search in the same transaction reads the index) exactly those doctor-days are computed again with the live
computation and their rows replaced. A write path cannot forget the index, and a rollback takes the index rows with it.

What the index holds does not depend on the moment of the search: notice, horizon and the urgent release are kept
as instants (`book_by`, `open_from`, `release_at`) that the search compares with its own `now`.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, event, insert, inspect, literal, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app import scheduling as core
from app.extensions import db
from app.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Doctor,
    Hospital,
    IndexedSlot,
    Room,
    SchedulableResource,
    Schedule,
    appointment_type_equipment,
    doctor_hospitals,
    room_equipment,
)
from app.models.base import utcnow
from app.services.availability import stamps
from app.services.availability.calendars import (
    LONGEST_BOOKING,
    Calendar,
    Request,
    day_groups,
    known_types,
    load_calendars,
    load_doctor_busy,
    load_room_busy,
    others_in_room,
    type_label,
)
from app.services.availability.resources import known_resource_for_doctor

PAST_DAYS = 2  # indexed days before today (UTC): every zone's "today" and a search a day behind the clock
AHEAD_DAYS = 7  # indexed days past each schedule's horizon: the daily job has a week of slack
MAX_HORIZON = 365  # core.validate_schedule's upper bound for horizon_days
CLOCK_SLACK = timedelta(days=1)  # a search whose `now` is this close to the clock can use the index

# the table, not the mapped class, in the upkeep's deletes and inserts: an ORM-enabled DELETE first looks through
# the session for objects to synchronise (none are ever loaded), which cost a booking more than the delete itself
_ROWS = IndexedSlot.__table__

PENDING = "slot_index_pending"
LOCKED = "slot_index_locked"  # session.info key: doctors whose rows this transaction has locked
OFF = "slot_index_off"  # session.info key: upkeep switched off (the write-cost benchmark's baseline only)
ALL = None  # marker: every indexed day of the doctor
EDGE = "edge"  # marker: the last days of the doctor's window, where days roll in


def covers(now: datetime, clock: datetime) -> bool:
    """Whether the index answers a search made at `now`: it holds the days around the real clock only. A search on
    a simulated clock (a test, a what-if) uses the live computation instead."""
    return clock - CLOCK_SLACK <= now <= clock + CLOCK_SLACK


def window(clock: datetime, horizon_days: int) -> tuple[date, date]:
    today = clock.date()
    return today - timedelta(days=PAST_DAYS), today + timedelta(days=1 + horizon_days + AHEAD_DAYS)


@dataclass(frozen=True)
class DayRange:
    """Marker: the local days first..last (inclusive) of the doctor."""

    first: date
    last: date


# --- what a doctor's day offers ---

@dataclass(frozen=True)
class _Type:
    code: str
    duration: int | None
    kit: frozenset[int]


@dataclass
class _Place:
    """One calendar to index: a doctor at a hospital."""

    doctor_id: int
    specialty_id: int
    resource_id: int
    hospital_id: int
    tz: str


def _places(doctor_ids: set[int]) -> list[_Place]:
    """Where the doctors work. A doctor whose hospitals this transaction has loaded (a booking's placement did)
    comes from the session, which holds what the same read would return; the others are read."""
    found: list[_Place] = []
    unknown = set()
    dirty = db.session.dirty  # a fresh set on every access: taken once, not per doctor
    for doctor_id in doctor_ids:
        loaded = _loaded_places(doctor_id, dirty)
        if loaded is None:
            unknown.add(doctor_id)
        else:
            found += loaded
    return found + (_read_places(unknown) if unknown else [])


def _loaded_places(doctor_id: int, dirty) -> list[_Place] | None:
    doctor = db.session.identity_map.get(identity_key(Doctor, doctor_id))
    resource = known_resource_for_doctor(doctor_id)
    if doctor is None or resource is None or doctor in dirty:
        return None
    loaded = inspect(doctor).dict  # loaded in this transaction: a commit or rollback expires them
    hospitals = loaded.get("hospitals")
    if hospitals is None or "specialty_id" not in loaded \
            or any("timezone" not in inspect(h).dict or h in dirty for h in hospitals):
        return None
    return [_Place(doctor_id, loaded["specialty_id"], resource.id, h.id, h.timezone) for h in hospitals]


def _read_places(doctor_ids: set[int]) -> list[_Place]:
    rows = db.session.execute(
        select(Doctor.id, Doctor.specialty_id, SchedulableResource.id, Hospital.id, Hospital.timezone)
        .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
        .join(Hospital, Hospital.id == doctor_hospitals.c.hospital_id)
        .join(SchedulableResource, SchedulableResource.doctor_id == Doctor.id)
        .where(Doctor.id.in_(doctor_ids)))
    return [_Place(*row) for row in rows]


def _setup(hospital_ids: set[int]) -> tuple[dict[int, list[_Type]], dict[int, set[int]]]:
    """The hospitals' active types (by id) and the equipment of their active rooms, which only types that need
    equipment look at (_day_rows). A typed booking's placement has read the types (calendars.known_types);
    otherwise both come in one round trip of plain rows, for an untyped booking's upkeep about a millisecond less
    than the ORM's read of the types and a second read of the rooms (docs/availability-index.md, "Cost")."""
    known = known_types(hospital_ids)
    if known is not None:
        types = {h: [_Type(t.code, t.duration_minutes, frozenset(e.id for e in t.equipment)) for t in rows]
                 for h, rows in known.items()}
        kits = any(t.kit for ts in types.values() for t in ts)
        return types, (_kit_rooms(hospital_ids) if kits else {})
    found: dict[int, dict[int, tuple[str, int | None]]] = defaultdict(dict)  # hospital -> type id -> code, length
    kit: dict[int, set[int]] = defaultdict(set)  # type id -> the equipment it needs
    rooms: dict[int, set[int]] = defaultdict(set)  # room id -> its equipment; _day_rows asks only for kit types
    for what, hospital_id, row_id, code, duration, equipment_id in db.session.execute(
            _setup_statement(), {"hospitals": sorted(hospital_ids)}):
        if what == "room":
            rooms[row_id].add(equipment_id)
        else:
            found[hospital_id][row_id] = (code, duration)
            if equipment_id is not None:
                kit[row_id].add(equipment_id)
    return {h: [_Type(code, duration, frozenset(kit[i])) for i, (code, duration) in sorted(found[h].items())]
            for h in hospital_ids}, rooms


@cache
def _setup_statement():
    hospitals = bindparam("hospitals", expanding=True)
    kinds = select(literal("type").label("what"), AppointmentType.hospital_id, AppointmentType.id,
                   AppointmentType.code, AppointmentType.duration_minutes, appointment_type_equipment.c.equipment_id) \
        .outerjoin(appointment_type_equipment) \
        .where(AppointmentType.hospital_id.in_(hospitals), AppointmentType.active)
    kit = select(literal("room"), Room.hospital_id, Room.id, null(), null(), room_equipment.c.equipment_id) \
        .join(room_equipment).where(Room.hospital_id.in_(hospitals), Room.active)
    return union_all(kinds, kit)


def _kit_rooms(hospital_ids: set[int]) -> dict[int, set[int]]:
    """Equipment of each active room of the hospitals."""
    have: dict[int, set[int]] = defaultdict(set)
    for room_id, equipment_id in db.session.execute(_kit_statement(), {"hospitals": sorted(hospital_ids)}):
        have[room_id].add(equipment_id)
    return have


@cache
def _kit_statement():
    return select(Room.id, room_equipment.c.equipment_id).join(room_equipment) \
        .where(Room.hospital_id.in_(bindparam("hospitals", expanding=True)), Room.active)


def _derived(slot: core.Slot, kind: _Type) -> bool:
    """The untyped answer at this slot is also the typed one: same span, same resources, the type offered."""
    if kind.kit or (slot.appointment_types and kind.code not in slot.appointment_types):
        return False
    minutes = (slot.end - slot.start) // timedelta(minutes=1)
    return slot.kind == "tokens" or kind.duration is None or kind.duration <= minutes


def _day_rows(place: _Place, calendar: Calendar, day: date, types: list[_Type], rooms: dict[int, set[int]],
              busy: list[core.Busy], room_busy: dict[int, list[tuple[int | None, core.Busy]]]) -> list[dict]:
    """The index rows of one calendar's local day: the live computation with every moment-bound rule left open."""
    tz = calendar.tz
    day_start, day_end = core.to_utc(day, time(0), tz), core.to_utc(day + timedelta(days=1), time(0), tz)
    todays = _overlapping(busy, day_start, day_end)
    counts = {day: sum(1 for b in todays if day_start <= b.start < day_end)}
    base = datetime.combine(day - timedelta(days=2), time(0))  # before the day: no notice, horizon or hold applies
    rows: list[dict] = []
    variants: list[tuple[str, _Type | None]] = [("", None), *((t.code, t) for t in types)]
    for variant, kind in variants:
        kit = set(kind.kit) if kind else set()
        eligible = {r for r, have in rooms.items() if kit <= have} if kit else None
        request = Request(now=base, appointment_type=kind.code if kind else None,
                          duration_minutes=kind.duration if kind else None, urgency=core.Urgency.URGENT,
                          equipment=kit)
        groups = day_groups(calendar, day, request, eligible)
        if not groups:
            continue
        if kind is not None and all(_derived(s, kind) or (s.appointment_types and kind.code not in s.appointment_types)
                                    for g in groups for s in g.slots):
            continue  # the untyped rows answer this type everywhere on the day
        policy = groups[0].policy
        open_policy = replace(policy, min_notice_minutes=0, horizon_days=MAX_HORIZON)
        open_from = core.to_utc(day - timedelta(days=policy.horizon_days), time(0), tz)
        release = timedelta(hours=policy.urgent_release_hours)
        notice = timedelta(minutes=policy.min_notice_minutes)
        for group in groups:
            group_busy = todays + others_in_room(room_busy, group.room_id, place.doctor_id)
            by_start = {s.start: s for s in group.slots}
            for free in core.free_slots(group.slots, group_busy, base, open_policy, tz,
                                        appointment_type=request.appointment_type,
                                        duration_minutes=request.duration_minutes, urgency=core.Urgency.URGENT,
                                        day_counts=counts):
                slot = by_start[free.start]
                if kind is not None and _derived(slot, kind):
                    continue  # served by the untyped row
                rows.append(dict(
                    resource_id=place.resource_id, hospital_id=place.hospital_id, doctor_id=place.doctor_id,
                    specialty_id=place.specialty_id, variant=variant, start=free.start, end=free.end,
                    local_date=free.local_date, label=variant or type_label(None, slot.appointment_types),
                    types="," + ",".join(t.code for t in types if _derived(slot, t)) + "," if kind is None else "",
                    seats_left=free.seats_left, urgent_hold=free.urgent_hold, book_by=free.start - notice,
                    open_from=open_from, release_at=free.start - release))
    return rows


def _overlapping(busy: list[core.Busy], start: datetime, end: datetime) -> list[core.Busy]:
    """The busy intervals (sorted by start) that reach into [start, end)."""
    first = bisect_left(busy, start - LONGEST_BOOKING, key=lambda b: b.start)
    stop = bisect_left(busy, end, key=lambda b: b.start)
    return [b for b in busy[first:stop] if b.end > start]


def _mysql() -> bool:
    return db.session.get_bind().dialect.name in ("mysql", "mariadb")


def lock_doctors(doctor_ids: set[int], connection=None) -> None:
    """Serialise index upkeep per doctor (MariaDB; SQLite has one writer at a time anyway): two bookings of one
    doctor's day must not each replace the day's rows from a view that lacks the other. Taken before a flush writes
    the doctor's appointments, so every writer of them holds it; the bookings are then read with a locking read,
    which sees what committed since the transaction's snapshot (docs/availability-index.md, "Concurrency")."""
    if not doctor_ids or not _mysql():
        return
    held = db.session.info.setdefault(LOCKED, set())
    wanted = set(doctor_ids) - held  # a row lock lasts to the transaction's end: the flush's lock serves the commit
    if wanted:
        (connection or db.session).execute(_lock_statement(), {"ids": sorted(wanted)})
        held.update(wanted)


@cache
def _lock_statement():
    return select(Doctor.id).where(Doctor.id.in_(bindparam("ids", expanding=True))).order_by(Doctor.id) \
        .with_for_update()


def reindex(spans: dict[int, list[tuple[datetime, datetime]] | DayRange | str | None],
            clock: datetime | None = None) -> int:
    """Compute the index rows of the doctors again and replace them: for the local days that the given stretches
    of time touch, for a DayRange, for the EDGE of the window, or (ALL) for every day of the index's window.
    Only days inside the window are kept. Flushes, never commits. Returns the rows written."""
    if not spans:
        return 0
    clock = clock or utcnow()
    lo, hi = window(clock, MAX_HORIZON)
    reach = (datetime.combine(lo - timedelta(days=1), time(0)), datetime.combine(hi + timedelta(days=2), time(0)))
    spans = {d: s for d, s in spans.items()  # time far from the clock (a demo on a fixed date): nothing to index
             if not isinstance(s, list) or any(start < reach[1] and end > reach[0] for start, end in s)}
    if not spans:
        return 0
    lock_doctors(set(spans))
    places = _places(set(spans))
    by_doctor_all = [d for d, s in spans.items() if s is ALL]
    # the specialties whose searches may change: the doctors' own, and (for a whole window, where a doctor may have
    # moved to another specialty) those of the rows being replaced
    stamps.note(db.session, (p.specialty_id for p in places))
    if by_doctor_all:
        stamps.note(db.session, db.session.scalars(select(IndexedSlot.specialty_id)
                                                   .where(IndexedSlot.doctor_id.in_(by_doctor_all)).distinct()))
        db.session.execute(delete(_ROWS).where(_ROWS.c.doctor_id.in_(by_doctor_all)))
    if not places:
        return 0
    hospital_ids = {p.hospital_id for p in places}
    types, rooms = _setup(hospital_ids)
    first, last = window(clock, MAX_HORIZON)
    zones = {p.hospital_id: p.tz for p in places}
    around = _around(spans)
    calendars = load_calendars([(p.resource_id, p.hospital_id) for p in places], zones, *(around or (first, last)))
    plans: list[tuple[_Place, Calendar, list[date]]] = []
    for place in places:
        calendar = calendars[(place.resource_id, place.hospital_id)]
        lo, hi = window(clock, _horizon(calendar))
        stretches = spans[place.doctor_id]
        if around is not None and any(day > hi for day in _local_days(stretches, calendar.tz)):
            # a day past what the schedules around it open: those of the whole window decide how far it reaches
            pair = (place.resource_id, place.hospital_id)
            calendar = load_calendars([pair], zones, first, last)[pair]
            lo, hi = window(clock, _horizon(calendar))
        if stretches is ALL:
            days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)] if calendar.schedules else []
        elif isinstance(stretches, DayRange):
            days = [d for d in (stretches.first + timedelta(days=i)
                                for i in range((stretches.last - stretches.first).days + 1)) if lo <= d <= hi]
            if days:
                db.session.execute(delete(_ROWS).where(
                    _ROWS.c.resource_id == place.resource_id, _ROWS.c.hospital_id == place.hospital_id,
                    _ROWS.c.local_date >= days[0], _ROWS.c.local_date <= days[-1]))
        elif stretches == EDGE:
            days = [hi - timedelta(days=i) for i in range(AHEAD_DAYS + 1, -1, -1)] if calendar.schedules else []
            db.session.execute(delete(_ROWS).where(
                _ROWS.c.resource_id == place.resource_id, _ROWS.c.hospital_id == place.hospital_id,
                _ROWS.c.local_date >= days[0] if days else False))
        else:
            days = [day for day in _local_days(stretches, calendar.tz) if lo <= day <= hi]
            if days:
                db.session.execute(_days_delete(), {"resource": place.resource_id, "hospital": place.hospital_id,
                                                    "days": days})
        if days:
            plans.append((place, calendar, days))
    if not plans:
        return 0
    span_start = min(core.to_utc(days[0], time(0), c.tz) for _, c, days in plans)
    span_end = max(core.to_utc(days[-1] + timedelta(days=1), time(0), c.tz) for _, c, days in plans)
    # keyed by doctor, each list by start; a locking read on MariaDB ("Concurrency" in the docs above)
    busy = load_doctor_busy({p.doctor_id: p.doctor_id for p, _, _ in plans}, span_start, span_end,
                            locking=_mysql())
    # a session with a room shares it with nobody: what others booked there is busy time, as in the live search
    # (docs/architecture.md, "One room, one consultation")
    used = {room for _, calendar, _ in plans for room in calendar.rooms.values() if room is not None}
    room_busy = load_room_busy(used, span_start, span_end, locking=_mysql())
    rows: list[dict] = []
    for place, calendar, days in plans:
        for day in days:
            rows += _day_rows(place, calendar, day, types.get(place.hospital_id, []), rooms,
                              busy.get(place.doctor_id, []), room_busy)
    if rows:
        # the table's insert, not the ORM's bulk insert: the rows are plain dicts, and the ORM's bulk path walks the
        # mapper for each of them (a booking writes its doctor's whole day again)
        db.session.execute(insert(_ROWS), rows)
    return len(rows)


@cache
def _days_delete():
    """A booking's delete of its days' rows, built once like every statement a booking sends (docs/benchmarks.md,
    "Built once")."""
    return delete(_ROWS).where(_ROWS.c.resource_id == bindparam("resource"),
                               _ROWS.c.hospital_id == bindparam("hospital"),
                               _ROWS.c.local_date.in_(bindparam("days", expanding=True)))


def _around(spans: dict) -> tuple[date, date] | None:
    """When every doctor's stretches are times (a booking, a cancellation, leave), the UTC dates from the day
    before the first start to the day after the last end: the days a booking's placement read the calendar for, so
    that the upkeep reuses that read (calendars.load_calendars). Otherwise None: the whole window."""
    if not all(isinstance(s, list) for s in spans.values()):
        return None
    stretches = [stretch for s in spans.values() for stretch in s]
    return (min(start for start, _ in stretches) - timedelta(days=1)).date(), \
        (max(max(start, end) for start, end in stretches) + timedelta(days=1)).date()


def _horizon(calendar: Calendar) -> int:
    return max((s.policy.horizon_days for _, s in calendar.schedules), default=0)


def _local_days(stretches: list[tuple[datetime, datetime]], tz) -> list[date]:
    """The local days the stretches of time touch, in order."""
    wanted = set()
    for start, end in stretches:
        day, stop = core.local_day(start, tz), core.local_day(max(start, end), tz)
        while day <= stop:
            wanted.add(day)
            day += timedelta(days=1)
    return sorted(wanted)


def rebuild(doctor_id: int, first: date | None = None, last: date | None = None,
            clock: datetime | None = None) -> int:
    """Rebuild one doctor's rows: every day of the window, or the local days first..last. Flushes, never commits."""
    if first is None and last is None:
        return reindex({doctor_id: ALL}, clock)
    clock = clock or utcnow()
    lo, hi = window(clock, MAX_HORIZON)
    first, last = max(first or lo, lo), min(last or hi, hi)
    if last < first:
        return 0
    return reindex({doctor_id: DayRange(first, last)}, clock)


def doctor_ids() -> list[int]:
    return list(db.session.scalars(select(SchedulableResource.doctor_id)
                                   .where(SchedulableResource.doctor_id.is_not(None))
                                   .order_by(SchedulableResource.doctor_id)))


def roll(clock: datetime | None = None) -> int:
    """The daily step: forget the days behind the window. Days rolling into it are indexed by `roll_in`, which the
    caller runs per doctor."""
    clock = clock or utcnow()
    first, _ = window(clock, 0)
    return db.session.execute(delete(_ROWS).where(_ROWS.c.local_date < first)).rowcount


def roll_in(doctor_id: int, clock: datetime | None = None) -> int:
    """Index the days entering the doctor's window (its last AHEAD_DAYS + 2 days, computed afresh)."""
    return reindex({doctor_id: EDGE}, clock)


# --- keeping it in step: the session hook ---

_WATCHED_APPOINTMENT = ("status", "start", "end", "doctor_id", "room_id", "holds_room")


def _old(state, name: str, current):
    history = state.attrs[name].history
    return history.deleted[0] if history.deleted else current


def _markers(session: Session) -> list[tuple]:
    found: list[tuple] = []
    changed = [(obj, True) for obj in session.new] + \
        [(obj, False) for obj in session.dirty if session.is_modified(obj)] + \
        [(obj, False) for obj in session.deleted]
    for obj, is_new in changed:
        if isinstance(obj, Appointment):
            found += _appointment_markers(obj, is_new)
        elif isinstance(obj, AvailabilityException):
            state = inspect(obj)
            found.append(("resource", obj.resource_id, obj.start, obj.end))
            if not is_new:
                found.append(("resource", _old(state, "resource_id", obj.resource_id),
                              _old(state, "start", obj.start), _old(state, "end", obj.end)))
        elif isinstance(obj, Schedule):
            found.append(("resource", obj.resource_id, ALL, ALL))
        elif isinstance(obj, AvailabilityRule):
            found.append(("schedule", obj.schedule_id))
        elif isinstance(obj, SchedulableResource) and obj.doctor_id is not None:
            found.append(("doctor", obj.doctor_id))
        elif isinstance(obj, Doctor) and obj.id is not None:
            found.append(("doctor", obj.id))
        elif isinstance(obj, (Hospital, Room, AppointmentType)):
            hospital_id = obj.id if isinstance(obj, Hospital) else obj.hospital_id
            found.append(("hospital", hospital_id))
    return found


def _appointment_markers(appointment: Appointment, is_new: bool) -> list[tuple]:
    state = inspect(appointment)
    if not is_new and not any(state.attrs[name].history.has_changes() for name in _WATCHED_APPOINTMENT) \
            and not state.deleted:
        return []
    found = []
    for version in ("now", "old"):
        if version == "old" and is_new:
            break
        get = (lambda name: getattr(appointment, name)) if version == "now" else \
            (lambda name: _old(state, name, getattr(appointment, name)))
        if get("doctor_id") is not None:
            found.append(("doctor_time", get("doctor_id"), get("start"), get("end")))
        if get("room_id") is not None and get("holds_room"):
            found.append(("room", get("room_id"), get("start"), get("end")))
    return found


@event.listens_for(Session, "before_flush")
def _lock_before_writing(session: Session, _flush_context, _instances) -> None:
    doctors = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Appointment) and obj.doctor_id is not None:
            doctors.add(obj.doctor_id)
    if doctors and not session.info.get(OFF):
        lock_doctors(doctors, session.connection())


@event.listens_for(Session, "after_flush")
def _record(session: Session, _flush_context) -> None:
    if session.info.get(OFF):
        return
    found = _markers(session)
    if found:
        session.info.setdefault(PENDING, []).extend(found)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's release: the outer commit brings the index in step
        catch_up(session)
        stamps.bump_noted(session)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(PENDING, None)
        stamps.forget(session)


@event.listens_for(Session, "after_transaction_end")
def _locks_gone(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outer one (committed, rolled back or closed): its row locks went with it
        session.info.pop(LOCKED, None)


def catch_up(session: Session | None = None) -> int:
    """Bring the index in step with what this transaction wrote so far; runs before every commit, and before a
    search reads the index inside a transaction that has written."""
    session = session or db.session
    if session.info.get("slot_index_busy"):
        return 0
    session.info["slot_index_busy"] = True
    try:
        session.flush()
        markers = session.info.pop(PENDING, None)
        if not markers:
            return 0
        return reindex(_resolve(markers))
    finally:
        session.info.pop("slot_index_busy", None)


def _resolve(markers: list[tuple]) -> dict[int, list[tuple[datetime, datetime]] | None]:
    """Markers -> per doctor the stretches of time to compute again, or ALL."""
    spans: dict[int, list | None] = {}

    def add(doctor_id, start=None, end=None):
        if doctor_id is None or (doctor_id in spans and spans[doctor_id] is ALL):
            return
        if start is None:
            spans[doctor_id] = ALL
        else:
            spans.setdefault(doctor_id, []).append((start, end))

    resources: dict[int, list] = defaultdict(list)
    schedules, hospitals, rooms = set(), set(), defaultdict(list)
    for marker in markers:
        kind = marker[0]
        if kind == "doctor_time":
            add(marker[1], marker[2], marker[3])
        elif kind == "doctor":
            add(marker[1])
        elif kind == "resource":
            resources[marker[1]].append(marker[2:])
        elif kind == "schedule":
            schedules.add(marker[1])
        elif kind == "hospital":
            hospitals.add(marker[1])
        elif kind == "room":
            rooms[marker[1]].append(marker[2:])
    if schedules:
        for (resource_id,) in db.session.execute(select(Schedule.resource_id).where(Schedule.id.in_(schedules))):
            resources[resource_id].append((ALL, ALL))
    if resources:
        for resource_id, doctor_id in db.session.execute(
                select(SchedulableResource.id, SchedulableResource.doctor_id)
                .where(SchedulableResource.id.in_(resources), SchedulableResource.doctor_id.is_not(None))):
            for start, end in resources[resource_id]:
                add(doctor_id, start, end)
    if hospitals:
        for (doctor_id,) in db.session.execute(select(doctor_hospitals.c.doctor_id)
                                               .where(doctor_hospitals.c.hospital_id.in_(hospitals))):
            add(doctor_id)
    if rooms:
        # a booking that holds a room takes it from every doctor whose hours are in that room
        for room_id, doctor_id in db.session.execute(_room_users_statement(), {"rooms": sorted(rooms)}):
            for start, end in rooms[room_id]:
                add(doctor_id, start, end)
    return spans


@cache
def _room_users_statement():
    """The doctors with hours in any of the rooms; built once (every booking that holds a room asks)."""
    return (select(AvailabilityRule.room_id, SchedulableResource.doctor_id)
            .join(Schedule, Schedule.id == AvailabilityRule.schedule_id)
            .join(SchedulableResource, SchedulableResource.id == Schedule.resource_id)
            .where(AvailabilityRule.room_id.in_(bindparam("rooms", expanding=True)),
                   SchedulableResource.doctor_id.is_not(None))
            .distinct())
