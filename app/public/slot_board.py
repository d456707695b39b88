"""Slots as pages show them: local time and zone, fee, distance, and free (green) or booked (yellow).

The search results list free slots only (app.services.search); a doctor's board adds the booked ones of the same
days (app.services.calendar_view) so patients see a calendar that is full rather than one that is empty.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.extensions import db
from app.models import AppointmentType, Doctor, Hospital
from app.models.base import utcnow
from app.services.availability import resource_for_doctor
from app.services.availability.query import SlotQuery
from app.services.availability.search import SlotResult, search_slots
from app.services.availability.views import BOOKED, load_calendar, slot_states

FREE = "free"


@dataclass
class SlotView:
    doctor_id: int
    hospital_id: int
    start: datetime  # naive UTC: what the booking link carries
    end: datetime
    local_start: datetime  # aware, in the hospital's zone
    local_end: datetime
    state: str = FREE  # free | booked
    appointment_type: str = "new"
    distance_km: float | None = None
    urgent_hold: bool = False
    fee: Decimal | None = None
    currency: str | None = None  # the hospital's, ISO 4217

    @property
    def local_date(self) -> date:
        return self.local_start.date()

    @property
    def start_iso(self) -> str:
        return self.local_start.isoformat()

    @property
    def end_iso(self) -> str:
        return self.local_end.isoformat()

    @property
    def wall_start(self) -> datetime:
        """Naive wall-clock start, for Babel's formatters (which would convert an aware time to UTC)."""
        return self.local_start.replace(tzinfo=None)

    @property
    def zone(self) -> str:
        return self.local_start.tzname() or ""


def _view(r: SlotResult, hospital: Hospital, tz: ZoneInfo, fee: Decimal | None) -> SlotView:
    return SlotView(r.doctor_id, r.hospital_id, r.start, r.end, core.to_local(r.start, tz), core.to_local(r.end, tz),
                    FREE, r.appointment_type, r.distance_km, r.urgent_hold, fee, hospital.currency)


def load_doctors(ids: set[int]) -> dict[int, Doctor]:
    rows = db.session.scalars(select(Doctor).where(Doctor.id.in_(ids)).options(
        selectinload(Doctor.user), selectinload(Doctor.specialty)))  # what a result row shows
    return {d.id: d for d in rows}


def load_hospitals(ids: set[int]) -> dict[int, Hospital]:
    return {h.id: h for h in db.session.scalars(select(Hospital).where(Hospital.id.in_(ids)))}


def type_fees(hospital_ids: set[int]) -> dict[tuple[int, str], Decimal]:
    rows = db.session.execute(select(AppointmentType.hospital_id, AppointmentType.code, AppointmentType.fee)
                              .where(AppointmentType.hospital_id.in_(hospital_ids), AppointmentType.active))
    return {(h, code): fee for h, code, fee in rows}


def fee_of(doctor: Doctor | None, hospital_id: int, code: str, fees: dict[tuple[int, str], Decimal]):
    """What the booking will charge: the hospital's fee for the type, else the doctor's own fee."""
    return fees.get((hospital_id, code), doctor.fee if doctor else None)


def price_list(doctor: Doctor, hospital: Hospital) -> list[tuple[str, Decimal]]:
    """What each appointment type costs with the doctor at the hospital (name, fee), as booking charges it."""
    types = db.session.execute(select(AppointmentType.name, AppointmentType.fee).where(
        AppointmentType.hospital_id == hospital.id, AppointmentType.active).order_by(AppointmentType.fee,
                                                                                      AppointmentType.name)).all()
    return [(name, fee) for name, fee in types] or [("", doctor.fee)]


def result_views(results: list[SlotResult], doctors: dict[int, Doctor],
                 hospitals: dict[int, Hospital]) -> list[SlotView]:
    fees = type_fees(set(hospitals))
    zones = {h.id: ZoneInfo(h.timezone) for h in hospitals.values()}
    return [_view(r, hospitals[r.hospital_id], zones[r.hospital_id],
                  fee_of(doctors.get(r.doctor_id), r.hospital_id, r.appointment_type, fees)) for r in results]


def by_day(views: list[SlotView]) -> list[tuple[date, list[SlotView]]]:
    """Slots grouped by the hospital's local day, earliest first."""
    days: dict[date, list[SlotView]] = {}
    for v in sorted(views, key=lambda v: (v.start, v.distance_km or 0, v.doctor_id)):
        days.setdefault(v.local_date, []).append(v)
    return sorted(days.items())


def next_available(views: list[SlotView]) -> list[SlotView]:
    """The first free slot of each doctor, earliest first."""
    first: dict[int, SlotView] = {}
    for v in sorted(views, key=lambda v: v.start):
        first.setdefault(v.doctor_id, v)
    return list(first.values())


def doctor_board(doctor: Doctor, hospital: Hospital, first_day: date, days: int,
                 appointment_type: str | None = None, urgency: str = "routine",
                 now: datetime | None = None) -> list[tuple[date, list[SlotView]]]:
    """The doctor's slots at the hospital over `days` local days: bookable ones free, taken ones booked."""
    now = now or utcnow()
    last_day = first_day + timedelta(days=days - 1)
    tz = ZoneInfo(hospital.timezone)
    free = search_slots(SlotQuery(first_day=first_day, last_day=last_day, doctor_id=doctor.id,
                                  hospital_id=hospital.id, appointment_type=appointment_type, urgency=urgency,
                                  limit=500), now)
    views = result_views(free, {doctor.id: doctor}, {hospital.id: hospital})
    free_starts = {v.start for v in views}
    calendar = load_calendar(resource_for_doctor(doctor.id).id, hospital.id, hospital.timezone, first_day, last_day)
    for slot in slot_states(calendar, first_day, last_day, now):
        if slot.state != BOOKED:
            continue
        local_start, local_end = slot.start.replace(tzinfo=tz), slot.end.replace(tzinfo=tz)
        start = core.to_utc(local_start.date(), local_start.time(), tz)
        if start < now or start in free_starts:
            continue
        views.append(SlotView(doctor.id, hospital.id, start, core.to_utc(local_end.date(), local_end.time(), tz),
                              local_start, local_end, BOOKED))
    return by_day(views)
