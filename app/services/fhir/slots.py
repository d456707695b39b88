"""Slot read and search over the availability search (services/availability/search.py): FHIR lists the free slots
the portal itself would offer, never a rule of its own (docs/fhir.md, "Slots").

Paging is by `_offset` within the first 500 slots of a search; a client wanting more searches from a later `start`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital
from app.models.base import utcnow
from app.services.availability import SlotQuery, search_slots, type_label
from app.services.availability.query import MAX_DAYS, SearchError
from app.services.booking import place
from app.services.fhir import resources as fhir
from app.services.fhir.directory import schedule_pair
from app.services.fhir.params import FhirError, check_names, date_range, paging, specialty_id, visit_type

DEFAULT_DAYS = 14
SEARCH_CAP = 500

# builds the booking deep link for a free slot: (doctor id, hospital id, start with offset, visit type) -> URL
LinkMaker = Callable[[int, int, str, str | None], str]


@dataclass
class FreeSlot:
    """One free slot of a search, with what FHIR needs to show it."""

    doctor_id: int
    hospital_id: int
    start: datetime
    end: datetime
    tz: str
    visit_type: str
    seats_left: int

    def resource(self, link: LinkMaker | None = None, *, typed: bool = False, check: bool = True) -> dict:
        start = fhir.instant(self.start, self.tz)
        return fhir.slot(self.doctor_id, self.hospital_id, self.start, self.end, self.tz,
                         visit_type=self.visit_type, seats_left=self.seats_left, check=check,
                         booking_link=link(self.doctor_id, self.hospital_id, start,
                                           self.visit_type if typed else None) if link else None)


@dataclass
class SlotSearch:
    """A checked Slot search: the availability query, the exact instant bounds and the visit type asked for."""

    query: SlotQuery
    lower: datetime
    upper: datetime
    typed: bool
    status_free: bool


SLOT_PARAMS = {"specialty", "service-type", "schedule", "start", "status"}


def read_slot_search(args, now: datetime | None = None) -> SlotSearch:
    """A Slot search's parameters, checked (FhirError names the one at fault)."""
    check_names(args, SLOT_PARAMS)
    lower, upper = date_range(args.getlist("start"), "start")
    doctor_id = hospital_id = None
    if args.get("schedule"):
        doctor_id, hospital_id = schedule_pair(args["schedule"])
    statuses = {s for value in args.getlist("status") for s in value.split(",")}
    if statuses - {"free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error"}:
        raise FhirError("status must be free, busy, busy-unavailable, busy-tentative or entered-in-error.")
    return build_search(lower, upper, now=now, doctor_id=doctor_id, hospital_id=hospital_id,
                        specialty=specialty_id(args["specialty"]) if args.get("specialty") else None,
                        code=visit_type(args["service-type"]) if args.get("service-type") else None,
                        status_free=not statuses or "free" in statuses)


def build_search(lower: datetime | None, upper: datetime | None, *, now: datetime | None = None,
                 doctor_id: int | None = None, hospital_id: int | None = None, specialty: int | None = None,
                 code: str | None = None, status_free: bool = True) -> SlotSearch:
    """Free slots starting in [lower, upper) (naive UTC; from now and for two weeks by default)."""
    now = now or utcnow()
    lower = max(lower or now, now)
    upper = upper or lower + timedelta(days=DEFAULT_DAYS)
    if upper - lower > timedelta(days=MAX_DAYS - 2):
        raise FhirError(f"Search at most {MAX_DAYS - 2} days of slots at a time.")
    # the hospitals' local days that can hold [lower, upper): a day either side covers every time zone
    query = SlotQuery(first_day=(lower - timedelta(days=1)).date(), last_day=(upper + timedelta(days=1)).date(),
                      specialty_id=specialty, hospital_id=hospital_id, doctor_id=doctor_id, appointment_type=code,
                      limit=SEARCH_CAP, earliest=lower)
    return SlotSearch(query, lower, max(upper, lower), code is not None, status_free)


def find_free(search: SlotSearch, now: datetime | None = None, limit: int = SEARCH_CAP) -> list[FreeSlot]:
    """The first `limit` free slots of the search (at most 500), earliest first."""
    if not search.status_free or search.upper <= search.lower:
        return []  # only free slots are listed: a busy time is no one's business but its patient's
    search.query.limit = min(limit, SEARCH_CAP)
    try:
        results = search_slots(search.query, now)
    except SearchError as err:
        raise FhirError(err.message) from None
    zones = dict(db.session.execute(select(Hospital.id, Hospital.timezone).where(
        Hospital.id.in_({r.hospital_id for r in results}))).all()) if results else {}
    return [FreeSlot(r.doctor_id, r.hospital_id, r.start, r.end, zones[r.hospital_id], r.appointment_type,
                     r.seats_left)
            for r in results if search.lower <= r.start < search.upper]


def search_page(args, link: LinkMaker | None = None) -> tuple[list[dict], bool]:
    """(Slot resources of the page, whether another page follows). Only the slots up to the page's end and one
    more are searched for, so a first page costs the same however many slots the region has."""
    search = read_slot_search(args)
    count, offset = paging(args)
    if offset + count > SEARCH_CAP:
        raise FhirError(f"Slot searches page through the first {SEARCH_CAP} slots; search from a later start.")
    found = find_free(search, limit=offset + count + 1)
    page = found[offset:offset + count]
    return [s.resource(link, typed=search.typed) for s in page], len(found) > offset + count


def read_slot(ident: str, link: LinkMaker | None = None) -> dict:
    """A slot by id: free when it can be booked now, busy when the doctor's hours hold it but it is taken; any other
    time (outside hours, past, unknown doctor) is no slot at all."""
    parsed = fhir.parse_slot_id(ident)
    if parsed is None:
        raise FhirError(f"No such record: {ident}", 404, "not_found")
    doctor_id, hospital_id, start = parsed
    doctor = db.session.get(Doctor, doctor_id) if doctor_id < 2**63 else None
    hospital = next((h for h in (doctor.hospitals if doctor and doctor.active else []) if h.id == hospital_id), None)
    if hospital is None:
        raise FhirError(f"No such record: {ident}", 404, "not_found")
    try:
        placement = place(doctor, start, appointment_type=None, urgency="routine", now=utcnow(),
                          hospital_id=hospital_id)
    except core.SlotTaken:
        taken = db.session.scalar(select(Appointment.end).where(
            Appointment.doctor_id == doctor_id, Appointment.status.in_(core.HOLDING), Appointment.start <= start,
            Appointment.end > start).limit(1))
        end = taken or start + timedelta(minutes=core.CELL_MINUTES)
        return fhir.slot(doctor_id, hospital_id, start, end, hospital.timezone, status="busy")
    except core.SchedulingError:
        raise FhirError(f"No such record: {ident}", 404, "not_found") from None
    free = placement.free
    slot = FreeSlot(doctor_id, hospital_id, free.start, free.end, hospital.timezone,
                    type_label(None, placement.offered), free.seats_left)
    return slot.resource(link)
