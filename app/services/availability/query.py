"""The slot search's question (SlotQuery, SearchError) and its one reading of a request.

parse_slot_request turns query-string arguments (specialty by id or name, city or coordinates, dates, limit, ...)
into a checked SlotQuery for the search page and GET /api/v1/slots, or raises SearchError naming the offending field.
The specialty and city lookups also serve the waiting list and the directory API. The search itself, which takes a
SlotQuery, is app.services.search.
"""
from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Doctor, Hospital, Specialty
from app.scheduling.codes import Urgency

MAX_DAYS = 92
MAX_RADIUS_KM = 500
MAX_ROW_ID = 2**63 - 1  # past it the database drivers overflow instead of finding nothing
FIRST_YEAR, LAST_YEAR = 1900, 2999  # search dates stay far from datetime's limits (time zones, day arithmetic)


class SearchError(ValueError):
    """A search request that cannot be answered; `field` names the request argument at fault."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass
class SlotQuery:
    """What to search for: local days `first_day`..`last_day` (inclusive) and the filters."""

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
    # False: `urgency` is what a patient (or anyone searching) states; it reaches the urgent-held slots only at
    # hospitals that allow self-declared urgency. True: the hospital's own decision (the waitlist's urgent reserve,
    # staff). Fails closed: a query built without thought trusts nobody (docs/security.md, "Urgency").
    urgency_by_staff: bool = False
    # only slots starting at or after this instant (naive UTC): a FHIR `start=ge...` search (docs/fhir.md)
    earliest: datetime | None = None


def resolve_specialty(value: str | None) -> int | None:
    """A specialty given by id or by name (any case); SearchError when unknown."""
    if value is None or value == "":
        return None
    if str(value).isascii() and str(value).isdigit():  # not "²", which isdigit() but int() refuses
        found = db.session.get(Specialty, int(value)) if int(value) <= MAX_ROW_ID else None
    else:
        found = db.session.scalar(select(Specialty).where(func.lower(Specialty.name) == str(value).strip().lower()))
    if found is None or not found.active:
        raise SearchError(f"Unknown specialty: {value}", "specialty")
    return found.id


def _search_specialty(value: str | None, listed: Collection[int]) -> int | None:
    """resolve_specialty, except that an id among `listed` (active specialties the caller knows of) costs no query."""
    text = str(value) if value is not None else ""
    if text.isascii() and text.isdigit() and int(text) in listed:
        return int(text)
    return resolve_specialty(value)


def validate(query: SlotQuery) -> None:
    """SearchError when the query is out of bounds; search_slots checks queries built in code with it too."""
    if query.last_day < query.first_day:
        raise SearchError("'to' must not be before 'from'.", "to")
    if (query.last_day - query.first_day).days >= MAX_DAYS:
        raise SearchError(f"Search at most {MAX_DAYS} days at a time.", "to")
    if query.radius_km is not None and not 0 < query.radius_km <= MAX_RADIUS_KM:
        raise SearchError(f"The radius must be between 1 and {MAX_RADIUS_KM} km.", "radius_km")
    if query.urgency not in (Urgency.ROUTINE, Urgency.URGENT):
        raise SearchError("Urgency must be routine or urgent.", "urgency")
    if not 1 <= query.limit <= 500:
        raise SearchError("The limit must be between 1 and 500.", "limit")


# --- request arguments ---

DEFAULT_DAYS = 14
DEFAULT_LIMIT = 50


def _int_arg(args, name: str, message: str) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ROW_ID:
        raise SearchError(message, name)
    return int(value)


def _date_arg(args, name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise SearchError(f"'{name}' must be a date like 2026-03-02.", name) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise SearchError(f"'{name}' must be between the years {FIRST_YEAR} and {LAST_YEAR}.", name)
    return day


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
                       default_limit: int = DEFAULT_LIMIT, listed_specialties: Collection[int] = ()) -> SlotQuery:
    """Read a search request (query-string names of GET /api/v1/slots) into a checked SlotQuery.

    `args` is any mapping of strings: specialty (id or name), city or near=lat,lon or lat+lon, radius_km, urgency,
    from, to (local dates, `to` inclusive), hospital, doctor, appointment_type, language, limit. Raises SearchError
    naming the offending field; the caller turns it into a 422. `listed_specialties`: ids of active specialties
    the caller already knows (the directory's cached list), taken without asking the database.
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
    specialty_id = _search_specialty(args.get("specialty"), listed_specialties)
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
