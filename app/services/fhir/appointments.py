"""Appointments through FHIR: read and search (the booking policy's rules), and the IHE ITI Scheduling
operations $find, $hold and $book, which call the availability search and the booking service: FHIR adds no rule
of its own to booking (docs/fhir.md, "Booking").

Each function takes the acting user and plain values, raises FhirError for what the request got wrong and the
core's SchedulingError for what the rules refuse; the entry point turns both into an OperationOutcome.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fhir.resources.R4B.parameters import Parameters
from pydantic import ValidationError
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Patient, User
from app.models.base import utcnow
from app.services import booking
from app.services.booking import policy as booking_policy
from app.services.booking.holds import fill_hold, hold_slot
from app.services.fhir import policy
from app.services.fhir import resources as fhir
from app.services.fhir.params import (
    DEFAULT_COUNT,
    MAX_COUNT,
    FhirError,
    check_names,
    date_range,
    filter_id,
    int_id,
    number,
    paging,
    reference_id,
    specialty_id,
    visit_type,
)
from app.services.fhir.slots import build_search, find_free
from app.services.payments import settings as payment_settings

FROM_FHIR = {value: key for key, value in core.FHIR_STATUS.items()}
FIND_PARAMS = {"start", "end", "specialty", "practitioner", "location", "visit-type", "patient", "_count"}


def not_found(ident) -> FhirError:
    return FhirError(f"No such record: {ident}", 404, "not_found")


# --- read and search ---

def visible(user: User, ident: str) -> Appointment:
    appointment = db.session.get(Appointment, int_id(ident, "Appointment"))
    if appointment is None or not policy.may_see(user, appointment):
        raise not_found(ident)  # another patient's or hospital's record looks like none
    return appointment


def read(user: User, ident: str) -> dict:
    return as_resource(visible(user, ident))


def as_resource(appointment: Appointment) -> dict:
    return fhir.appointment(appointment, status="pending" if appointment.status == core.HELD else None)


def search(user: User, args) -> tuple[list[dict], int]:
    check_names(args, {"patient", "practitioner", "location", "status", "date", "_id"})
    stmt = booking_policy.visible_appointments(user, select(Appointment).order_by(Appointment.start, Appointment.id))
    if args.get("_id"):
        stmt = stmt.where(Appointment.id == filter_id(args["_id"], "Appointment"))
    if args.get("patient"):
        stmt = stmt.where(Appointment.patient_id == filter_id(args["patient"], "Patient"))
    if args.get("practitioner"):
        stmt = stmt.where(Appointment.doctor_id == filter_id(args["practitioner"], "Practitioner"))
    if args.get("location"):
        stmt = stmt.where(Appointment.hospital_id == filter_id(args["location"], "Location"))
    if args.get("status"):
        codes = args["status"].split(",")
        if any(code not in FROM_FHIR for code in codes):
            raise FhirError(f"Unknown appointment status: {args['status']}")
        stmt = stmt.where(Appointment.status.in_([FROM_FHIR[code] for code in codes]))
    lower, upper = date_range(args.getlist("date"), "date")
    if lower is not None:
        stmt = stmt.where(Appointment.start >= lower)
    if upper is not None:
        stmt = stmt.where(Appointment.start < upper)
    count, offset = paging(args)
    rows = db.session.scalars(stmt.limit(count + 1).offset(offset)).all()
    return [as_resource(a) for a in rows[:count]], offset + len(rows)


# --- the operations' input ---

@dataclass
class Inputs:
    """A Parameters resource, checked by fhir.resources, as name -> list of parameter objects."""

    by_name: dict[str, list]

    def first(self, name: str):
        values = self.by_name.get(name)
        return values[0] if values else None

    def text(self, name: str) -> str | None:
        """A parameter's value as text: a string, code, date, number, reference or the first coding's code."""
        item = self.first(name)
        if item is None:
            return None
        for attr in ("valueString", "valueCode", "valueUri", "valueId", "valueDate", "valueDateTime",
                     "valueInstant", "valueInteger", "valuePositiveInt", "valueUnsignedInt"):
            value = getattr(item, attr, None)
            if value is not None:
                return value.isoformat() if hasattr(value, "isoformat") else str(value)
        if item.valueReference is not None and item.valueReference.reference:
            return item.valueReference.reference
        if item.valueCoding is not None:
            return _coding_text(item.valueCoding)
        if item.valueCodeableConcept is not None and item.valueCodeableConcept.coding:
            return _coding_text(item.valueCodeableConcept.coding[0])
        raise FhirError(f"Parameter {name} has no value this server can read.")


def _coding_text(coding) -> str:
    return f"{coding.system}|{coding.code}" if coding.system else str(coding.code)


def read_parameters(body: dict, allowed: set[str]) -> Inputs:
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError("The body must be a FHIR Parameters resource.")
    try:
        parameters = Parameters.model_validate(body)
    except ValidationError as err:
        raise FhirError(f"Invalid Parameters: {_first_error(err)}") from None
    by_name: dict[str, list] = {}
    for item in parameters.parameter or []:
        if item.name not in allowed:
            raise FhirError(f"Unknown parameter: {item.name}. This operation takes: {', '.join(sorted(allowed))}.")
        if item.name in by_name:  # each is read once: a second value would be silently ignored
            raise FhirError(f"Parameter {item.name} is given more than once.")
        by_name[item.name] = [item]
    return Inputs(by_name)


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def _patient(user: User, reference: str | None) -> Patient | None:
    """The patient an operation is for: a patient's own record (another's is refused as REST refuses it); for the
    desk, the one named. None when none is named and the caller is not a patient."""
    if booking_policy.is_patient(user):
        own = booking_policy.own_patient(user)
        if own is None:
            raise not_found("Patient")
        if reference is not None and int_id(reference, "Patient") != own.id:
            raise FhirError("Patients book for themselves only.", 403, "forbidden")
        return own
    if reference is None:
        return None
    patient = db.session.get(Patient, int_id(reference, "Patient"))
    if patient is None or not getattr(user, "is_authenticated", False) or not booking_policy.may_book_for(user,
                                                                                                            patient):
        raise FhirError("No such patient.", 422, "invalid")
    return patient


# --- $find ---

def find(user: User, body: dict, now: datetime | None = None) -> list[dict]:
    """Proposed Appointments for the free slots matching the parameters, earliest first."""
    inputs = read_parameters(body, FIND_PARAMS)
    start, end = inputs.text("start"), inputs.text("end")
    lower, _ = date_range([f"ge{start}"], "start") if start else (None, None)
    # a date as `end` is the whole of that day; a dateTime the instant the slots must start before
    _, upper = date_range([f"{'le' if len(end) == 10 else 'lt'}{end}"], "end") if end else (None, None)
    patient_ref = inputs.text("patient")
    patient = _patient(user, patient_ref) if patient_ref or booking_policy.is_patient(user) else None
    code = visit_type(inputs.text("visit-type")) if inputs.text("visit-type") else None
    search = build_search(
        lower, upper, now=now, code=code,
        specialty=specialty_id(inputs.text("specialty")) if inputs.text("specialty") else None,
        doctor_id=int_id(inputs.text("practitioner"), "Practitioner") if inputs.text("practitioner") else None,
        hospital_id=int_id(inputs.text("location"), "Location") if inputs.text("location") else None)
    count = number(inputs.text("_count"), "_count", DEFAULT_COUNT)
    if count > MAX_COUNT:
        raise FhirError(f"_count must be between 1 and {MAX_COUNT}.")
    if search.query.specialty_id is None and search.query.doctor_id is None and search.query.hospital_id is None:
        raise FhirError("Name a specialty, a practitioner or a location.")
    return [fhir.proposed(s.doctor_id, s.hospital_id, s.start, s.end, s.tz, s.visit_type,
                          patient.id if patient else None) for s in find_free(search, now, limit=count)]


# --- $hold and $book ---

@dataclass
class Wanted:
    """The slot an Appointment in a $hold or $book asks for."""

    doctor: Doctor | None  # None when an existing hold is named by its id
    hospital_id: int
    start: datetime
    visit_type: str | None
    patient_ref: str | None
    appointment_id: str | None


def _wanted(inputs: Inputs) -> Wanted:
    item = inputs.first("appointment")
    if item is None or item.resource is None or item.resource.get_resource_type() != "Appointment":
        raise FhirError("Send the Appointment in a parameter named appointment.")
    appointment = item.resource
    patient_ref = next((p.actor.reference for p in appointment.participant or []
                        if p.actor is not None and (p.actor.reference or "").startswith("Patient/")), None)
    patient_ref = inputs.text("patient") or patient_ref
    code = next((visit_type(_coding_text(c)) for concept in appointment.serviceType or []
                 for c in concept.coding or []), None)
    if appointment.id:
        return Wanted(None, 0, datetime.min, code, patient_ref, appointment.id)
    slot_ref = next((s.reference for s in appointment.slot or [] if s.reference), None)
    parsed = fhir.parse_slot_id(reference_id(slot_ref, "Slot")) if slot_ref else None
    if parsed is None:
        raise FhirError("The Appointment must name the Slot it takes (as $find proposes it).")
    doctor = db.session.get(Doctor, parsed[0]) if parsed[0] < 2**63 else None
    if doctor is None or not doctor.active:
        raise not_found(slot_ref)
    return Wanted(doctor, parsed[1], parsed[2], code, patient_ref, None)


def hold(user: User, body: dict, now: datetime | None = None) -> Appointment:
    """Hold the proposed slot for the caller: a held appointment with the claims a booking takes, released by the
    hold job when unbooked by its end (the hospital's offer hold minutes)."""
    now = now or utcnow()
    wanted = _wanted(read_parameters(body, {"appointment", "patient"}))
    if wanted.appointment_id is not None:
        raise FhirError("Hold a proposed Appointment (without an id), as $find returns it.")
    if not policy.may_hold(user, now):
        raise FhirError(f"At most {policy.MAX_OPEN_HOLDS} holds at once; book or let one lapse first.", 409,
                        "hold_limit")
    _patient(user, wanted.patient_ref)  # a hold for another patient is refused now, not at $book
    hospital_id = _bookable_at(user, wanted.doctor, wanted.hospital_id)
    placement = booking.place(wanted.doctor, wanted.start, appointment_type=wanted.visit_type, urgency="routine",
                              now=now, hospital_id=hospital_id)
    if placement.free.start != wanted.start:
        raise core.OutsideHours("No appointment starts at that time.", "start")
    until = now + timedelta(minutes=placement.hospital.offer_hold_minutes)
    return hold_slot(user.id, wanted.doctor, placement, until, appointment_type=wanted.visit_type,
                     comment="FHIR $hold")


def book(user: User, body: dict, now: datetime | None = None) -> Appointment:
    """Book a held Appointment (by its id) or a proposed one (by its slot) for the patient."""
    now = now or utcnow()
    wanted = _wanted(read_parameters(body, {"appointment", "patient"}))
    patient = _patient(user, wanted.patient_ref)
    if patient is None:
        raise FhirError("Name the Patient the appointment is for.", 422, "invalid")
    if wanted.appointment_id is not None:
        held = db.session.get(Appointment, int_id(wanted.appointment_id, "Appointment"))
        if held is None or not policy.is_own_hold(user, held):
            raise not_found(f"Appointment/{wanted.appointment_id}")
        made = fill_hold(user.id, held, patient, now=now, appointment_type=wanted.visit_type,
                         comment="FHIR $book")
    else:
        hospital_id = _bookable_at(user, wanted.doctor, wanted.hospital_id)
        made = booking.book(user.id, patient, wanted.doctor, wanted.start, appointment_type=wanted.visit_type,
                            hospital_id=hospital_id, now=now, comment="FHIR $book",
                            by_patient=not booking_policy.may_set_urgency(user))
    if booking_policy.is_patient(user):  # no payment step here: the pay-first rule of the booking page holds too
        payment_settings.check_unpaid_booking(made.hospital_id, wanted.visit_type, made.doctor)
    return made


def _bookable_at(user: User, doctor: Doctor, hospital_id: int) -> int:
    allowed = booking_policy.bookable_hospital_ids(user, doctor)
    if allowed is not None and hospital_id not in allowed:
        raise not_found(f"Location/{hospital_id}")
    return hospital_id
