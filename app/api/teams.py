"""Procedure teams (docs/teams.md, docs/api.md): a procedure's team, the team search and team bookings.

The same policies as the desk's pages: staff and admins of the hospital search and book (teams.may_use_teams),
admins set a procedure's team (teams.may_edit_template); a procedure of another hospital is a 404.
"""
from __future__ import annotations

from datetime import date

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from app import scheduling as core
from app.api.appointments import out as appointment_out
from app.api.common import fail, iso, scheduling_error, to_utc_naive, visible_appointment
from app.api.schemas import AppointmentOut, Day, Id, Instant, Schema
from app.extensions import db
from app.models import AppointmentType, Patient, SchedulableResource
from app.services import teams
from app.services.directory.policy import may_act_for_patient
from app.transaction import transaction

blp = Blueprint("api_teams", __name__, description="Procedure teams")


class RoleSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    kind = fields.Str(required=True, validate=validate.OneOf(["doctor", "room"]))
    specialty_id = Id()  # a doctor role: any active doctor of the specialty at the hospital
    doctor_ids = fields.List(Id(), validate=validate.Length(min=1, max=50))  # or named doctors
    room_ids = fields.List(Id(), validate=validate.Length(min=1, max=50))  # a room role: these rooms only


class TeamIn(Schema):
    roles = fields.List(fields.Nested(RoleSchema), required=True, validate=validate.Length(min=1, max=8))


class TeamOut(TeamIn):
    appointment_type_id = fields.Int()
    appointment_type = fields.Str()
    hospital_id = fields.Int()
    duration_minutes = fields.Int()


class TeamList(Schema):
    teams = fields.List(fields.Nested(TeamOut))


class TeamSlotQuery(Schema):
    appointment_type_id = Id(required=True)
    limit = fields.Int(load_default=50, validate=validate.Range(1, 500))

    class Meta:
        include = {"from": Day(required=True), "to": Day(required=True)}  # local dates of the hospital, inclusive


class MemberOut(Schema):
    role = fields.Str()
    resource_id = fields.Int()
    doctor_id = fields.Int(allow_none=True)
    room_id = fields.Int(allow_none=True)
    name = fields.Str()
    absent = fields.Bool()  # on leave since booking: the appointment needs rebooking


class TeamSlotOut(Schema):
    start = fields.Str()
    end = fields.Str()
    members = fields.List(fields.Nested(MemberOut))


class TeamSlotList(Schema):
    slots = fields.List(fields.Nested(TeamSlotOut))
    never_free = fields.List(fields.Str())  # with no slots: roles none of whose members is ever free long enough


class TeamBookIn(Schema):
    appointment_type_id = Id(required=True)
    patient_id = Id(required=True)
    start = Instant(required=True)
    reason = fields.Str(validate=validate.Length(max=2000), metadata={"multiline": True})


class TeamAppointmentOut(AppointmentOut):
    needs_rebooking = fields.Bool()
    participants = fields.List(fields.Nested(MemberOut))


def _template(appointment_type_id: int, *, edit: bool = False):
    """The procedure's type and team at a hospital the caller works for; 404 otherwise (and without a team)."""
    kind = db.session.get(AppointmentType, appointment_type_id)
    if kind is None or not (teams.may_use_teams(current_user, kind.hospital_id)
                            or teams.may_edit_template(current_user, kind.hospital_id)):
        abort(404)
    if edit and not teams.may_edit_template(current_user, kind.hospital_id):
        fail(403, "Only the hospital's admins set a procedure's team.", "forbidden")
    return kind, teams.template_for(kind.id)


def _team_out(template) -> dict:
    kind = template.appointment_type
    return {"appointment_type_id": kind.id, "appointment_type": kind.code, "hospital_id": kind.hospital_id,
            "duration_minutes": kind.duration_minutes, "roles": template.roles}


def _members(members: list[tuple[str, int, bool]]) -> list[dict]:
    resources = {r.id: r for r in db.session.scalars(select(SchedulableResource).where(
        SchedulableResource.id.in_([m for _, m, _ in members])))} if members else {}
    return [{"role": role, "resource_id": m, "doctor_id": resources[m].doctor_id, "room_id": resources[m].room_id,
             "name": resources[m].doctor.name if resources[m].doctor_id else resources[m].room.name,
             "absent": absent} for role, m, absent in members]


@blp.route("/teams", methods=["GET"])
@blp.response(200, TeamList)
def index():
    """The procedures with a team at the caller's hospitals."""
    if current_user.role not in ("staff", "admin"):
        fail(403, "Only the desk and admins assemble teams.", "forbidden")
    scope = None if current_user.is_region_admin else set(current_user.hospital_ids)
    return {"teams": [_team_out(t) for t in teams.templates_at(scope)]}


@blp.route("/appointment-types/<id:appointment_type_id>/team", methods=["GET"])
@blp.response(200, TeamOut)
def get_team(appointment_type_id: int):
    _, template = _template(appointment_type_id)
    if template is None:
        abort(404)
    return _team_out(template)


@blp.route("/appointment-types/<id:appointment_type_id>/team", methods=["PUT"])
@blp.arguments(TeamIn)
@blp.response(200, TeamOut)
def put_team(data, appointment_type_id: int):
    kind, _ = _template(appointment_type_id, edit=True)
    try:
        with transaction():
            template = teams.put_template(current_user.id, kind, data["roles"])
    except core.SchedulingError as err:
        scheduling_error(err)
    return _team_out(template)


@blp.route("/teams/slots", methods=["GET"])
@blp.arguments(TeamSlotQuery, location="query")
@blp.response(200, TeamSlotList)
def slots(args):
    """Starts when every role of the procedure's team has a free member, earliest first, with the chosen members."""
    kind, template = _template(args["appointment_type_id"])
    if template is None or not teams.may_use_teams(current_user, kind.hospital_id):
        abort(404)
    first: date = args["from"]
    try:
        found = teams.search_team(template, first, args["to"], limit=args["limit"])
    except core.SchedulingError as err:
        if err.field == "last_day":
            err.field = "to"
        scheduling_error(err)
    tz = kind.hospital.timezone
    every = _members([(role, m, False) for s in found.slots for role, m in s.members])
    by_resource = {m["resource_id"]: m for m in every}
    return {"slots": [{"start": iso(s.start, tz), "end": iso(s.end, tz),
                       "members": [{**by_resource[m], "role": role} for role, m in s.members]} for s in found.slots],
            "never_free": found.never_free}


def _appointment_out(appointment) -> dict:
    members = _members([(role, m, absent) for role, m, absent in teams.participant_rows(appointment.id)])
    return {**appointment_out(appointment), "participants": members,
            "needs_rebooking": any(m["absent"] for m in members)}


@blp.route("/teams/appointments", methods=["POST"])
@blp.arguments(TeamBookIn)
@blp.response(201, TeamAppointmentOut)
def book(data):
    """Book the whole team: every member's time is claimed in one transaction, or nothing is (409 when a member
    was taken meanwhile, 422 when the team cannot be formed)."""
    kind, template = _template(data["appointment_type_id"])
    if template is None or not teams.may_use_teams(current_user, kind.hospital_id):
        abort(404)
    patient = db.session.get(Patient, data["patient_id"])
    if patient is None or not may_act_for_patient(current_user, patient):
        fail(422, "No such patient.", "invalid", {"patient_id": "Unknown patient."})
    start = to_utc_naive(data["start"], kind.hospital.timezone)
    try:
        with transaction():
            appointment = teams.book_team(current_user, template, patient, start, reason=data.get("reason"))
    except core.SchedulingError as err:
        scheduling_error(err)
    return _appointment_out(appointment)


@blp.route("/teams/appointments/<id:appointment_id>", methods=["GET"])
@blp.response(200, TeamAppointmentOut)
def get_appointment(appointment_id: int):
    """A team appointment with its participants (whoever may see the appointment)."""
    appointment = visible_appointment(appointment_id)
    if appointment.kind != core.Kind.TEAM:
        abort(404)
    return _appointment_out(appointment)
