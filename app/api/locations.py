"""A room's published sessions (docs/rooms.md): weekly sessions, closures and extra sessions.

The policy is the sessions page's: anyone who may see the room's day reads them; only its managers
(services.locations.may_publish_sessions) change them (403 for the others of the hospital); a room of another
hospital, or one that cannot be booked, is a 404.
"""
from datetime import date

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from app import scheduling as core
from app.api.common import fail, iso, scheduling_error, to_utc_naive
from app.api.schemas import ExceptionOut, RoomExceptionIn, RoomSessionIn, RoomSessionOut, RoomSessionsOut
from app.extensions import db
from app.models import AvailabilityException, AvailabilityRule, Role, Room
from app.models.base import utcnow
from app.services import locations
from app.services.access import visible_hospital_ids
from app.services.availability import resource_for_room
from app.services.availability.schedules import RuleInput, add_exception, remove_exception
from app.services.availability.views import local_today
from app.transaction import transaction

blp = Blueprint("api_locations", __name__, description="Rooms' published sessions")

STAFF_ROLES = (Role.STAFF, Role.DOCTOR, Role.NURSE, Role.ADMIN)  # who may open a room's day (app/locations)


def _room(room_id: int, *, publish: bool = False) -> Room:
    room = db.session.get(Room, room_id)
    scope = visible_hospital_ids(current_user)
    if (room is None or not room.bookable or not room.active or current_user.role not in STAFF_ROLES
            or (scope is not None and room.hospital_id not in scope)):
        abort(404)  # not yours to see: looks like nothing is there
    if publish and not locations.may_publish_sessions(current_user, room):
        fail(403, "Only the room's managers publish its sessions.", "forbidden")
    return room


def _today(room: Room) -> date:
    return local_today(room.hospital.timezone)


def _session_out(rule: AvailabilityRule) -> dict:
    return {"id": rule.id, "weekday": rule.weekday, "start": rule.start, "end": rule.end,
            "slot_minutes": rule.slot_minutes}


def _exception_out(row: AvailabilityException, tz: str) -> dict:
    return {"id": row.id, "hospital_id": row.hospital_id, "start": iso(row.start, tz), "end": iso(row.end, tz),
            "available": row.available, "reason": row.reason}


@blp.route("/locations/<id:room_id>/sessions", methods=["GET"])
@blp.response(200, RoomSessionsOut)
def list_sessions(room_id: int):
    """The weekly sessions in force today, and the closures and extra sessions not yet over."""
    room = _room(room_id)
    schedule = locations.room_schedule(room, _today(room))
    tz = room.hospital.timezone
    return {"room_id": room.id, "hospital_id": room.hospital_id,
            "valid_from": schedule.valid_from if schedule else None,
            "valid_till": schedule.valid_till if schedule else None,
            "sessions": [_session_out(r) for r in schedule.rules] if schedule else [],
            "exceptions": [_exception_out(x, tz) for x in locations.room_exceptions(room, utcnow())]}


@blp.route("/locations/<id:room_id>/sessions", methods=["POST"])
@blp.arguments(RoomSessionIn)
@blp.response(201, RoomSessionOut)
def create_session(data, room_id: int):
    """Add a weekly session from `valid_from` (default today); 422 on `start` when it overlaps another."""
    room = _room(room_id, publish=True)
    valid_from = data.get("valid_from") or _today(room)
    if valid_from < _today(room):
        fail(422, "The sessions cannot change in the past.", "schedule_invalid",
             {"valid_from": "Must not be in the past."})
    rule = RuleInput(weekday=data["weekday"], start=data["start"], end=data["end"], slot_minutes=data["slot_minutes"])
    try:
        with transaction():
            row = locations.add_session(current_user.id, room, rule, valid_from)
    except core.SchedulingError as err:
        scheduling_error(err)
    return _session_out(row)


@blp.route("/locations/<id:room_id>/sessions/<id:session_id>", methods=["DELETE"])
@blp.response(204)
def delete_session(room_id: int, session_id: int):
    """Stop the weekly session from the room's today on (a new configuration keeps the others)."""
    room = _room(room_id, publish=True)
    rule = db.session.get(AvailabilityRule, session_id)
    schedule = locations.room_schedule(room, _today(room))
    if rule is None or schedule is None or rule.schedule_id != schedule.id:
        abort(404)
    with transaction():
        locations.remove_session(current_user.id, room, rule, _today(room))


@blp.route("/locations/<id:room_id>/exceptions", methods=["POST"])
@blp.arguments(RoomExceptionIn)
@blp.response(201, ExceptionOut)
def create_exception(data, room_id: int):
    """A closure (`available` false) or an extra session, which must not overlap another session."""
    room = _room(room_id, publish=True)
    tz = room.hospital.timezone
    start, end = to_utc_naive(data["start"], tz), to_utc_naive(data["end"], tz)
    try:
        with transaction():
            row = add_exception(current_user.id, resource_for_room(room.id).id, room.hospital_id, start, end,
                                data["available"], data["reason"])
    except core.SchedulingError as err:
        scheduling_error(err)
    return _exception_out(row, tz)


@blp.route("/locations/<id:room_id>/exceptions/<id:exception_id>", methods=["DELETE"])
@blp.response(204)
def delete_exception(room_id: int, exception_id: int):
    """Remove a closure or an extra session."""
    room = _room(room_id, publish=True)
    row = db.session.get(AvailabilityException, exception_id)
    if row is None or row.resource_id != resource_for_room(room.id).id:
        abort(404)
    with transaction():
        remove_exception(current_user.id, row)
