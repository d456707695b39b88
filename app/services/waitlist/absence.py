"""A doctor absent (issue #16, part 3): new times for the appointments a leave falls on, proposed by the optimiser.

When leave is added over booked days, ``propose`` takes every scheduled appointment in it and the free slots of
equivalent doctors (the same specialty, offering the appointment's type, at the same hospital or one within
``NEARBY_KM``; the absent doctor's own slots after the leave count too) from the first affected day to each
appointment's latest acceptable day: ``ROUTINE_DAYS`` after its original day, ``URGENT_DAYS`` for an urgent
patient, who must stay within their window. The optimiser (app.scheduling.optimiser) places them all at once:
urgent patients first, then the least delay (an earlier slot is worth more) and the least travel (points off per
km from the original hospital).

Nothing moves when staff apply: ``apply`` puts each patient on the waitlist for a new time, with the affected
booking as their current one, and sends them the proposed slot as a held offer (``HOLD_HOURS``) with the signed
link of every waitlist offer. The patient accepts (the booking moves: the new slot is theirs and the old one is
released, offers.take_hold) or declines ("find me another": they stay on the waitlist, so freed slots are offered
to them as to anyone waiting). Applying is all or nothing: a slot taken or held meanwhile, or an appointment no
longer affected, makes the proposal stale (``ProposalStale``). docs/optimiser.md, "A doctor absent".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Doctor,
    Hospital,
    Offer,
    SchedulableResource,
    WaitlistEntry,
)
from app.models.base import utcnow
from app.notifications import waitlist_events
from app.scheduling.codes import Kind, OfferStatus, Status, Urgency, WaitStatus
from app.scheduling.geo import distance_km
from app.scheduling.optimiser import Result, allocate
from app.scheduling.optimiser_model import Capacity, Request, Weights
from app.services.availability.query import SlotQuery
from app.services.availability.search import search_slots
from app.services.waitlist.batch import region_weights
from app.services.waitlist.entries import Wish, join
from app.services.waitlist.matching import held_at, placement_for
from app.services.waitlist.offers import offer_slot

NEARBY_KM = 30  # "a nearby hospital": a short trip across town or to the next town
ROUTINE_DAYS = 14  # a routine appointment moves at most two weeks past its original day
URGENT_DAYS = 2  # an urgent one stays within the urgent window of 48 hours
HOLD_HOURS = 48  # the patient answers an e-mail, not a phone call: the new time is held two days (or until it starts)
PROPOSAL_SALT = "waitlist-absence"
PROPOSAL_MAX_AGE = 60 * 60  # seconds


@dataclass(frozen=True)
class NewTime:
    """A proposed new time for ``appointment``: ``doctor`` at ``hospital`` from ``start``; ``delay_days`` after the
    original start (negative: earlier), ``km`` from the original hospital."""

    appointment: Appointment
    doctor: Doctor
    hospital: Hospital
    start: datetime
    end: datetime
    value: float
    delay_days: float
    km: float


@dataclass(frozen=True)
class NotPlaced:
    appointment: Appointment
    reason: str
    detail: str


@dataclass
class AbsenceProposal:
    exception: AvailabilityException
    doctor: Doctor
    moves: list[NewTime] = field(default_factory=list)
    not_placed: list[NotPlaced] = field(default_factory=list)
    pending: list[Appointment] = field(default_factory=list)  # sent a new time, no answer yet
    result: Result | None = None
    token: str = ""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PROPOSAL_SALT)


def absent_doctor(exception: AvailabilityException) -> Doctor | None:
    doctor_id = db.session.scalar(select(SchedulableResource.doctor_id).where(
        SchedulableResource.id == exception.resource_id))
    return db.session.get(Doctor, doctor_id) if doctor_id is not None else None


def affected(exception: AvailabilityException, now: datetime) -> list[Appointment]:
    """The scheduled appointments (with a patient, still ahead) the leave falls on, at any hospital."""
    doctor = absent_doctor(exception)
    if doctor is None or exception.available:
        return []
    return list(db.session.scalars(select(Appointment).where(
        Appointment.doctor_id == doctor.id, Appointment.status == Status.SCHEDULED, Appointment.kind == Kind.SLOTS,
        Appointment.patient_id.is_not(None), Appointment.start < exception.end, Appointment.end > exception.start,
        Appointment.start > now).order_by(Appointment.start, Appointment.id)))


def _awaiting_answer(appointment_ids: list[int], now: datetime) -> set[int]:
    """Appointments whose patient has an open offer of a new time (sent, not yet answered)."""
    if not appointment_ids:
        return set()
    return set(db.session.scalars(select(WaitlistEntry.current_appointment_id).join(
        Offer, Offer.entry_id == WaitlistEntry.id).where(
        WaitlistEntry.current_appointment_id.in_(appointment_ids), WaitlistEntry.status == WaitStatus.WAITING,
        Offer.status == OfferStatus.OPEN, Offer.expires_at > now)))


def _latest(appointment: Appointment) -> date:
    day = core.local_day(appointment.start, ZoneInfo(appointment.hospital.timezone))
    return day + timedelta(days=URGENT_DAYS if appointment.urgency == Urgency.URGENT else ROUTINE_DAYS)


def _position(hospital: Hospital) -> tuple[float, float] | None:
    return (hospital.lat, hospital.lon) if hospital.lat is not None and hospital.lon is not None else None


def propose(exception: AvailabilityException, *, now: datetime | None = None,
            weights: Weights | None = None) -> AbsenceProposal:
    """New times for every appointment the leave falls on; nothing is written."""
    now = now or utcnow()
    doctor = absent_doctor(exception)
    if doctor is None:
        raise LookupError("not a doctor's leave")
    proposal = AbsenceProposal(exception, doctor)
    appointments = affected(exception, now)
    asked = _awaiting_answer([a.id for a in appointments], now)
    proposal.pending = [a for a in appointments if a.id in asked]
    appointments = [a for a in appointments if a.id not in asked]
    weights = weights or region_weights()
    if not appointments:
        proposal.result = allocate([], [], weights, now=now)
        return proposal
    proposal.moves, proposal.not_placed, proposal.result = new_times(doctor, appointments, now, weights)
    proposal.token = _serializer().dumps({"x": exception.id, "m": [
        [m.appointment.id, m.doctor.id, m.hospital.id, m.start.isoformat()] for m in proposal.moves]})
    return proposal


def new_times(doctor: Doctor, appointments: list[Appointment], now: datetime,
              weights: Weights) -> tuple[list[NewTime], list[NotPlaced], Result]:
    """The optimiser's new times for these appointments of ``doctor`` (also the rebooking of the bookings an
    emergency displaces: waitlist/emergency.py), by the original start; and those it could not place."""
    capacity, slots = _capacity(doctor, appointments, now)
    requests = [_request(a, now) for a in appointments]
    result = allocate(requests, capacity, weights, now=now)
    by_id = {a.id: a for a in appointments}
    moves = []
    for p in result.placements:
        appointment, (doctor_row, hospital, start, end) = by_id[p.request_id], slots[p.capacity_id]
        km = distance_km(_position(appointment.hospital), _position(hospital)) \
            if _position(appointment.hospital) and _position(hospital) else 0.0
        moves.append(NewTime(appointment, doctor_row, hospital, start, end, p.value,
                             round((start - appointment.start) / timedelta(days=1), 1), round(km, 1)))
    moves.sort(key=lambda m: (m.appointment.start, m.appointment.id))
    return moves, [NotPlaced(by_id[u.request_id], u.reason, u.detail) for u in result.unplaced], result


def _capacity(doctor: Doctor, appointments: list[Appointment], now: datetime):
    """Free slots of the specialty near each affected appointment's hospital, one query per hospital and type,
    as optimiser capacity (types: those searched for), and per capacity index (doctor, hospital, start, end)."""
    last = max(_latest(a) for a in appointments)
    # from the first affected day on: a new time days before the booked one would be as unwelcome as a late one
    first = min(core.local_day(a.start, ZoneInfo(a.hospital.timezone)) for a in appointments)
    found: dict[tuple[int, int, datetime], tuple[object, set[str]]] = {}
    for hospital in {a.hospital_id: a.hospital for a in appointments}.values():
        kinds = {_type_code(a) for a in appointments if a.hospital_id == hospital.id}
        for kind in kinds:
            rows = search_slots(SlotQuery(first, min(last, first + timedelta(days=60)),
                                          specialty_id=doctor.specialty_id, near=_position(hospital),
                                          radius_km=NEARBY_KM if _position(hospital) else None,
                                          urgency=Urgency.URGENT, urgency_by_staff=True, appointment_type=kind,
                                          limit=500), now)
            for row in rows:
                key = (row.doctor_id, row.hospital_id, row.start)
                kinds_here = found.setdefault(key, (row, set()))[1]
                if kind is not None:
                    kinds_here.add(kind)
    held = {(a.doctor_id, a.start) for a in db.session.scalars(select(Appointment).where(
        Appointment.status == core.HELD, Appointment.start.in_({k[2] for k in found})))} if found else set()
    doctors: dict[int, Doctor] = {}
    hospitals: dict[int, Hospital] = {}
    capacity, slots = [], []
    for (doctor_id, hospital_id, start), (row, kinds) in sorted(found.items(), key=lambda kv: (kv[0][2], kv[0])):
        if (doctor_id, start) in held or start <= now:
            continue
        d = doctors.get(doctor_id) or doctors.setdefault(doctor_id, db.session.get(Doctor, doctor_id))
        h = hospitals.get(hospital_id) or hospitals.setdefault(hospital_id, db.session.get(Hospital, hospital_id))
        capacity.append(Capacity(len(capacity), doctor_id, hospital_id, start, row.end, _position(h),
                                 ZoneInfo(h.timezone), d.specialty_id, frozenset(kinds), seats=1))
        slots.append((d, h, start, row.end))
    return capacity, slots


def _request(appointment: Appointment, now: datetime) -> Request:
    return Request(appointment.id, appointment.patient_id,
                   "urgent" if appointment.urgency == Urgency.URGENT else "routine",
                   max((now - appointment.created_at) / timedelta(days=1), 0.0) if appointment.created_at else 0.0,
                   _latest(appointment), appointment.doctor.specialty_id, home=_position(appointment.hospital),
                   radius_km=float(NEARBY_KM) if _position(appointment.hospital) else None,
                   appointment_type=_type_code(appointment))


def _type_code(appointment: Appointment) -> str | None:
    """The appointment's type when the hospital defines it (then only slots offering it are equivalent); a
    schedule's plain label ("new") constrains nothing."""
    code = appointment.appointment_type
    found = db.session.scalar(select(AppointmentType.id).where(
        AppointmentType.hospital_id == appointment.hospital_id, AppointmentType.code == code,
        AppointmentType.active).limit(1)) if code else None
    return code if found is not None else None


def read_token(token: str, exception: AvailabilityException) -> list[tuple[int, int, int, datetime]]:
    try:
        data = _serializer().loads(token, max_age=PROPOSAL_MAX_AGE)
    except SignatureExpired:
        raise core.ProposalStale("This proposal is too old. Please look at it again.", "token") from None
    except BadSignature:
        raise LookupError("not a proposal of ours") from None
    if not isinstance(data, dict) or data.get("x") != exception.id:
        raise LookupError("another absence's proposal")
    try:
        return [(int(a), int(d), int(h), datetime.fromisoformat(s)) for a, d, h, s in data["m"]]
    except (KeyError, TypeError, ValueError):
        raise LookupError("not a proposal of ours") from None


STALE = "An appointment or a slot of this proposal changed meanwhile. Please look at the proposal again."


def apply(actor_id: int | None, exception: AvailabilityException, token: str, *,
          now: datetime | None = None) -> list[Offer]:
    """Send every proposed new time as a held offer (the patient accepts or asks for another); all or nothing."""
    now = now or utcnow()
    items = read_token(token, exception)
    still = {a.id: a for a in affected(exception, now)}
    return send_new_times(actor_id, items, still, now, waitlist_events.absence_offer)


def send_new_times(actor_id: int | None, items: list[tuple[int, int, int, datetime]],
                   still: dict[int, Appointment], now: datetime, message) -> list[Offer]:
    """Each (appointment, doctor, hospital, start) as a held offer to the appointment's patient, who joins the
    waitlist with it as their current booking; ``still``: the appointments that may still move. Any item stale:
    ``ProposalStale`` (the caller's transaction rolls back)."""
    offers: list[Offer] = []
    for appointment_id, doctor_id, hospital_id, start in items:
        appointment, doctor = still.get(appointment_id), db.session.get(Doctor, doctor_id)
        if appointment is None or doctor is None:
            raise core.ProposalStale(STALE, "token")
        placement = None if start <= now or held_at(doctor_id, start) is not None else placement_for(
            doctor, hospital_id, start, appointment_type=_type_code(appointment), now=now)
        if placement is None:
            raise core.ProposalStale(STALE, "token")
        entry = _entry(actor_id, appointment, now)
        hours = max(min(HOLD_HOURS, (start - now) / timedelta(hours=1) - 1), 1)
        try:
            made = offer_slot(actor_id, hospital_id, doctor_id, start, placement.free.end, entries=[entry], now=now,
                              appointment_type=_type_code(appointment), hold_minutes=int(hours * 60),
                              message=message)
        except core.SchedulingError as err:
            raise core.ProposalStale(STALE, "token") from err
        offers.extend(made)
    return offers


def _entry(actor_id: int | None, appointment: Appointment, now: datetime):
    """The patient waits for a new time with the affected booking as their current one (released on accept)."""
    existing = db.session.scalar(select(WaitlistEntry).where(
        WaitlistEntry.current_appointment_id == appointment.id, WaitlistEntry.status == WaitStatus.WAITING))
    if existing is not None:
        return existing
    try:
        return join(actor_id, appointment.patient,
                    Wish(specialty_id=appointment.doctor.specialty_id, latest=_latest(appointment),
                         urgency=Urgency.URGENT if appointment.urgency == Urgency.URGENT else Urgency.ROUTINE,
                         appointment_type=appointment.appointment_type),
                    current_appointment=appointment, now=now)
    except core.WaitlistError as err:  # already waiting for the specialty with another booking
        raise core.ProposalStale(f"{appointment.patient.name} is already on the waitlist for this specialty; "
                                 "offer them a time from the waitlist page.", "token") from err
