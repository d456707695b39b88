"""Emergencies at the desk (docs/api.md, docs/optimiser.md "Emergencies at the desk"): propose where an emergency
goes today and whom it displaces, then place it with the proposal's token.

The desk and hospital admins, at their own hospitals, for patients they may book for (waitlist.policy
.may_place_emergency); anything else answers 404, as if it did not exist. Proposing writes nothing; placing is one
transaction: a slot or a displaced booking changed meanwhile (another desk placed an emergency there first) is 409
`proposal_stale` and nothing is written.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app import scheduling as core
from app.api.common import fail, iso, scheduling_error
from app.api.schemas import Id, Schema
from app.extensions import db
from app.models import Hospital, Patient
from app.services.waitlist import emergency
from app.services.waitlist.policy import may_place_emergency
from app.transaction import transaction

blp = Blueprint("api_emergencies", __name__, description="Emergencies at the desk")


class EmergencyIn(Schema):
    hospital_id = Id(required=True)
    patient_id = Id(required=True)
    specialty_id = Id()
    doctor_id = Id()


class PlaceIn(Schema):
    hospital_id = Id(required=True)
    patient_id = Id(required=True)
    token = fields.Str(required=True, validate=validate.Length(min=1, max=4000))
    reason = fields.Str(validate=validate.Length(max=200))


class BookingOut(Schema):
    appointment_id = fields.Int()
    patient_id = fields.Int()
    urgency = fields.Str()
    start = fields.Str()


class NewTimeOut(Schema):
    appointment_id = fields.Int()
    doctor_id = fields.Int()
    hospital_id = fields.Int()
    start = fields.Str()


class SeatOut(Schema):
    doctor_id = fields.Int()
    hospital_id = fields.Int()
    start = fields.Str()
    end = fields.Str()
    displaced = fields.List(fields.Nested(BookingOut))


class ProposalOut(Schema):
    seat = fields.Nested(SeatOut, allow_none=True, metadata={"description": "null: no slot of these doctors is "
                                                                            "left today"})
    new_times = fields.List(fields.Nested(NewTimeOut))
    not_placed = fields.List(fields.Int(), metadata={"description": "displaced appointments without a new time"})
    slots_considered = fields.Int()
    solver = fields.Str()
    status = fields.Str()
    token = fields.Str(metadata={"description": "send it to POST /emergencies within 15 minutes"})


class OfferOut(Schema):
    id = fields.Int()
    patient_id = fields.Int()
    doctor_id = fields.Int()
    start = fields.Str()
    expires_at = fields.Str()


class PlacedOut(Schema):
    appointment_id = fields.Int()
    doctor_id = fields.Int()
    hospital_id = fields.Int()
    start = fields.Str()
    end = fields.Str()
    displaced = fields.List(fields.Nested(BookingOut))
    offers = fields.List(fields.Nested(OfferOut))


def _scope(data) -> tuple[Hospital, Patient]:
    hospital, patient = db.session.get(Hospital, data["hospital_id"]), db.session.get(Patient, data["patient_id"])
    if hospital is None or patient is None or not may_place_emergency(current_user, hospital.id, patient):
        abort(404)
    return hospital, patient


def _booking(a, tz: str) -> dict:
    return {"appointment_id": a.id, "patient_id": a.patient_id, "urgency": a.urgency, "start": iso(a.start, tz)}


@blp.route("/emergencies/proposals", methods=["POST"])
@blp.arguments(EmergencyIn)
@blp.response(200, ProposalOut)
def propose(data):
    """Where the optimiser would place the emergency today; nothing is written."""
    hospital, patient = _scope(data)
    if bool(data.get("specialty_id")) == bool(data.get("doctor_id")):
        fail(422, "Give a specialty_id or a doctor_id (one of them).", "invalid",
             {"specialty_id": "Give a specialty_id or a doctor_id."})
    try:
        proposal = emergency.propose(hospital, patient, specialty_id=data.get("specialty_id"),
                                     doctor_id=data.get("doctor_id"))
    except core.SchedulingError as err:
        scheduling_error(err)
    tz, seat = hospital.timezone, proposal.seat
    return {
        "seat": None if seat is None else {
            "doctor_id": seat.doctor.id, "hospital_id": hospital.id, "start": iso(seat.start, tz),
            "end": iso(seat.end, tz), "displaced": [_booking(a, tz) for a in seat.displaced]},
        "new_times": [{"appointment_id": m.appointment.id, "doctor_id": m.doctor.id, "hospital_id": m.hospital.id,
                       "start": iso(m.start, m.hospital.timezone)} for m in proposal.moves],
        "not_placed": [n.appointment.id for n in proposal.not_placed],
        "slots_considered": proposal.slots_considered, "solver": proposal.result.solver,
        "status": proposal.result.status, "token": proposal.token}


@blp.route("/emergencies", methods=["POST"])
@blp.arguments(PlaceIn)
@blp.response(201, PlacedOut)
def place(data):
    """Book the emergency where proposed and send the displaced patients their new times (all or nothing)."""
    hospital, patient = _scope(data)
    try:
        with transaction():
            placed = emergency.apply(current_user.id, hospital, patient, data["token"], reason=data.get("reason"))
            tz, a = hospital.timezone, placed.appointment
            body = {"appointment_id": a.id, "doctor_id": a.doctor_id, "hospital_id": hospital.id,
                    "start": iso(a.start, tz), "end": iso(a.end, tz),
                    "displaced": [_booking(d, tz) for d in placed.displaced],
                    "offers": [{"id": o.id, "patient_id": o.entry.patient_id, "doctor_id": o.hold.doctor_id,
                                "start": iso(o.hold.start, o.hold.hospital.timezone),
                                "expires_at": iso(o.expires_at, o.hold.hospital.timezone)} for o in placed.offers]}
    except LookupError:
        abort(404)
    except core.SchedulingError as err:
        scheduling_error(err)
    return body
