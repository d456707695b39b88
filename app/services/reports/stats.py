"""Filling the daily statistics (docs/reports.md): read a stretch of days once, compute with the core, replace rows.

A day is a hospital's local day. Each rebuild deletes the stretch's rows and writes them again from the
appointments, queue entries, offers and availability, so the tables are derived data: running it twice gives the
same rows. Rows whose figures are all zero are not written (most doctors do not work at every hospital every day).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select

from app import scheduling as core
from app.extensions import db
from app.models import (
    AccessStat,
    Appointment,
    DailyStat,
    Doctor,
    Hospital,
    Offer,
    Queue,
    QueueEntry,
    SchedulableResource,
    doctor_hospitals,
)
from app.scheduling import stats as figures
from app.scheduling.timeutil import local_day, to_utc
from app.services.availability.calendars import load_calendars

CHUNK_DAYS = 14  # days computed per transaction: one read of each table per stretch
EMPTY = figures.DayFigures()
FIGURES = tuple(f.name for f in fields(figures.DayFigures))


@dataclass(frozen=True)
class Place:
    doctor_id: int
    specialty_id: int
    resource_id: int
    hospital_id: int
    tz: ZoneInfo
    cutoff_hours: int


def chunks(first: date, last: date, size: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    """The period cut into stretches of at most ``size`` days, each rebuilt in its own transaction."""
    result = []
    while first <= last:
        end = min(last, first + timedelta(days=size - 1))
        result.append((first, end))
        first = end + timedelta(days=1)
    return result


def places() -> list[Place]:
    rows = db.session.execute(
        select(Doctor.id, Doctor.specialty_id, SchedulableResource.id, Hospital.id, Hospital.timezone,
               Hospital.cancel_cutoff_hours)
        .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
        .join(Hospital, Hospital.id == doctor_hospitals.c.hospital_id)
        .join(SchedulableResource, SchedulableResource.doctor_id == Doctor.id)
        .order_by(Hospital.id, Doctor.id))
    return [Place(d, s, r, h, ZoneInfo(tz), cutoff) for d, s, r, h, tz, cutoff in rows]


def rebuild(first: date, last: date) -> dict[str, int]:
    """Replace the rows of the local days [first, last] (one stretch; the caller checks the period)."""
    everywhere = places()
    ahead = timedelta(days=figures.ACCESS_LOOKAHEAD_DAYS)
    span_start = datetime.combine(first - timedelta(days=1), time.min)
    span_end = datetime.combine(last + ahead + timedelta(days=2), time.min)
    bookings = _bookings(span_start, span_end)
    arrivals = _arrivals(first, last)
    offers = _offers(span_start, datetime.combine(last + timedelta(days=2), time.min))
    windows = _windows(everywhere, first, last + ahead)
    zones = {p.hospital_id: p.tz for p in everywhere}
    on_day: dict[tuple[int, int, date], list[figures.Booking]] = defaultdict(list)
    for (doctor_id, hospital_id), found in bookings.items():
        if hospital_id in zones:
            for b in found:
                on_day[(doctor_id, hospital_id, local_day(b.start, zones[hospital_id]))].append(b)
    offers_on: dict[tuple[int, int, date], list[figures.OfferMade]] = defaultdict(list)
    for (doctor_id, hospital_id), found in offers.items():
        if hospital_id in zones:
            for created, offer in found:
                offers_on[(doctor_id, hospital_id, local_day(created, zones[hospital_id]))].append(offer)
    db.session.execute(delete(DailyStat).where(DailyStat.day >= first, DailyStat.day <= last))
    db.session.execute(delete(AccessStat).where(AccessStat.day >= first, AccessStat.day <= last))
    daily, access = [], []
    day = first
    while day <= last:
        free_by_group: dict[tuple[int, int], list[datetime]] = defaultdict(list)
        for place in everywhere:
            key = (place.doctor_id, place.hospital_id)
            since = to_utc(day, time(0), place.tz)
            offered, slots = windows.get(key, ({}, []))
            result = figures.day_figures(offered.get(day, ()), on_day.get((*key, day), ()),
                                         arrivals.get((*key, day), ()), offers_on.get((*key, day), ()),
                                         place.cutoff_hours)
            if result != EMPTY:
                daily.append({"day": day, "hospital_id": place.hospital_id, "doctor_id": place.doctor_id,
                              "specialty_id": place.specialty_id,
                              **{name: getattr(result, name) for name in FIGURES}})
            group = free_by_group[(place.hospital_id, place.specialty_id)]
            group.extend(figures.first_free(slots, bookings.get(key, ()), since, since + ahead))
        for (hospital_id, specialty_id), free in free_by_group.items():
            since = to_utc(day, time(0), zones[hospital_id])
            access.append({"day": day, "hospital_id": hospital_id, "specialty_id": specialty_id,
                           "third_next_days": figures.third_next_available(free, since)})
        day += timedelta(days=1)
    if daily:
        db.session.execute(insert(DailyStat), daily)
    if access:
        db.session.execute(insert(AccessStat), access)
    db.session.flush()
    return {"daily_rows": len(daily), "access_rows": len(access)}


def _bookings(start: datetime, end: datetime) -> dict[tuple[int, int], list[figures.Booking]]:
    """The doctors' appointments starting in [start, end), sorted by start, per (doctor, hospital)."""
    a = Appointment
    found: dict[tuple[int, int], list[figures.Booking]] = defaultdict(list)
    for doctor_id, hospital_id, *values in db.session.execute(
            select(a.doctor_id, a.hospital_id, a.start, a.end, a.created_at, a.status, a.cancelled_at)
            .where(a.doctor_id.is_not(None), a.start >= start, a.start < end, a.status != core.Status.HELD)
            .order_by(a.start, a.id)):
        found[(doctor_id, hospital_id)].append(figures.Booking(*values))
    return found


def _arrivals(first: date, last: date) -> dict[tuple[int, int, date], list[figures.Arrival]]:
    e = QueueEntry
    found: dict[tuple[int, int, date], list[figures.Arrival]] = defaultdict(list)
    for doctor_id, hospital_id, day, source, *times in db.session.execute(
            select(Queue.doctor_id, Queue.hospital_id, e.day, e.source, e.arrived_at, e.called_at, e.started_at,
                   e.ended_at)
            .join(Queue, Queue.id == e.queue_id).where(e.day >= first, e.day <= last).order_by(e.id)):
        found[(doctor_id, hospital_id, day)].append(figures.Arrival(source == "walkin", *times))
    return found


def _offers(start: datetime, end: datetime) -> dict[tuple[int, int], list[tuple[datetime, figures.OfferMade]]]:
    found: dict[tuple[int, int], list[tuple[datetime, figures.OfferMade]]] = defaultdict(list)
    for doctor_id, hospital_id, created, hold_id, status in db.session.execute(
            select(Appointment.doctor_id, Appointment.hospital_id, Offer.created_at, Offer.hold_id, Offer.status)
            .join(Appointment, Appointment.id == Offer.hold_id)
            .where(Offer.created_at >= start, Offer.created_at < end, Appointment.doctor_id.is_not(None))
            .order_by(Offer.id)):
        found[(doctor_id, hospital_id)].append(
            (created, figures.OfferMade(hold_id, status == core.OfferStatus.ACCEPTED)))
    return found


def _windows(everywhere: list[Place], first: date, last: date
             ) -> dict[tuple[int, int], tuple[dict[date, list[tuple[datetime, datetime]]], list[tuple]]]:
    """Per (doctor, hospital): the offered windows of each local day, and the sorted slots of the whole stretch."""
    tzs = {p.hospital_id: p.tz.key for p in everywhere}
    calendars = load_calendars([(p.resource_id, p.hospital_id) for p in everywhere], tzs, first, last)
    result = {}
    for place in everywhere:
        calendar = calendars[(place.resource_id, place.hospital_id)]
        schedules = [s for _ref, s in calendar.schedules]
        if not schedules and not calendar.exceptions:
            continue
        windows = core.expand_windows(schedules, calendar.exceptions, place.tz, first, last)
        by_day: dict[date, list[tuple[datetime, datetime]]] = defaultdict(list)
        by_policy: dict[core.Policy, list[core.Window]] = defaultdict(list)
        for w in windows:
            by_day[w.local_date].append((w.start, w.end))
            if w.rule.kind == core.Kind.SLOTS:
                covering = calendar.schedule_for(w.local_date)
                # only the grid matters here (slot length and buffer), not the urgent hold-back
                buffer = covering[1].policy.buffer_minutes if covering else 0
                by_policy[core.Policy(buffer_minutes=buffer)].append(w)
        slots = sorted((s.start, s.end) for policy, group in by_policy.items()
                       for s in core.generate_slots(group, place.tz, policy))
        result[(place.doctor_id, place.hospital_id)] = (by_day, slots)
    return result
