"""Free slots across the region: every doctor of a specialty in every hospital, earliest first.

The search goes day by day and, within a day, through time windows: the day's slots cost no query (the rules are
cached and the slots memoised, see services.availability), so it first takes the earliest few hundred slot starts
across all doctors, reads only the bookings that can touch them, and widens the window only while it still has fewer
than `limit` free slots. The common question "the earliest 50" reads an hour or so of bookings, not whole days, and
an evening search skips the rest of today without a query.

The question (SlotQuery) and its reading from a request live in app.services.search_request.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, true, tuple_

from app import scheduling as core
from app.extensions import db
from app.models import (
    AppointmentType,
    Doctor,
    Hospital,
    IndexedSlot,
    Room,
    SchedulableResource,
    doctor_hospitals,
    room_equipment,
)
from app.models import appointment_type_equipment as ate
from app.models.base import utcnow
from app.scheduling.codes import Urgency
from app.scheduling.geo import distance_km
from app.services.availability import index
from app.services.availability.calendars import (
    Calendar,
    Group,
    Request,
    day_groups,
    load_calendars,
    load_day_counts,
    load_doctor_busy,
    load_room_busy,
    others_in_room,
    type_label,
)
from app.services.availability.query import SlotQuery, validate
from app.services.rows import LIKE_ESCAPE, like_escaped

# The first window of a day holds this many slot starts per wanted result: usually a third or more of a day's slots
# are free, so one window is enough; each further window doubles.
WINDOW_FACTOR = 4
TIES = 16  # rows read past an indexed search's limit: slots tied with its last result at the same start
# the index search is written on the tables, not the mapped classes: its rows are plain tuples, and an ORM-enabled
# select costs a third more per statement and per row (docs/benchmarks.md, "Start-up and plain inserts")
_SLOTS, _DOCTORS, _HOSPITALS = IndexedSlot.__table__, Doctor.__table__, Hospital.__table__


@dataclass
class SlotResult:
    doctor_id: int
    hospital_id: int
    start: datetime
    end: datetime
    local_date: date
    appointment_type: str
    seats_left: int
    urgent_hold: bool
    distance_km: float | None


def _narrowed(stmt, query: SlotQuery, specialty_id, hospital_id, doctor_id, languages=Doctor.languages):
    """The request's specialty, hospital, doctor and language filters on the given columns: the live search's
    candidates and the index's rows are narrowed alike."""
    if query.specialty_id is not None:
        stmt = stmt.where(specialty_id == query.specialty_id)
    if query.hospital_id is not None:
        stmt = stmt.where(hospital_id == query.hospital_id)
    if query.doctor_id is not None:
        stmt = stmt.where(doctor_id == query.doctor_id)
    if query.language:
        stmt = stmt.where(_language_clause(query.language, languages))
    return stmt


def _candidates(query: SlotQuery):
    stmt = (select(Doctor.id, SchedulableResource.id, Hospital.id, Hospital.timezone, Hospital.lat, Hospital.lon,
                   Hospital.allow_self_declared_urgency)
            .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
            .join(Hospital, Hospital.id == doctor_hospitals.c.hospital_id)
            .join(SchedulableResource, SchedulableResource.doctor_id == Doctor.id)
            .where(Doctor.active, Hospital.active))
    stmt = _narrowed(stmt, query, Doctor.specialty_id, Hospital.id, Doctor.id)
    rows = []
    for doctor_id, resource_id, hospital_id, tz, lat, lon, self_declared in db.session.execute(stmt):
        dist = distance_km(query.near, (lat, lon)) if query.near else None
        if query.radius_km is not None and dist is not None and dist > query.radius_km:
            continue
        urgency = core.slot_urgency(query.urgency, by_staff=query.urgency_by_staff,
                                    self_declared_allowed=bool(self_declared))
        rows.append((doctor_id, resource_id, hospital_id, tz, dist, urgency))
    return rows


def _type_needs(hospital_ids: set[int], code: str | None) -> dict[int, tuple[int | None, set[int]]]:
    """Per hospital: (duration, equipment ids) of the type; hospitals that do not offer it are absent."""
    if code is None:
        return {h: (None, set()) for h in hospital_ids}
    rows = db.session.execute(select(AppointmentType.id, AppointmentType.hospital_id, AppointmentType.duration_minutes)
                              .where(AppointmentType.hospital_id.in_(hospital_ids), AppointmentType.code == code,
                                     AppointmentType.active)).all()
    needs = {h: (minutes, set()) for _, h, minutes in rows}
    by_type = {type_id: h for type_id, h, _ in rows}
    for type_id, equipment_id in db.session.execute(select(ate.c.appointment_type_id, ate.c.equipment_id)
                                                    .where(ate.c.appointment_type_id.in_(by_type))):
        needs[by_type[type_id]][1].add(equipment_id)
    return needs


def _rooms_with(hospital_ids: set[int], equipment: set[int]) -> set[int]:
    if not equipment:
        return set()
    rows = db.session.execute(select(Room.id, room_equipment.c.equipment_id).join(room_equipment)
                              .where(Room.hospital_id.in_(hospital_ids), Room.active)).all()
    have: dict[int, set[int]] = defaultdict(set)
    for room_id, equipment_id in rows:
        have[room_id].add(equipment_id)
    return {room_id for room_id, kit in have.items() if equipment <= kit}


@dataclass
class _Doctor:
    """One candidate (a doctor at a hospital) with its calendar and what it is asked for."""

    doctor_id: int
    resource_id: int
    hospital_id: int
    distance: float | None
    calendar: Calendar
    request: Request


def search_slots(query: SlotQuery, now: datetime | None = None) -> list[SlotResult]:
    """Free slots for the query, earliest first: from the availability index (docs/availability-index.md), or, for
    a `now` far from the clock that the index does not cover, from the live computation."""
    validate(query)
    clock = utcnow()
    now = now or clock
    if index.covers(now, clock):
        return indexed_search(query, now)
    return live_search(query, now)


def _language_clause(language: str, languages=Doctor.languages):
    lang = like_escaped(language)  # a user's word: its % and _ match only themselves
    return or_(languages == language,
               languages.like(f"{lang},%", escape=LIKE_ESCAPE),
               languages.like(f"%,{lang}", escape=LIKE_ESCAPE),
               languages.like(f"%,{lang},%", escape=LIKE_ESCAPE))


def indexed_search(query: SlotQuery, now: datetime) -> list[SlotResult]:
    """The search as one range query over the index, read page by page until `limit` results (and every result
    tied with the last at its start) are in: then sorted and cut exactly as the live search does."""
    index.catch_up()  # this transaction's own writes first
    return _sorted(_indexed_rows(query, now)[0], query.limit)


def _sorted(results: list[tuple[SlotResult, datetime]], limit: int) -> list[SlotResult]:
    return sorted((r for r, _ in results), key=lambda r: (r.start, r.distance_km or 0, r.doctor_id))[:limit]


def indexed_search_until(query: SlotQuery, now: datetime) -> tuple[list[SlotResult], datetime | None]:
    """indexed_search, and the last instant at which its answer is sure to stand while no write changes the index
    (None: for ever): the earliest `book_by` among the results (then one of them is offered no more) and the earliest
    `open_from` or `release_at` still ahead among the rows up to the last result (then one of them is offered too)."""
    index.catch_up()
    s = _SLOTS.c
    results, boundary = _indexed_rows(query, now)
    book_by = min((book_by for _, book_by in results), default=None)
    # the rows up to the last result that the moment of the search hid, or holds back: when they show up
    later = select(func.min(case((s.open_from > now, s.open_from))),
                   func.min(case((and_(s.urgent_hold, s.release_at > now), s.release_at)))) \
        .join(_DOCTORS, _DOCTORS.c.id == s.doctor_id).join(_HOSPITALS, _HOSPITALS.c.id == s.hospital_id)
    if boundary is not None:  # through the last result's whole day: one range of the index, not a row comparison
        later = later.where(s.local_date <= boundary[0])
    shows_up = db.session.execute(_filtered(later, query, now, visible=False)).one()
    instants = [t for t in (book_by, *shows_up) if t is not None]
    return _sorted(results, query.limit), min(instants, default=None)


def _filtered(stmt, query: SlotQuery, now: datetime, *, visible: bool):
    """The query's conditions on index rows; `visible`: also those of the moment (bookable now, in the horizon, not
    held back from this request), else only that the row is still bookable."""
    s = _SLOTS.c
    stmt = stmt.where(_DOCTORS.c.active, _HOSPITALS.c.active, s.local_date >= query.first_day,
                      s.local_date <= query.last_day, s.book_by >= now)
    stmt = _narrowed(stmt, query, s.specialty_id, s.hospital_id, s.doctor_id, _DOCTORS.c.languages)
    if query.earliest is not None:
        stmt = stmt.where(s.start >= query.earliest)
    if query.radius_km is not None and query.near is not None:
        # the hospitals within reach, in SQL: filtering rows afterwards would page through the whole region
        hospitals = _HOSPITALS.c
        near = [h for h, lat, lon in db.session.execute(select(hospitals.id, hospitals.lat, hospitals.lon)
                                                         .where(hospitals.active))
                if distance_km(query.near, (lat, lon)) <= query.radius_km]
        stmt = stmt.where(s.hospital_id.in_(near))
    if query.appointment_type:
        code = like_escaped(query.appointment_type)
        stmt = stmt.where(or_(s.variant == query.appointment_type,
                              and_(s.variant == "", s.types.like(f"%,{code},%", escape=LIKE_ESCAPE))))
    else:
        stmt = stmt.where(s.variant == "")
    if not visible:
        return stmt
    stmt = stmt.where(s.open_from <= now)
    # core.slot_urgency in SQL: the held-back slots reach a stated urgency only where the hospital allows it
    if query.urgency == Urgency.URGENT:
        urgent = true() if query.urgency_by_staff else _HOSPITALS.c.allow_self_declared_urgency.is_(True)
        return stmt.where(or_(s.urgent_hold.is_(False), s.release_at <= now, urgent))
    return stmt.where(or_(s.urgent_hold.is_(False), s.release_at <= now))


def _indexed_rows(query: SlotQuery, now: datetime):
    """The matching rows in (local_date, start) order, page by page until `limit` results and every result tied
    with the last at its start are in: [(result, its book_by)] and the (local_date, start) of the last result, or
    None when there are fewer than `limit`."""
    s = _SLOTS.c
    stmt = (select(s.id, s.doctor_id, s.hospital_id, s.start, s.end, s.local_date, s.label, s.seats_left,
                   s.urgent_hold, s.book_by, _HOSPITALS.c.lat, _HOSPITALS.c.lon)
            .join(_DOCTORS, _DOCTORS.c.id == s.doctor_id).join(_HOSPITALS, _HOSPITALS.c.id == s.hospital_id))
    stmt = _filtered(stmt, query, now, visible=True).order_by(s.local_date, s.start, s.id)
    # the results and those tied with the last at its start; another page comes only when ties run past it
    page = query.limit + TIES
    results: list[tuple[SlotResult, datetime]] = []
    boundary, after = None, None
    while True:
        keyset = stmt if after is None else stmt.where(tuple_(s.local_date, s.start, s.id) > tuple_(*after))
        rows = db.session.execute(keyset.limit(page)).all()
        for row in rows:
            if boundary is not None and (row.local_date, row.start) != boundary:
                break
            dist = distance_km(query.near, (row.lat, row.lon)) if query.near else None
            if query.radius_km is not None and dist is not None and dist > query.radius_km:
                continue
            results.append((SlotResult(row.doctor_id, row.hospital_id, row.start, row.end, row.local_date,
                                       query.appointment_type or row.label, row.seats_left, row.urgent_hold, dist),
                            row.book_by))
            if boundary is None and len(results) == query.limit:
                boundary = (row.local_date, row.start)
        else:
            if len(rows) == page:
                last = rows[-1]
                after = (last.local_date, last.start, last.id)
                continue
        break
    return results, boundary


def live_search(query: SlotQuery, now: datetime) -> list[SlotResult]:
    """The search computed from the rules, exceptions and bookings: what the index must always agree with."""
    candidates = _candidates(query)
    needs = _type_needs({c[2] for c in candidates}, query.appointment_type)
    candidates = [c for c in candidates if c[2] in needs]
    if not candidates:
        return []
    equipment_needed = set().union(*(kit for _, kit in needs.values()))
    eligible_rooms = _rooms_with({c[2] for c in candidates}, equipment_needed) if equipment_needed else None
    calendars = load_calendars([(c[1], c[2]) for c in candidates], {c[2]: c[3] for c in candidates},
                               query.first_day, query.last_day)
    doctors = []
    for doctor_id, resource_id, hospital_id, _tz, dist, urgency in candidates:
        calendar = calendars[(resource_id, hospital_id)]
        if calendar.schedules:
            duration, kit = needs[hospital_id]
            request = Request(now=now, appointment_type=query.appointment_type, duration_minutes=duration,
                              urgency=urgency, equipment=kit)
            doctors.append(_Doctor(doctor_id, resource_id, hospital_id, dist, calendar, request))
    results: list[SlotResult] = []
    day = query.first_day
    while day <= query.last_day and len(results) < query.limit:
        results += _search_day(doctors, day, now, query.limit - len(results), eligible_rooms, query.earliest)
        day += timedelta(days=1)
    results.sort(key=lambda r: (r.start, r.distance_km or 0, r.doctor_id))
    return results[:query.limit]


def _search_day(doctors: list[_Doctor], day: date, now: datetime, wanted: int,
                eligible_rooms: set[int] | None, not_before: datetime | None = None) -> list[SlotResult]:
    """Free slots of the local day (in each doctor's zone), window by window until `wanted` are found.

    Stopping after a window is exact: every slot not looked at starts later than every slot found.
    """
    plans, starts = [], []
    for doctor in doctors:
        groups = day_groups(doctor.calendar, day, doctor.request, eligible_rooms)
        if not groups:
            continue
        policy = groups[0].policy  # one schedule per day: its groups share the policy
        if day > core.local_day(now, doctor.calendar.tz) + timedelta(days=policy.horizon_days):
            continue
        plans.append((doctor, groups))
        # only starts the core may offer (notice), so that the first window holds enough of them
        earliest = now + timedelta(minutes=policy.min_notice_minutes)
        if not_before is not None:
            earliest = max(earliest, not_before)
        starts += [s.start for g in groups for s in g.slots if s.start >= earliest]
    if not starts:
        return []  # a weekend, or the rest of today is past: no query at all
    starts.sort()
    counts = _day_counts(plans, day)
    found: list[SlotResult] = []
    lo, done, size = starts[0], 0, WINDOW_FACTOR * wanted
    while done < len(starts) and len(found) < wanted:
        # end the window between two different starts, so that it is never empty
        done = bisect_right(starts, starts[min(len(starts), done + size) - 1])
        hi = starts[done] if done < len(starts) else None  # None: to the end of the day
        found += _search_window(plans, lo, hi, now, counts)
        lo, size = hi, size * 2
    return found


def _day_counts(plans: list[tuple[_Doctor, list[Group]]], day: date) -> dict[tuple[int, ZoneInfo], dict[date, int]]:
    """Bookings of the local day per (resource, zone), for the doctors whose schedule has a daily limit: the
    windows read only part of the day's bookings, the limit counts all of them. One query per zone."""
    limited: dict[ZoneInfo, dict[int, int]] = defaultdict(dict)
    for doctor, groups in plans:
        if groups[0].policy.daily_limit is not None:
            limited[doctor.calendar.tz][doctor.doctor_id] = doctor.resource_id
    counts: dict[tuple[int, ZoneInfo], dict[date, int]] = {}
    for tz, by_doctor in limited.items():
        for resource_id, count in load_day_counts(by_doctor, tz, day).items():
            counts[(resource_id, tz)] = {day: count}
    return counts


def _search_window(plans: list[tuple[_Doctor, list[Group]]], lo: datetime, hi: datetime | None, now: datetime,
                   counts: dict[tuple[int, ZoneInfo], dict[date, int]]) -> list[SlotResult]:
    """Free slots starting in [lo, hi), with one read of the bookings that can touch them."""
    pieces = []
    upper = lo
    for doctor, groups in plans:
        # a longer appointment runs on through the following slots: hand the core those too
        extra = timedelta(minutes=doctor.request.duration_minutes or 0)
        for group in groups:
            slots = group.slots
            first = bisect_left(slots, lo, key=_start)
            stop = len(slots) if hi is None else bisect_left(slots, hi + extra, key=_start)
            if first == stop or (hi is not None and slots[first].start >= hi):
                continue
            pieces.append((doctor, group, slots[first:stop]))
            upper = max(upper, slots[stop - 1].end)  # the core looks at bookings only within the slots it gets
    if not pieces:
        return []
    busy = load_doctor_busy({doctor.doctor_id: doctor.resource_id for doctor, _, _ in pieces}, lo, upper)
    room_busy = load_room_busy({group.room_id for _, group, _ in pieces if group.room_id is not None}, lo, upper)
    results = []
    for doctor, group, slots in pieces:
        request = doctor.request
        group_busy = busy.get(doctor.resource_id, [])
        group_busy = group_busy + others_in_room(room_busy, group.room_id, doctor.doctor_id)
        types = {slot.start: slot.appointment_types for slot in slots}
        for free in core.free_slots(slots, group_busy, now, group.policy, doctor.calendar.tz,
                                    appointment_type=request.appointment_type,
                                    duration_minutes=request.duration_minutes, urgency=request.urgency,
                                    day_counts=counts.get((doctor.resource_id, doctor.calendar.tz))):
            if hi is not None and free.start >= hi:
                continue  # the next window's, where it is looked at again with every other doctor's slots
            results.append(SlotResult(doctor.doctor_id, doctor.hospital_id, free.start, free.end, free.local_date,
                                      type_label(request.appointment_type, types[free.start]), free.seats_left,
                                      free.urgent_hold, doctor.distance))
    return results


def _start(slot: core.Slot) -> datetime:
    return slot.start
