"""The cancellation waitlist (issue #7): patients join with what they wait for; freed slots are offered to them.

This module is the contract the pages and the API use (joining, leaving, listing, the desk booking by phone) and
re-exports the offer functions of waitlist_offers and the matcher's candidates of waitlist_match. Functions flush and
never commit; refusals are app.scheduling errors (WaitlistError, OfferClosed, SlotTaken ...) naming their field.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Offer, Patient, Specialty, WaitlistEntry
from app.models.base import utcnow
from app.scheduling.codes import Kind, OfferStatus, Status, WaitStatus
from app.scheduling.waitlist import TIMES_OF_DAY, URGENCIES
from app.services import audit, booking
from app.services.waitlist.matching import Candidate, candidates_for_slot, held_at
from app.services.waitlist.offers import (
    accept,
    decline,
    expire_offers,
    offer_from_token,
    offer_slot,
    offer_token,
    slot_freed,
    take_hold,
    withdraw_offers,
)

__all__ = ["Candidate", "Wish", "accept", "book_candidate", "candidates_for_slot", "decline", "entries_for",
           "expire_offers", "join", "leave", "offer_from_token", "offer_slot", "offer_token", "open_offers",
           "slot_freed"]

MAX_AHEAD_DAYS = 366
MAX_RADIUS_KM = 500
RECENT_DAYS = 30  # closed entries a patient still sees on their page
ENTRY_FIELDS = ("status", "specialty_id", "doctor_id", "hospital_ids", "latest", "urgency", "times_of_day",
                "appointment_type", "current_appointment_id")


@dataclass
class Wish:
    """What a patient waits for (form or API input). `latest` is a local date; None only with a current booking,
    where it defaults to the day before that booking."""

    specialty_id: int | None = None
    doctor_id: int | None = None
    hospital_ids: tuple[int, ...] = ()
    near: tuple[float, float] | None = None
    radius_km: int | None = None
    latest: date | None = None
    urgency: str = "routine"
    times_of_day: tuple[str, ...] = ()
    appointment_type: str | None = None


def _today(hospitals: list[Hospital], now: datetime) -> date:
    """The local date at the wished hospitals (the earliest of their zones), else UTC's."""
    if not hospitals:
        return now.date()
    return min(core.local_day(now, ZoneInfo(h.timezone)) for h in hospitals)


def _check_current(patient: Patient, current: Appointment, now: datetime) -> None:
    if current.patient_id != patient.id or current.status != Status.SCHEDULED or current.kind != Kind.SLOTS:
        raise core.WaitlistError("An earlier slot can only be asked for a booked appointment of yours.",
                                 "current_appointment")
    if current.start <= now:
        raise core.WaitlistError("That appointment has already begun.", "current_appointment")


def _check_wish(wish: Wish, doctor: Doctor | None, hospitals: list[Hospital]) -> None:
    if wish.doctor_id is not None and (doctor is None or not doctor.active):
        raise core.WaitlistError("Unknown doctor.", "doctor_id")
    if wish.doctor_id is None:
        if wish.specialty_id is None:
            raise core.WaitlistError("Choose a specialty or a doctor.", "specialty")
        specialty = db.session.get(Specialty, wish.specialty_id)
        if specialty is None or not specialty.active:
            raise core.WaitlistError("Unknown specialty.", "specialty")
    if len(hospitals) != len(set(wish.hospital_ids)) or any(not h.active for h in hospitals):
        raise core.WaitlistError("Unknown hospital.", "hospital_ids")
    if doctor is not None and hospitals and not {h.id for h in hospitals} & {h.id for h in doctor.hospitals}:
        raise core.WaitlistError("This doctor does not work at the chosen hospitals.", "hospital_ids")
    if wish.radius_km is not None:
        if wish.near is None:
            raise core.WaitlistError("A radius needs a place to measure from.", "near")
        if not 0 < wish.radius_km <= MAX_RADIUS_KM:
            raise core.WaitlistError(f"The radius must be between 1 and {MAX_RADIUS_KM} km.", "radius_km")
    if wish.urgency not in URGENCIES:
        raise core.WaitlistError("Urgency must be routine or urgent.", "urgency")
    unknown = set(wish.times_of_day) - set(TIMES_OF_DAY)
    if unknown:
        raise core.WaitlistError("Times of day are morning, afternoon or evening.", "times_of_day")
    if wish.appointment_type is not None and len(wish.appointment_type) > 40:  # the column's width
        raise core.WaitlistError("Unknown appointment type.", "appointment_type")


def _active_key(patient: Patient, wish: Wish) -> str:
    """One live entry per patient and doctor, or per patient and specialty (its unique index refuses a second)."""
    return f"p{patient.id}:d{wish.doctor_id}" if wish.doctor_id is not None else f"p{patient.id}:s{wish.specialty_id}"


def join(actor_id: int | None, patient: Patient, wish: Wish, *, current_appointment: Appointment | None = None,
         now: datetime | None = None) -> WaitlistEntry:
    """Put the patient on the waitlist. With `current_appointment` it is an "earlier slot, please" request that keeps
    that booking until a better slot is accepted (doctor, type and latest default from it). WaitlistError: a latest
    date in the past (field "latest"), a duplicate live entry (field "specialty", 409), a bad wish."""
    now = now or utcnow()
    if current_appointment is not None:
        _check_current(patient, current_appointment, now)
        if wish.doctor_id is None and wish.specialty_id is None:
            wish.doctor_id = current_appointment.doctor_id
        if wish.latest is None:
            tz = ZoneInfo(current_appointment.hospital.timezone)
            wish.latest = core.local_day(current_appointment.start, tz) - timedelta(days=1)
        wish.appointment_type = wish.appointment_type or current_appointment.appointment_type
    doctor = db.session.get(Doctor, wish.doctor_id) if wish.doctor_id is not None else None
    hospitals = list(db.session.scalars(select(Hospital).where(Hospital.id.in_(set(wish.hospital_ids))))) \
        if wish.hospital_ids else []
    _check_wish(wish, doctor, hospitals)
    if wish.latest is None:
        raise core.WaitlistError("Give the latest date that suits you.", "latest")
    today = _today(hospitals or (doctor.hospitals if doctor else []), now)
    if wish.latest < today:
        raise core.WaitlistError("The latest date is in the past.", "latest")
    if wish.latest > today + timedelta(days=MAX_AHEAD_DAYS):
        raise core.WaitlistError("The latest date may be at most a year ahead.", "latest")
    key = _active_key(patient, wish)
    if db.session.scalar(select(WaitlistEntry.id).where(WaitlistEntry.active_key == key)) is not None:
        raise core.WaitlistError("You are already on the waitlist for this.", "specialty", http_status=409)
    entry = WaitlistEntry(
        patient_id=patient.id, specialty_id=wish.specialty_id if doctor is None else doctor.specialty_id,
        doctor_id=wish.doctor_id, hospital_ids=",".join(str(i) for i in sorted(set(wish.hospital_ids))),
        near_lat=wish.near[0] if wish.near else None, near_lon=wish.near[1] if wish.near else None,
        radius_km=wish.radius_km, latest=wish.latest, urgency=wish.urgency,
        times_of_day=",".join(t for t in TIMES_OF_DAY if t in wish.times_of_day),
        appointment_type=wish.appointment_type or None,
        current_appointment_id=current_appointment.id if current_appointment is not None else None,
        status="waiting", active_key=key, created_at=now)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:  # a racing join of the same wish committed first
        raise core.WaitlistError("You are already on the waitlist for this.", "specialty", http_status=409) from None
    audit.record(actor_id, "waitlist.join", "waitlist_entry", entry.id,
                 hospital_id=hospitals[0].id if len(hospitals) == 1 else None,
                 after=audit.snapshot(entry, ENTRY_FIELDS))
    return entry


def leave(actor_id: int | None, entry: WaitlistEntry, *, now: datetime | None = None) -> WaitlistEntry:
    """Take the entry off the list; its open offers end and their holds move on to the next patients."""
    now = now or utcnow()
    if entry.status != WaitStatus.WAITING:
        raise core.WaitlistError("This waitlist entry is no longer waiting.", "entry", http_status=409)
    before = audit.snapshot(entry, ENTRY_FIELDS)
    entry.status, entry.active_key, entry.closed_at = "cancelled", None, now
    db.session.flush()
    withdraw_offers(actor_id, entry, now)
    audit.record(actor_id, "waitlist.leave", "waitlist_entry", entry.id, before=before,
                 after=audit.snapshot(entry, ENTRY_FIELDS))
    return entry


def entries_for(patient: Patient, *, now: datetime | None = None) -> list[WaitlistEntry]:
    """The patient's live entries and those closed in the last RECENT_DAYS, newest first, offers loaded."""
    since = (now or utcnow()) - timedelta(days=RECENT_DAYS)
    return list(db.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.patient_id == patient.id,
                                    (WaitlistEntry.status == WaitStatus.WAITING) | (WaitlistEntry.closed_at >= since))
        .options(selectinload(WaitlistEntry.offers).selectinload(Offer.hold))
        .order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id.desc())))


def open_offers(entry: WaitlistEntry, *, now: datetime | None = None) -> list[Offer]:
    """The entry's offers still open to an answer (their hold not yet run out), soonest slot first."""
    now = now or utcnow()
    return sorted((o for o in entry.offers if o.status == OfferStatus.OPEN and o.expires_at > now
                   and o.hold.status == core.HELD), key=lambda o: o.hold.start)


def book_candidate(actor_id: int | None, entry: WaitlistEntry, doctor_id: int, start: datetime, *,
                   now: datetime | None = None) -> Appointment:
    """The desk books a waiting patient into the slot by phone: a slot held for the waitlist is given to them
    (open offers of it become "taken"), a free slot is booked as usual. The entry is booked, and the patient's
    later booking of an "earlier slot" entry is released and offered onward."""
    now = now or utcnow()
    if entry.status != WaitStatus.WAITING:
        raise core.WaitlistError(f"{entry.patient.name} is no longer waiting.", "entry", http_status=409)
    hold = held_at(doctor_id, start)
    if hold is not None:
        if hold.hold_until is None or hold.hold_until <= now:
            hold.hold_until = now + timedelta(minutes=1)  # the desk's booking is an answer within the hold
        appointment = take_hold(actor_id, hold, entry, entry.patient, now)
    else:
        doctor = db.session.get(Doctor, doctor_id)
        if doctor is None:
            raise core.WaitlistError("Unknown doctor.", "doctor_id")
        current = entry.current_appointment
        appointment = booking.book(actor_id, entry.patient, doctor, start, appointment_type=entry.appointment_type,
                                   urgency=entry.urgency, now=now, comment="from the waitlist, by phone")
        entry.status, entry.active_key, entry.closed_at = "booked", None, now
        entry.booked_appointment_id = appointment.id
        db.session.flush()
        withdraw_offers(actor_id, entry, now)
        if current is not None and current.status == Status.SCHEDULED and current.start > appointment.start:
            booking.cancel(actor_id, current, "moved to an earlier slot from the waitlist", now=now)
    audit.record(actor_id, "waitlist.accept", "waitlist_entry", entry.id, hospital_id=appointment.hospital_id,
                 after={"appointment_id": appointment.id}, comment="booked by the desk")
    return appointment


def local_latest_default(appointment: Appointment) -> date:
    """The default latest date of an "earlier slot, please" request: the day before the booking (local)."""
    return core.local_day(appointment.start, ZoneInfo(appointment.hospital.timezone)) - timedelta(days=1)
