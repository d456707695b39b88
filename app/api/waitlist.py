"""The cancellation waitlist (docs/api.md): join, list with open offers, leave; accept or decline an offer.

Patients act for themselves. Staff and admins may join a patient of theirs by `patient_id`; someone else's entry or
offer answers 404, as if it did not exist.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate

from app import scheduling as core
from app.api.appointments import out as appointment_out
from app.api.common import fail, iso, own_patient, scheduling_error
from app.api.schemas import URGENCY, AppointmentOut, Day, Id, Schema
from app.extensions import db
from app.models import Offer, Patient, Role, WaitlistEntry
from app.services import waitlist
from app.services.availability.query import SearchError, resolve_specialty
from app.services.booking import policy as booking_policy
from app.services.waitlist import policy as waitlist_policy
from app.transaction import transaction

blp = Blueprint("api_waitlist", __name__, description="Cancellation waitlist")


class SpecialtyRef(fields.Field):
    """A specialty by id or by name (docs/api.md)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError("Give a specialty id or name.")
        return str(value)


class WaitlistIn(Schema):
    specialty = SpecialtyRef()
    doctor_id = Id()
    hospital_id = Id()
    latest = Day(required=True)
    urgency = fields.Str(load_default="routine", validate=URGENCY)
    times_of_day = fields.List(fields.Str(validate=validate.OneOf(["morning", "afternoon", "evening"])),
                               load_default=list)
    appointment_type = fields.Str(validate=validate.Length(max=40))  # its column's width
    patient_id = Id()


class WaitlistOfferOut(Schema):
    id = fields.Int()
    doctor_id = fields.Int()
    hospital_id = fields.Int()
    start = fields.Str()
    end = fields.Str()
    expires_at = fields.Str()


class WaitlistEntryOut(Schema):
    id = fields.Int()
    status = fields.Str()
    specialty_id = fields.Int(allow_none=True)
    doctor_id = fields.Int(allow_none=True)
    hospital_ids = fields.List(fields.Int())
    latest = fields.Str()
    urgency = fields.Str()
    times_of_day = fields.List(fields.Str())
    appointment_type = fields.Str(allow_none=True)
    created_at = fields.Str()
    offers = fields.List(fields.Nested(WaitlistOfferOut))


class WaitlistEntryList(Schema):
    entries = fields.List(fields.Nested(WaitlistEntryOut))


class WaitlistQuery(Schema):
    mine = fields.Int()


class AcceptOut(Schema):
    appointment = fields.Nested(AppointmentOut)


class DeclineOut(Schema):
    id = fields.Int()
    status = fields.Str()


def offer_out(offer: Offer) -> dict:
    hold, tz = offer.hold, offer.hold.hospital.timezone
    return {"id": offer.id, "doctor_id": hold.doctor_id, "hospital_id": hold.hospital_id,
            "start": iso(hold.start, tz), "end": iso(hold.end, tz), "expires_at": iso(offer.expires_at, tz)}


def entry_out(entry: WaitlistEntry, *, with_offers: bool = True) -> dict:
    body = {"id": entry.id, "status": entry.status, "specialty_id": entry.specialty_id, "doctor_id": entry.doctor_id,
            "hospital_ids": sorted(int(i) for i in entry.hospital_ids.split(",") if i),
            "latest": entry.latest.isoformat(), "urgency": entry.urgency,
            "times_of_day": [t for t in entry.times_of_day.split(",") if t],
            "appointment_type": entry.appointment_type, "created_at": entry.created_at.isoformat() + "Z"}
    if with_offers:
        body["offers"] = [offer_out(o) for o in waitlist.open_offers(entry)]
    return body


def _patient_for(data) -> Patient:
    if booking_policy.is_patient(current_user):
        patient = own_patient()
        if patient is None or data.get("patient_id") not in (None, patient.id):
            fail(403, "Patients join the waitlist for themselves only.", "forbidden")
        return patient
    if current_user.role not in (Role.STAFF, Role.ADMIN):
        fail(403, "Only patients, the desk and admins put patients on the waitlist.", "forbidden")
    if data.get("patient_id") is None:
        fail(422, "patient_id is required when staff add a patient.", "invalid", {"patient_id": "Required."})
    patient = db.session.get(Patient, data["patient_id"])
    if patient is None:
        fail(422, "No such patient.", "invalid", {"patient_id": "Unknown patient."})
    if not waitlist_policy.may_add_for(current_user, patient):
        fail(403, "Only patients, the desk and admins put patients on the waitlist.", "forbidden")
    return patient


def _commit(change):
    """One waitlist change: a refusal rolls back and answers with its status; success commits and tells the pages
    watching the slots that a hold took or freed."""
    try:
        with transaction():
            result = change()
    except core.SchedulingError as err:
        scheduling_error(err)
    except LookupError:
        abort(404)
    return result


@blp.route("/waitlist", methods=["POST"])
@blp.arguments(WaitlistIn)
@blp.response(201, WaitlistEntryOut)
def join(data):
    patient = _patient_for(data)
    if bool(data.get("specialty")) == bool(data.get("doctor_id")):
        fail(422, "Give a specialty or a doctor_id (one of them).", "invalid",
             {"specialty": "Give a specialty or a doctor_id."})
    try:
        specialty_id = resolve_specialty(data.get("specialty"))
    except SearchError as err:
        fail(422, err.message, "invalid", {"specialty": err.message})
    wish = waitlist.Wish(specialty_id=specialty_id, doctor_id=data.get("doctor_id"),
                         hospital_ids=(data["hospital_id"],) if data.get("hospital_id") else (),
                         latest=data["latest"], urgency=data["urgency"], times_of_day=tuple(data["times_of_day"]),
                         appointment_type=data.get("appointment_type"))
    entry = _commit(lambda: waitlist.join(current_user.id, patient, wish))
    return entry_out(entry, with_offers=False)


@blp.route("/waitlist", methods=["GET"])
@blp.arguments(WaitlistQuery, location="query")
@blp.response(200, WaitlistEntryList)
def index(args):
    """The caller's own entries (patients); `mine=1` is what patients always get."""
    patient = own_patient()
    if patient is None:
        return {"entries": []}
    return {"entries": [entry_out(e) for e in waitlist.entries_for(patient)]}


def _own_entry(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or not waitlist_policy.may_manage_entry(current_user, entry):
        abort(404)
    return entry


def _own_offer(offer_id: int) -> tuple[Offer, Patient]:
    offer = db.session.get(Offer, offer_id)
    if offer is None or not waitlist_policy.may_manage_entry(current_user, offer.entry):
        abort(404)
    return offer, offer.entry.patient


@blp.route("/waitlist/<id:entry_id>", methods=["DELETE"])
@blp.response(200, WaitlistEntryOut)
def leave(entry_id: int):
    entry = _own_entry(entry_id)
    _commit(lambda: waitlist.leave(current_user.id, entry))
    return entry_out(entry, with_offers=False)


@blp.route("/offers/<id:offer_id>/accept", methods=["POST"])
@blp.response(200, AcceptOut)
def accept(offer_id: int):
    offer, patient = _own_offer(offer_id)
    appointment = _commit(lambda: waitlist.accept(current_user.id, offer, patient))
    return {"appointment": appointment_out(appointment)}


@blp.route("/offers/<id:offer_id>/decline", methods=["POST"])
@blp.response(200, DeclineOut)
def decline(offer_id: int):
    offer, patient = _own_offer(offer_id)
    _commit(lambda: waitlist.decline(current_user.id, offer, patient))
    return {"id": offer.id, "status": offer.status}
