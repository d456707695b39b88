"""The token queue over REST (docs/api.md): check-in, walk-ins, a doctor's queue, status steps.

Staff, nurses, doctors and admins of the hospital concerned only: patients get 403, another hospital's record 404.
Core refusals answer with their own status: 409 for a second token, a cancelled or not-today appointment or an
illegal status step; 422 for bad input.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from app import scheduling as core
from app.api.common import fail, scheduling_error, visible_appointment
from app.api.schemas import MULTILINE, Day, Id, Schema
from app.extensions import db
from app.models import Doctor, Hospital, Patient, QueueEntry
from app.phones import e164
from app.services import queue as queue_service
from app.services.access import visible_hospital_ids
from app.services.directory import patients
from app.services.queue import policy as queue_policy
from app.transaction import transaction

blp = Blueprint("api_queue", __name__, description="Front-desk token queue")

PRIORITY = validate.OneOf(list(core.PRIORITY_CHOICES))
STEPS = validate.OneOf(["called", "in_progress", "completed", "left", "no_show", "waiting"])


class NewPatientIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    phone = fields.Str(validate=validate.Length(max=40))
    birth_date = fields.Date()


class CheckInIn(Schema):
    priority = fields.Str(validate=PRIORITY)


class WalkinIn(Schema):
    patient_id = Id()
    patient = fields.Nested(NewPatientIn)
    doctor_id = Id()
    department_id = Id()
    hospital_id = Id()
    priority = fields.Str(load_default="normal", validate=PRIORITY)

    @validates_schema
    def _one_patient_one_target(self, data, **_kw):
        if ("patient_id" in data) == ("patient" in data):
            raise ValidationError("Give either patient_id or patient.", "patient_id")
        if not data.get("doctor_id") and not data.get("department_id"):
            raise ValidationError("Give doctor_id (or department_id).", "doctor_id")
        if data.get("patient") and data["patient"].get("phone"):
            try:
                data["patient"]["phone"] = e164(data["patient"]["phone"])
            except ValueError as err:
                raise ValidationError(str(err), "patient") from None


class TokenOut(Schema):
    token = fields.Str()
    position = fields.Int(allow_none=True)


class QueueQuery(Schema):
    doctor_id = Id(required=True)
    date = Day()
    hospital_id = Id()


class EntryOut(Schema):
    id = fields.Int()
    token = fields.Str()
    patient_name = fields.Str()
    priority = fields.Str()
    status = fields.Str()
    position = fields.Int(allow_none=True)
    estimated_wait_minutes = fields.Int(allow_none=True)
    doctor_id = fields.Int()
    hospital_id = fields.Int()
    day = fields.Date()


class EntryList(Schema):
    entries = fields.List(fields.Nested(EntryOut))


class StatusIn(Schema):
    status = fields.Str(required=True, validate=STEPS)
    comment = fields.Str(validate=validate.Length(max=2000), metadata=MULTILINE)


class PriorityIn(Schema):
    priority = fields.Str(required=True, validate=PRIORITY)
    reason = fields.Str(validate=validate.Length(max=255))


@blp.before_request
def _staff_only():
    if current_user.is_authenticated and not queue_policy.may_run_queues(current_user):
        fail(403, "The queue is run by hospital staff.", "forbidden")


def _entry_json(entry: QueueEntry, position: int | None, wait: int | None = None) -> dict:
    return {"id": entry.id, "token": entry.label, "patient_name": entry.patient.name, "priority": entry.priority,
            "status": entry.status, "position": position, "estimated_wait_minutes": wait,
            "doctor_id": entry.queue.doctor_id, "hospital_id": entry.queue.hospital_id, "day": entry.day}


def _in_scope(hospital_id: int) -> bool:
    return queue_policy.may_run_queue(current_user, hospital_id)


def _apply(change):
    """One queue operation: a refusal rolls back and answers; success commits, then the boards hear of it."""
    try:
        with transaction():
            result = change()
    except core.SchedulingError as err:
        scheduling_error(err)
    return result


def _hospital_for(doctor: Doctor | None, requested: int | None) -> Hospital:
    """The hospital of the walk-in: the one asked for, else the only one the caller and the doctor share."""
    if requested is not None:
        hospital = db.session.get(Hospital, requested)
        if hospital is None or not _in_scope(hospital.id):
            abort(404)
        return hospital
    candidates = [h for h in (doctor.hospitals if doctor else []) if _in_scope(h.id)]
    if doctor is None:  # a department walk-in: the caller's own hospital
        scope = visible_hospital_ids(current_user)
        candidates = [db.session.get(Hospital, i) for i in sorted(scope)] if scope else []
    if not candidates:
        abort(404)
    if len(candidates) > 1:
        fail(422, "Say at which hospital: hospital_id.", "invalid", {"hospital_id": "Required here."})
    return candidates[0]


@blp.route("/appointments/<id:appointment_id>/check-in", methods=["POST"])
@blp.arguments(CheckInIn(), required=False)
@blp.response(200, TokenOut)
def check_in(data, appointment_id: int):
    appointment = visible_appointment(appointment_id)
    if not _in_scope(appointment.hospital_id):
        abort(404)
    entry = _apply(lambda: queue_service.check_in(current_user.id, appointment,
                                                  priority=(data or {}).get("priority")))
    return {"token": entry.label, "position": queue_service.position_of(entry)}


@blp.route("/walkins", methods=["POST"])
@blp.arguments(WalkinIn)
@blp.response(201, TokenOut)
def walkin(data):
    doctor = None
    if data.get("doctor_id"):
        doctor = db.session.get(Doctor, data["doctor_id"])
        if doctor is None:
            fail(422, "No such doctor.", "invalid", {"doctor_id": "Unknown doctor."})
    hospital = _hospital_for(doctor, data.get("hospital_id"))

    def issue():
        if "patient_id" in data:
            patient = db.session.get(Patient, data["patient_id"])
            if patient is None:
                raise core.QueueError("No such patient.", "patient_id", http_status=422)
        else:
            new = data["patient"]
            patient = patients.register_at_desk(current_user.id, hospital.id, new["name"], phone=new.get("phone"),
                                                birth_date=new.get("birth_date"))
        return queue_service.issue_walkin(current_user.id, hospital.id, patient, doctor_id=data.get("doctor_id"),
                                          department_id=data.get("department_id"), priority=data["priority"])

    entry = _apply(issue)
    return {"token": entry.label, "position": queue_service.position_of(entry)}


@blp.route("/queue", methods=["GET"])
@blp.arguments(QueueQuery, location="query")
@blp.response(200, EntryList)
def index(args):
    doctor = db.session.get(Doctor, args["doctor_id"])
    if doctor is None:
        abort(404)
    hospital = _hospital_for(doctor, args.get("hospital_id"))
    rows = queue_service.queue_for(hospital.id, doctor.id, args.get("date"))
    return {"entries": [_entry_json(r.entry, r.position, r.estimated_wait_minutes) for r in rows]}


@blp.route("/queue/<id:entry_id>", methods=["PATCH"])
@blp.arguments(StatusIn)
@blp.response(200, EntryOut)
def set_status(data, entry_id: int):
    entry = db.session.get(QueueEntry, entry_id)
    if entry is None or not _in_scope(entry.queue.hospital_id):
        abort(404)
    _apply(lambda: queue_service.set_status(current_user.id, entry, data["status"], comment=data.get("comment")))
    return _entry_json(entry, queue_service.position_of(entry))


@blp.route("/queue/<id:entry_id>/priority", methods=["PUT"])
@blp.arguments(PriorityIn)
@blp.response(200, EntryOut)
def set_priority(data, entry_id: int):
    """Staff set the tier an open token is served in; audited (docs/security.md, "Urgency")."""
    entry = db.session.get(QueueEntry, entry_id)
    if entry is None or not queue_policy.may_set_priority(current_user, entry.queue.hospital_id):
        abort(404)
    _apply(lambda: queue_service.set_priority(current_user.id, entry, data["priority"], reason=data.get("reason")))
    return _entry_json(entry, queue_service.position_of(entry))
