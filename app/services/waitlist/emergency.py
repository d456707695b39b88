"""An emergency at the desk (issue #16, part 4): a patient who needs a doctor now, placed by the optimiser on the
rest of today's slots, displacing the fewest and least urgent bookings (docs/optimiser.md, "Emergencies at the
desk").

``propose`` builds one emergency request and, as capacity, every slot of the hospital's doctors (of the specialty,
or the one doctor) that starts later today: a free slot is a regular seat; a booked one is a seat on which the
emergency would displace its booking, with a penalty (app/scheduling/emergency.py: a routine booking costs less than an
urgent one, two bookings more than one), so the model's emergency weight and its overbooking penalty choose a free
slot when there is one, else the earliest slot whose displaced bookings matter least. Slots that hold another
emergency, a hold for someone's offer, or a patient already checked in are not offered.

``apply`` (one transaction, all or nothing) books the emergency: a free slot like any staff booking; a booked slot
on the ``EMERGENCY_SEAT`` of its cells, so two desks placing emergencies on the same slot collide on the claims'
unique index and one is told the proposal is stale. The displaced patients keep their booking (the doctor now
sees the emergency first: the queue orders emergencies first) and are sent new times found by the absence
rebooking (absence.new_times): each new time is held for them with an "accept" / "find me another" link, and
nothing moves until they accept; accepting releases the displaced booking (its time is withdrawn by the
emergency: booking.policy.doctor_time_withdrawn).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Offer, Patient
from app.models.base import utcnow
from app.notifications import events as notify
from app.notifications import waitlist_events
from app.scheduling.codes import Kind, Status, Urgency
from app.scheduling.emergency import DaySeat, place_emergency
from app.scheduling.optimiser import Result
from app.scheduling.optimiser_model import Weights
from app.services import audit, signals
from app.services.availability import resource_for_doctor
from app.services.availability.query import SlotQuery
from app.services.availability.search import search_slots
from app.services.booking import book
from app.services.booking.claims import AUDIT_FIELDS, insert_claims, lost_race
from app.services.booking.placement import check_patient_free
from app.services.waitlist.absence import NewTime, NotPlaced, new_times, send_new_times
from app.services.waitlist.batch import region_weights

EMERGENCY_SEAT = 1000  # the seat an emergency claims over a booked slot: far above any overbooking seat
PROPOSAL_SALT = "waitlist-emergency"
PROPOSAL_MAX_AGE = 15 * 60  # seconds: today's slots change fast
STALE = "The slot or a displaced booking changed meanwhile. Please place the emergency again."


@dataclass(frozen=True)
class Seat:
    doctor: Doctor
    hospital: Hospital
    start: datetime
    end: datetime
    displaced: tuple[Appointment, ...] = ()


@dataclass
class EmergencyProposal:
    patient: Patient
    hospital: Hospital
    seat: Seat | None = None
    moves: list[NewTime] = field(default_factory=list)  # new times proposed to the displaced patients
    not_placed: list[NotPlaced] = field(default_factory=list)
    result: Result | None = None
    slots_considered: int = 0
    token: str = ""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PROPOSAL_SALT)


def _doctors(hospital: Hospital, specialty_id: int | None, doctor_id: int | None) -> list[Doctor]:
    query = select(Doctor).where(Doctor.active, Doctor.hospitals.any(Hospital.id == hospital.id))
    if doctor_id is not None:
        query = query.where(Doctor.id == doctor_id)
    elif specialty_id is not None:
        query = query.where(Doctor.specialty_id == specialty_id)
    else:
        raise core.SchedulingError("Choose a specialty or a doctor.", "specialty_id")
    return list(db.session.scalars(query.order_by(Doctor.id)))


def propose(hospital: Hospital, patient: Patient, *, specialty_id: int | None = None, doctor_id: int | None = None,
            now: datetime | None = None, weights: Weights | None = None) -> EmergencyProposal:
    """Where the emergency goes today and what the displaced are offered; nothing is written."""
    now = now or utcnow()
    weights = weights or region_weights()
    doctors = {d.id: d for d in _doctors(hospital, specialty_id, doctor_id)}
    proposal = EmergencyProposal(patient, hospital)
    tz = ZoneInfo(hospital.timezone)
    today = core.local_day(now, tz)
    seats: list[tuple[Doctor, datetime, datetime, tuple[Appointment, ...]]] = []
    if doctors:
        for d in doctors.values():
            for row in search_slots(SlotQuery(today, today, doctor_id=d.id, hospital_id=hospital.id,
                                              urgency=Urgency.URGENT, urgency_by_staff=True, limit=500), now):
                seats.append((d, row.start, row.end, ()))
        booked = db.session.scalars(select(Appointment).where(
            Appointment.doctor_id.in_(doctors), Appointment.hospital_id == hospital.id,
            Appointment.kind == Kind.SLOTS, Appointment.status.in_(core.ACTIVE), Appointment.start > now,
            Appointment.start < now + timedelta(days=1)).order_by(Appointment.start, Appointment.id)).all()
        slots = dict.fromkeys((a.doctor_id, a.start, a.end) for a in booked if core.local_day(a.start, tz) == today)
        for d_id, start, end in slots:
            overlapping = [a for a in booked if a.doctor_id == d_id and a.start < end and a.end > start]
            if any(a.emergency or a.status != Status.SCHEDULED or a.patient_id in (None, patient.id)
                   for a in overlapping):
                continue
            seats.append((doctors[d_id], start, end, tuple(overlapping)))
    day_seats = [DaySeat(d.id, hospital.id, start, end, tz, d.specialty_id, tuple(a.urgency for a in gone))
                 for d, start, end, gone in seats]
    proposal.slots_considered = len(day_seats)
    chosen, proposal.result = place_emergency(patient.id, day_seats, today, now=now, weights=weights,
                                              specialty_id=specialty_id, doctor_id=doctor_id)
    if chosen is None:
        return proposal
    d, start, end, gone = seats[chosen]
    proposal.seat = Seat(d, hospital, start, end, gone)
    if gone:
        proposal.moves, proposal.not_placed, _ = new_times(d, list(gone), now, weights)
    proposal.token = _serializer().dumps({
        "p": patient.id, "h": hospital.id, "d": d.id, "s": start.isoformat(), "e": end.isoformat(),
        "x": [a.id for a in gone],
        "m": [[m.appointment.id, m.doctor.id, m.hospital.id, m.start.isoformat()] for m in proposal.moves]})
    return proposal


@dataclass
class Placed:
    appointment: Appointment
    displaced: list[Appointment]
    offers: list[Offer]


def read_token(token: str, hospital: Hospital, patient: Patient) -> dict:
    try:
        data = _serializer().loads(token, max_age=PROPOSAL_MAX_AGE)
    except SignatureExpired:
        raise core.ProposalStale("This proposal is too old. Please place the emergency again.", "token") from None
    except BadSignature:
        raise LookupError("not a proposal of ours") from None
    if not isinstance(data, dict) or data.get("h") != hospital.id or data.get("p") != patient.id:
        raise LookupError("another emergency's proposal")
    try:
        return {"doctor_id": int(data["d"]), "start": datetime.fromisoformat(data["s"]),
                "end": datetime.fromisoformat(data["e"]), "displaced": [int(x) for x in data["x"]],
                "moves": [(int(a), int(d), int(h), datetime.fromisoformat(s)) for a, d, h, s in data["m"]]}
    except (KeyError, TypeError, ValueError):
        raise LookupError("not a proposal of ours") from None


def apply(actor_id: int | None, hospital: Hospital, patient: Patient, token: str, *, reason: str | None = None,
          now: datetime | None = None) -> Placed:
    """Book the emergency where proposed and send the displaced their new times; all or nothing."""
    now = now or utcnow()
    item = read_token(token, hospital, patient)
    doctor = db.session.get(Doctor, item["doctor_id"])
    start, end = item["start"], item["end"]
    if doctor is None or end <= now:
        raise core.ProposalStale(STALE, "token")
    if not item["displaced"]:
        try:
            appointment = book(actor_id, patient, doctor, start, urgency=Urgency.URGENT, hospital_id=hospital.id,
                               reason=reason, now=now, comment="emergency")
        except core.SchedulingError as err:
            raise core.ProposalStale(STALE, "token") from err
        appointment.emergency = True
        return Placed(appointment, [], [])
    displaced = list(db.session.scalars(select(Appointment).where(Appointment.id.in_(item["displaced"]))))
    overlapping = db.session.scalars(select(Appointment).where(
        Appointment.doctor_id == doctor.id, Appointment.status.in_(core.ACTIVE), Appointment.start < end,
        Appointment.end > start)).all()
    if {a.id for a in overlapping} != set(item["displaced"]) or any(
            a.status != Status.SCHEDULED or a.emergency for a in overlapping):
        raise core.ProposalStale(STALE, "token")
    appointment = _book_over(actor_id, patient, doctor, hospital, start, end, reason, now)
    offers = send_new_times(actor_id, item["moves"], {a.id: a for a in displaced}, now,
                            waitlist_events.emergency_offer)
    return Placed(appointment, displaced, offers)


def _book_over(actor_id: int | None, patient: Patient, doctor: Doctor, hospital: Hospital, start: datetime,
               end: datetime, reason: str | None, now: datetime) -> Appointment:
    """The emergency on a booked slot: its cells on ``EMERGENCY_SEAT`` (the claims decide a race)."""
    check_patient_free(patient, start, end)
    appointment = Appointment(
        patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, appointment_type="emergency",
        start=start, end=end, status=Status.SCHEDULED, urgency=Urgency.URGENT, reason=reason or None,
        emergency=True, booked_by_id=actor_id, kind=Kind.SLOTS, fee=doctor.fee, currency=hospital.currency)
    db.session.add(appointment)
    db.session.flush()
    resource = resource_for_doctor(doctor.id)
    try:
        with lost_race():
            insert_claims([{"resource_id": resource.id, "cell_start": c, "seat": EMERGENCY_SEAT,
                            "appointment_id": appointment.id} for c in core.cells(start, end)])
    except core.SlotTaken as err:
        raise core.ProposalStale(STALE, "token") from err
    signals.appointment_booked.send(None, appointment=appointment, now=now)
    audit.record(actor_id, "appointment.emergency", "appointment", appointment.id, hospital_id=hospital.id,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment="emergency over a booked slot")
    notify.appointment_booked(appointment)
    return appointment
