"""Free slots across the region: every doctor of a specialty in every hospital, earliest first.

The search reads days in growing chunks (2, then 5, then the rest) and stops as soon as it has `limit` slots, so the
common question "the earliest 50" costs one day or two of bookings, not the whole range.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from app import scheduling as core
from app.extensions import db
from app.models import (
    AppointmentType,
    Doctor,
    Hospital,
    Room,
    SchedulableResource,
    Specialty,
    doctor_hospitals,
    room_equipment,
)
from app.models import appointment_type_equipment as ate
from app.models.base import utcnow
from app.services.availability import Request, free_slots_for, load_busy, load_calendars, type_label

CHUNKS = (2, 5)
MAX_DAYS = 92
MAX_RADIUS_KM = 500


class SearchError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass
class SlotQuery:
    first_day: date
    last_day: date
    specialty_id: int | None = None
    hospital_id: int | None = None
    doctor_id: int | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    urgency: str = "routine"
    appointment_type: str | None = None
    language: str | None = None
    limit: int = 50


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


def resolve_specialty(value: str | None) -> int | None:
    """A specialty given by id or by name (any case); SearchError when unknown."""
    if value is None or value == "":
        return None
    if str(value).isdigit():
        found = db.session.get(Specialty, int(value))
    else:
        found = db.session.scalar(select(Specialty).where(func.lower(Specialty.name) == str(value).strip().lower()))
    if found is None or not found.active:
        raise SearchError(f"Unknown specialty: {value}", "specialty")
    return found.id


def validate(query: SlotQuery) -> None:
    if query.last_day < query.first_day:
        raise SearchError("'to' must not be before 'from'.", "to")
    if (query.last_day - query.first_day).days >= MAX_DAYS:
        raise SearchError(f"Search at most {MAX_DAYS} days at a time.", "to")
    if query.radius_km is not None and not 0 < query.radius_km <= MAX_RADIUS_KM:
        raise SearchError(f"The radius must be between 1 and {MAX_RADIUS_KM} km.", "radius_km")
    if query.urgency not in ("routine", "urgent"):
        raise SearchError("Urgency must be routine or urgent.", "urgency")
    if not 1 <= query.limit <= 500:
        raise SearchError("The limit must be between 1 and 500.", "limit")


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _candidates(query: SlotQuery):
    stmt = (select(Doctor.id, SchedulableResource.id, Hospital.id, Hospital.timezone, Hospital.lat, Hospital.lon)
            .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
            .join(Hospital, Hospital.id == doctor_hospitals.c.hospital_id)
            .join(SchedulableResource, SchedulableResource.doctor_id == Doctor.id)
            .where(Doctor.active, Hospital.active))
    if query.specialty_id is not None:
        stmt = stmt.where(Doctor.specialty_id == query.specialty_id)
    if query.hospital_id is not None:
        stmt = stmt.where(Hospital.id == query.hospital_id)
    if query.doctor_id is not None:
        stmt = stmt.where(Doctor.id == query.doctor_id)
    if query.language:
        stmt = stmt.where(or_(Doctor.languages == query.language, Doctor.languages.like(f"{query.language},%"),
                              Doctor.languages.like(f"%,{query.language}"),
                              Doctor.languages.like(f"%,{query.language},%")))
    rows = []
    for doctor_id, resource_id, hospital_id, tz, lat, lon in db.session.execute(stmt):
        dist = distance_km(query.near, (lat, lon)) if query.near else None
        if query.radius_km is not None and dist is not None and dist > query.radius_km:
            continue
        rows.append((doctor_id, resource_id, hospital_id, tz, dist))
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


def search_slots(query: SlotQuery, now: datetime | None = None) -> list[SlotResult]:
    validate(query)
    now = now or utcnow()
    candidates = _candidates(query)
    needs = _type_needs({c[2] for c in candidates}, query.appointment_type)
    candidates = [c for c in candidates if c[2] in needs]
    if not candidates:
        return []
    equipment_needed = set().union(*(kit for _, kit in needs.values()))
    eligible_rooms = _rooms_with({c[2] for c in candidates}, equipment_needed) if equipment_needed else None
    calendars = load_calendars([(c[1], c[2]) for c in candidates], {c[2]: c[3] for c in candidates},
                               query.first_day, query.last_day)
    results: list[SlotResult] = []
    chunk_start = query.first_day
    sizes = list(CHUNKS)
    while chunk_start <= query.last_day and len(results) < query.limit:
        size = sizes.pop(0) if sizes else MAX_DAYS
        chunk_end = min(query.last_day, chunk_start + timedelta(days=size - 1))
        utc_start = datetime.combine(chunk_start - timedelta(days=1), time.min)
        utc_end = datetime.combine(chunk_end + timedelta(days=2), time.min)
        busy = load_busy({c[1] for c in candidates}, utc_start, utc_end)
        room_busy = _room_busy(eligible_rooms, utc_start, utc_end) if eligible_rooms else {}
        for doctor_id, resource_id, hospital_id, _tz, dist in candidates:
            calendar = calendars[(resource_id, hospital_id)]
            if not calendar.schedules:
                continue
            duration, kit = needs[hospital_id]
            request = Request(now=now, appointment_type=query.appointment_type, duration_minutes=duration,
                              urgency=query.urgency, equipment=kit)
            for free, offered in free_slots_for(calendar, chunk_start, chunk_end, request,
                                                busy.get(resource_id, []), room_busy, eligible_rooms):
                results.append(SlotResult(doctor_id, hospital_id, free.start, free.end, free.local_date,
                                          type_label(query.appointment_type, offered), free.seats_left,
                                          free.urgent_hold, dist))
        chunk_start = chunk_end + timedelta(days=1)
    results.sort(key=lambda r: (r.start, r.distance_km or 0, r.doctor_id))
    return results[:query.limit]


def _room_busy(room_ids: set[int], start: datetime, end: datetime) -> dict[int, list[core.Busy]]:
    resources = dict(db.session.execute(select(SchedulableResource.id, SchedulableResource.room_id)
                                        .where(SchedulableResource.room_id.in_(room_ids))).all())
    by_resource = load_busy(set(resources), start, end)
    return {resources[r]: busy for r, busy in by_resource.items()}


# --- one reading of a search request, shared by the search page and the API ---

DEFAULT_DAYS = 14
DEFAULT_LIMIT = 50


def _int_arg(args, name: str, message: str) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise SearchError(message, name)
    return int(value)


def _date_arg(args, name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SearchError(f"'{name}' must be a date like 2026-03-02.", name) from None


def _float_arg(args, name: str, message: str) -> float | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise SearchError(message, name) from None
    if not math.isfinite(number):
        raise SearchError(message, name)
    return number


def cities() -> list[str]:
    """The cities that have an active hospital, for a city picker."""
    return list(db.session.scalars(select(Hospital.city).where(Hospital.active).distinct().order_by(Hospital.city)))


def city_centre(name: str) -> tuple[float, float]:
    """The mean position of a city's active hospitals; SearchError when no hospital is in that city."""
    rows = db.session.execute(select(Hospital.lat, Hospital.lon).where(
        Hospital.active, func.lower(Hospital.city) == name.strip().lower())).all()
    if not rows:
        raise SearchError(f"Unknown city: {name}", "city")
    return sum(r[0] for r in rows) / len(rows), sum(r[1] for r in rows) / len(rows)


def _place(args) -> tuple[float, float] | None:
    """Where to measure from: `near` (lat,lon), or `lat` and `lon`, or a `city` (its hospitals' centre)."""
    near = (args.get("near") or "").strip()
    lat, lon = (args.get("lat") or "").strip(), (args.get("lon") or "").strip()
    if near:
        try:
            lat_value, lon_value = (float(part) for part in near.split(","))
        except ValueError:
            raise SearchError("'near' must be lat,lon, e.g. 51.50,-0.12.", "near") from None
    elif lat or lon:
        message = "Your location could not be read; choose a city instead."
        lat_value = _float_arg(args, "lat", message)
        lon_value = _float_arg(args, "lon", message)
        if lat_value is None or lon_value is None:
            raise SearchError(message, "lat")
    elif (args.get("city") or "").strip():
        return city_centre(args["city"])
    else:
        return None
    if not (-90 <= lat_value <= 90 and -180 <= lon_value <= 180):
        raise SearchError("That place is not on Earth: latitude -90..90, longitude -180..180.", "near")
    return lat_value, lon_value


def parse_slot_request(args, today: date, *, default_days: int = DEFAULT_DAYS,
                       default_limit: int = DEFAULT_LIMIT) -> SlotQuery:
    """Read a search request (query-string names of GET /api/v1/slots) into a checked SlotQuery.

    `args` is any mapping of strings: specialty (id or name), city or near=lat,lon or lat+lon, radius_km, urgency,
    from, to (local dates, `to` inclusive), hospital, doctor, appointment_type, language, limit. Raises SearchError
    naming the offending field; the caller turns it into a 422.
    """
    first = _date_arg(args, "from") or today
    last = _date_arg(args, "to") or first + timedelta(days=default_days - 1)
    near = _place(args)
    radius = _float_arg(args, "radius_km", "The radius must be a number of kilometres.")
    if radius is not None and near is None:
        raise SearchError("A radius needs a place: choose a city or use your location.", "near")
    hospital_id = _int_arg(args, "hospital", "Unknown hospital.")
    if hospital_id is not None:
        hospital = db.session.get(Hospital, hospital_id)
        if hospital is None or not hospital.active:
            raise SearchError(f"Unknown hospital: {hospital_id}", "hospital")
    doctor_id = _int_arg(args, "doctor", "Unknown doctor.")
    if doctor_id is not None:
        doctor = db.session.get(Doctor, doctor_id)
        if doctor is None or not doctor.active:
            raise SearchError(f"Unknown doctor: {doctor_id}", "doctor")
    specialty_id = resolve_specialty(args.get("specialty"))
    if specialty_id is None and doctor_id is None and hospital_id is None:
        raise SearchError("Choose a specialty, a hospital or a doctor.", "specialty")
    limit = _int_arg(args, "limit", "The limit must be between 1 and 500.")
    query = SlotQuery(first_day=first, last_day=last, specialty_id=specialty_id, hospital_id=hospital_id,
                      doctor_id=doctor_id, near=near, radius_km=radius,
                      urgency=(args.get("urgency") or "routine").strip(),
                      appointment_type=(args.get("appointment_type") or "").strip() or None,
                      language=(args.get("language") or "").strip().lower() or None,
                      limit=default_limit if limit is None else limit)
    validate(query)
    return query
