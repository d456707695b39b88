"""Search results "best for you" (docs/optimiser.md, "Best fit in the search").

The slot search answers the earliest slots (and its answer is kept per specialty: answers.py); "best for you"
depends on the patient, so it ranks that answer afterwards with the pure score (app/scheduling/scoring.py): two
queries for the whole answer (the doctors' bookings and their rules' rooms over the answer's days), none per slot.

The patient's wishes: the times of day chosen in the search, else those of their waiting waitlist entry for the
specialty; the place and radius of the search, else the entry's; the entry's hospitals. Without a patient or an
entry only what the search itself says counts (and then compactness, rooms and seats decide).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, AvailabilityRule, SchedulableResource, Schedule, WaitlistEntry
from app.scheduling.scoring import DayBooking, FitWeights, PatientWishes, SlotCandidate, SlotFit, rank_slots
from app.scheduling.slots import FreeSlot
from app.scheduling.timeutil import to_local, to_utc
from app.scheduling.waitlist import TIMES_OF_DAY
from app.services.availability.calendars import ACTIVE
from app.services.availability.query import SearchError, SlotQuery
from app.services.availability.search import SlotResult
from app.services.directory import choices

SORTS = ("earliest", "best")


def weights_from(config: Mapping) -> FitWeights:
    """The region's best-fit weights: ``BEST_FIT_WEIGHTS`` over the defaults (docs/settings.md), checked when the
    app starts (app/__init__.py)."""
    return FitWeights.from_setting(config.get("BEST_FIT_WEIGHTS"))


def parse_sort(value: str | None) -> str:
    sort = (value or "earliest").strip() or "earliest"
    if sort not in SORTS:
        raise SearchError("Sort by 'earliest' or 'best'.", "sort")
    return sort


def parse_times(value: str | None) -> frozenset[str]:
    """``times=morning,evening``: the times of day the patient prefers; an unknown band is a 422."""
    bands = frozenset(t.strip() for t in (value or "").split(",") if t.strip())
    unknown = bands - set(TIMES_OF_DAY)
    if unknown:
        raise SearchError(f"Times of day are {', '.join(TIMES_OF_DAY)}.", "times")
    return bands


def wishes(query: SlotQuery, patient_id: int | None, times: frozenset[str] = frozenset()) -> PatientWishes:
    """What the search and the patient's waiting entry for the specialty say (one query, with a patient)."""
    entry = None
    if patient_id is not None and query.specialty_id is not None:
        entry = db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.patient_id == patient_id, WaitlistEntry.specialty_id == query.specialty_id,
            WaitlistEntry.status == "waiting").order_by(WaitlistEntry.created_at.desc()).limit(1)).first()
    home, radius = query.near, query.radius_km
    hospitals: frozenset[int] = frozenset()
    if entry is not None:
        times = times or frozenset(t for t in entry.times_of_day.split(",") if t)
        hospitals = frozenset(int(h) for h in entry.hospital_ids.split(",") if h)
        if home is None and entry.near_lat is not None and entry.near_lon is not None:
            home, radius = (entry.near_lat, entry.near_lon), entry.radius_km
    return PatientWishes(times_of_day=times, hospital_ids=hospitals, home=home,
                         radius_km=float(radius) if radius else None)


def rank(results: Sequence[SlotResult], prefs: PatientWishes, weights: FitWeights) -> list[SlotFit]:
    """The results best first (each fit's ``candidate.info`` is its SlotResult)."""
    if not results:
        return []
    hospitals = {h["id"]: h for h in choices.hospital_details()}
    doctors = {r.doctor_id for r in results}
    # the answer's local days, midnight to midnight in each hospital's zone: the bookings that can share a day
    first = min(to_utc(r.local_date, time(0), _zone(hospitals, r.hospital_id)) for r in results)
    last = max(to_utc(r.local_date + timedelta(days=1), time(0), _zone(hospitals, r.hospital_id)) for r in results)
    rooms = _rule_rooms(doctors)
    bookings: dict[int | None, list[DayBooking]] = defaultdict(list)
    for doctor_id, hospital_id, start, end, room_id in db.session.execute(
            select(Appointment.doctor_id, Appointment.hospital_id, Appointment.start, Appointment.end,
                   Appointment.room_id)
            .where(Appointment.doctor_id.in_(doctors), Appointment.status.in_(ACTIVE),
                   Appointment.start >= first, Appointment.start < last)):
        tz = _zone(hospitals, hospital_id)
        if room_id:
            room = str(room_id)
        else:  # the room of the rule that holds the booking; no rule with a room: unknown
            room = _room_at(rooms, doctor_id, hospital_id, to_local(start, tz)) \
                if rooms.get((doctor_id, hospital_id)) else None
        bookings[doctor_id].append(DayBooking(start, end, room))
    candidates = []
    for r in results:
        tz = _zone(hospitals, r.hospital_id)
        h = hospitals.get(r.hospital_id) or {}
        position = (h["lat"], h["lon"]) if h.get("lat") is not None and h.get("lon") is not None else None
        candidates.append(SlotCandidate(
            FreeSlot(r.start, r.end, r.local_date, "slots", r.seats_left, r.urgent_hold),
            doctor_id=r.doctor_id, hospital_id=r.hospital_id, position=position,
            room=_room_at(rooms, r.doctor_id, r.hospital_id, to_local(r.start, tz)),
            info=r, tz=tz))  # alpha 0: the search offers regular seats only (extras are booked by staff)
    return rank_slots(candidates, tz=ZoneInfo("UTC"), prefs=prefs, bookings=bookings, weights=weights)


def ranked_results(results: Sequence[SlotResult], prefs: PatientWishes) -> list[SlotFit]:
    return rank(results, prefs, weights_from(current_app.config))


_zones: dict[str, ZoneInfo] = {}


def _zone(hospitals: dict, hospital_id: int) -> ZoneInfo:
    name = (hospitals.get(hospital_id) or {}).get("timezone") or "UTC"
    if name not in _zones:
        _zones[name] = ZoneInfo(name)
    return _zones[name]


def _rule_rooms(doctors: set[int]) -> dict[tuple[int, int], list[tuple]]:
    """(doctor, hospital) -> the rules that name a room: (valid_from, valid_till, weekday, start, end, room)."""
    rooms: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for row in db.session.execute(
            select(SchedulableResource.doctor_id, Schedule.hospital_id, Schedule.valid_from, Schedule.valid_till,
                   AvailabilityRule.weekday, AvailabilityRule.start, AvailabilityRule.end, AvailabilityRule.room_id)
            .join(Schedule, Schedule.resource_id == SchedulableResource.id)
            .join(AvailabilityRule, AvailabilityRule.schedule_id == Schedule.id)
            .where(SchedulableResource.doctor_id.in_(doctors), AvailabilityRule.room_id.is_not(None))):
        rooms[(row[0], row[1])].append(row[2:])
    return rooms


def _room_at(rooms: dict, doctor_id: int | None, hospital_id: int, local: datetime) -> str | None:
    """The room of the rule that holds this local moment (the latest schedule wins); None when no rule names one."""
    best = None
    for valid_from, valid_till, weekday, start, end, room_id in rooms.get((doctor_id, hospital_id), ()):
        if (weekday == local.weekday() and start <= local.time() < end and valid_from <= local.date()
                and (valid_till is None or local.date() < valid_till)
                and (best is None or valid_from > best[0])):
            best = (valid_from, room_id)
    return None if best is None else str(best[1])
