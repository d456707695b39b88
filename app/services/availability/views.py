"""Read models for calendars: a four-week availability preview and a doctor's week, as plain data.

Both start from the same question: for each slot the weekly rules would give (extra clinics included), is it
blocked by leave, booked, or free? The rules and exceptions come from app.services.availability exactly as the
booking service reads them, so the preview shows what patients can book. Everything is in the hospital's local
wall-clock time (naive datetimes); nothing here imports Flask.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType
from app.models.base import utcnow
from app.scheduling.codes import Status, Urgency
from app.services.availability.calendars import Calendar, Request, load_busy, load_calendars, slot_groups
from app.services.availability.query import SlotQuery
from app.services.availability.search import SlotResult, search_slots

FREE, BOOKED, BLOCKED = "free", "booked", "blocked"


@dataclass
class SlotState:
    """One slot the rules give, in local time, with how much of it is taken."""

    start: datetime
    end: datetime
    local_date: date
    session: datetime  # local start of the session (window) the slot belongs to
    kind: str  # slots | tokens
    capacity: int
    used: int
    blocked: bool

    @property
    def state(self) -> str:
        if self.blocked:
            return BLOCKED
        return BOOKED if self.used >= self.capacity else FREE


@dataclass
class Session:
    """A stretch of consulting time on one day (one rule, or one extra clinic) with its counts."""

    start: datetime
    end: datetime
    kind: str
    free: int = 0
    booked: int = 0
    blocked: int = 0
    extra: bool = False  # added by an exception (an extra clinic)

    @property
    def state(self) -> str:
        """The colour of the session: free while anything is free, else booked, else blocked."""
        if self.free:
            return FREE
        return BOOKED if self.booked else BLOCKED


@dataclass
class Leave:
    """The part of a removing exception that falls on one local day."""

    start: datetime
    end: datetime
    reason: str
    whole_day: bool


@dataclass
class DayPreview:
    day: date
    sessions: list[Session] = field(default_factory=list)
    leave: list[Leave] = field(default_factory=list)
    past: bool = False
    today: bool = False


@dataclass
class Entry:
    """One line in a week calendar cell: an appointment, a run of free slots or blocked time."""

    kind: str  # appointment | free | blocked
    start: datetime
    end: datetime
    count: int = 0  # free: open places in the run
    appointment_id: int | None = None
    patient_name: str = ""
    appointment_type: str = ""  # the hospital's name for the type
    status: str = ""
    urgent: bool = False


@dataclass
class WeekView:
    monday: date
    days: list[date]
    hours: list[int]
    cells: dict[tuple[date, int], list[Entry]]
    today: date
    leave: dict[date, list[Leave]] = field(default_factory=dict)

    def cell(self, day: date, hour: int) -> list[Entry]:
        return self.cells.get((day, hour), [])

    @property
    def empty(self) -> bool:
        return not self.cells


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_today(tz_name: str, now: datetime | None = None) -> date:
    return core.local_day(now or utcnow(), ZoneInfo(tz_name))


def load_calendar(resource_id: int, hospital_id: int, tz_name: str, first_day: date, last_day: date) -> Calendar:
    """The schedules and exceptions of one resource at one hospital that touch the local days."""
    return load_calendars([(resource_id, hospital_id)], {hospital_id: tz_name}, first_day, last_day)[
        (resource_id, hospital_id)]


def slot_states(calendar: Calendar, first_day: date, last_day: date, now: datetime | None = None) -> list[SlotState]:
    """Every slot of the local days [first_day, last_day] the rules and extra clinics give, leave included."""
    if not calendar.schedules:
        return []
    request = Request(now=now or utcnow())
    # the same calendar without leave gives the slots that leave blocks
    planned = replace(calendar, exceptions=[e for e in calendar.exceptions if e.available])
    open_starts = {s.start for g in slot_groups(calendar, first_day, last_day, request) for s in g.slots}
    slots = sorted((s for g in slot_groups(planned, first_day, last_day, request) for s in g.slots),
                   key=lambda s: s.start)
    if not slots:
        return []
    resource_id, tz = calendar.resource_id, calendar.tz
    busy = sorted(load_busy({resource_id}, slots[0].start, slots[-1].end).get(resource_id, []),
                  key=lambda b: b.start)
    busy_starts = [b.start for b in busy]
    longest = max((b.end - b.start for b in busy), default=timedelta(0))
    result = []
    for slot in slots:
        # only busy intervals starting in [slot.start - longest, slot.end) can overlap the slot
        lo, hi = bisect_left(busy_starts, slot.start - longest), bisect_left(busy_starts, slot.end)
        used = sum(b.seats for b in busy[lo:hi] if core.overlaps(b.start, b.end, slot.start, slot.end))
        session = slot.window_start or slot.start
        result.append(SlotState(_local(slot.start, tz), _local(slot.end, tz), slot.local_date, _local(session, tz),
                                slot.kind, slot.capacity, min(used, slot.capacity), slot.start not in open_starts))
    return result


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    return core.to_local(instant, tz).replace(tzinfo=None)


def _leave_by_day(calendar: Calendar, first_day: date, last_day: date) -> dict[date, list[Leave]]:
    """Leave (removing exceptions) cut into local days."""
    result: dict[date, list[Leave]] = {}
    for exc in sorted(calendar.exceptions, key=lambda e: e.start):
        if exc.available:
            continue
        start, end = _local(exc.start, calendar.tz), _local(exc.end, calendar.tz)
        day = max(start.date(), first_day)
        while day <= min(end.date(), last_day):
            day_start, day_end = datetime.combine(day, time.min), datetime.combine(day + timedelta(days=1), time.min)
            piece_start, piece_end = max(start, day_start), min(end, day_end)
            if piece_start < piece_end:
                result.setdefault(day, []).append(Leave(piece_start, piece_end, exc.reason,
                                                        piece_start == day_start and piece_end == day_end))
            day += timedelta(days=1)
    return result


def availability_preview(resource_id: int, hospital_id: int, tz_name: str, first_day: date, weeks: int = 4,
                         now: datetime | None = None) -> list[list[DayPreview]]:
    """Weeks (Monday to Sunday) from the Monday of first_day: each day's sessions with free/booked/blocked counts."""
    monday = monday_of(first_day)
    last_day = monday + timedelta(days=7 * weeks - 1)
    today = local_today(tz_name, now)
    days = {monday + timedelta(days=i): DayPreview(monday + timedelta(days=i)) for i in range(7 * weeks)}
    for day, preview in days.items():
        preview.past, preview.today = day < today, day == today
    calendar = load_calendar(resource_id, hospital_id, tz_name, monday, last_day)
    extra = [(_local(e.start, calendar.tz), _local(e.end, calendar.tz)) for e in calendar.exceptions if e.available]
    sessions: dict[tuple[date, datetime], Session] = {}
    for slot in slot_states(calendar, monday, last_day, now):
        key = (slot.local_date, slot.session)
        session = sessions.get(key)
        if session is None:
            session = sessions[key] = Session(slot.start, slot.end, slot.kind)
            days[slot.local_date].sessions.append(session)
        session.end = max(session.end, slot.end)
        # a booking made before the leave still holds its place: it shows as booked, not blocked
        session.booked += slot.used
        if slot.blocked:
            session.blocked += slot.capacity - slot.used
        else:
            session.free += slot.capacity - slot.used
    for session in sessions.values():
        session.extra = any(s < session.end and session.start < e for s, e in extra)
    for day, leave in _leave_by_day(calendar, monday, last_day).items():
        days[day].leave = leave
    ordered = [days[monday + timedelta(days=i)] for i in range(7 * weeks)]
    return [ordered[i:i + 7] for i in range(0, len(ordered), 7)]


def _runs(slots: list[SlotState], state: str) -> list[Entry]:
    """Merge touching slots of one state into runs, cut at the hour so each run sits in one calendar row."""
    entries: list[Entry] = []
    for slot in slots:
        if slot.state != state:
            continue
        count = 0 if state == BLOCKED else slot.capacity - slot.used
        last = entries[-1] if entries else None
        if last and last.end == slot.start and last.start.hour == slot.start.hour \
                and last.start.date() == slot.start.date():
            last.end, last.count = slot.end, last.count + count
        else:
            entries.append(Entry(state, slot.start, slot.end, count))
    return entries


def doctor_week(doctor_id: int, resource_id: int, hospital_id: int, tz_name: str, any_day: date,
                now: datetime | None = None) -> WeekView:
    """The week (Monday to Sunday) holding any_day at one hospital: appointments, free runs and blocked time."""
    tz = ZoneInfo(tz_name)
    monday = monday_of(any_day)
    sunday = monday + timedelta(days=6)
    days = [monday + timedelta(days=i) for i in range(7)]
    calendar = load_calendar(resource_id, hospital_id, tz_name, monday, sunday)
    slots = slot_states(calendar, monday, sunday, now)
    entries = _runs(slots, FREE) + _runs(slots, BLOCKED)
    utc_start = core.to_utc(monday, time.min, tz)
    utc_end = core.to_utc(sunday + timedelta(days=1), time.min, tz)
    appointments = db.session.scalars(
        select(Appointment).where(Appointment.doctor_id == doctor_id, Appointment.hospital_id == hospital_id,
                                  Appointment.status != Status.CANCELLED, Appointment.start >= utc_start,
                                  Appointment.start < utc_end)
        .options(joinedload(Appointment.patient)).order_by(Appointment.start))
    type_names = dict(db.session.execute(select(AppointmentType.code, AppointmentType.name)
                                         .where(AppointmentType.hospital_id == hospital_id)).all())
    for a in appointments:
        type_name = type_names.get(a.appointment_type) or a.appointment_type.replace("_", " ")
        entries.append(Entry("appointment", _local(a.start, tz), _local(a.end, tz), appointment_id=a.id,
                             patient_name=a.patient.name if a.patient else "", appointment_type=type_name,
                             status=a.status, urgent=a.urgency == Urgency.URGENT))
    cells: dict[tuple[date, int], list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: (e.start, e.kind != "appointment")):
        cells.setdefault((entry.start.date(), entry.start.hour), []).append(entry)
    hours = sorted({hour for _, hour in cells})
    hours = list(range(hours[0], hours[-1] + 1)) if hours else []
    return WeekView(monday, days, hours, cells, local_today(tz_name, now), _leave_by_day(calendar, monday, sunday))


@dataclass
class LocalSlot:
    """A free slot from the search, with its start and end on the hospital's wall clock."""

    slot: SlotResult
    start: datetime
    end: datetime


def slots_by_day(results: list[SlotResult], tz_names: dict[int, str]) -> list[tuple[date, list[LocalSlot]]]:
    """Free slots grouped by the hospital's local day, earliest first."""
    days: dict[date, list[LocalSlot]] = {}
    for r in sorted(results, key=lambda r: r.start):
        tz = ZoneInfo(tz_names[r.hospital_id])
        days.setdefault(r.local_date, []).append(LocalSlot(r, _local(r.start, tz), _local(r.end, tz)))
    return sorted(days.items())


def nearest_free_slots(doctor_id: int, hospital_id: int, tz_name: str, wanted: datetime,
                       appointment_type: str | None, count: int = 6, days: int = 14,
                       now: datetime | None = None) -> list[SlotResult]:
    """The free slots of the doctor at the hospital closest to `wanted` (naive UTC), earliest first; never `wanted`
    itself, which callers ask about because it just failed (search may still show it free: a start held by the
    patient's own booking, or taken for this type's longer run)."""
    first = max(core.local_day(wanted, ZoneInfo(tz_name)), local_today(tz_name, now)) - timedelta(days=1)
    first = max(first, local_today(tz_name, now))
    query = SlotQuery(first_day=first, last_day=first + timedelta(days=days), doctor_id=doctor_id,
                      hospital_id=hospital_id, appointment_type=appointment_type, limit=200)
    found = [r for r in search_slots(query, now) if r.start != wanted]
    closest = sorted(found, key=lambda r: abs(r.start - wanted))[:count]
    return sorted(closest, key=lambda r: r.start)
