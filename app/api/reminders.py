"""An appointment type's reminder offsets (docs/operations.md, "Reminders"): read and set by the hospital's admins."""
from flask import abort, current_app
from flask_login import current_user
from flask_smorest import Blueprint

from app.api.common import fail
from app.api.schemas import ReminderOffsetsIn, ReminderOffsetsOut
from app.extensions import db
from app.models import AppointmentType
from app.scheduling import reminders as offsets_core
from app.services import directory
from app.services.directory.policy import may_configure_hospital
from app.transaction import transaction

blp = Blueprint("api_reminders", __name__, description="Reminders")


def _type(type_id: int) -> AppointmentType:
    kind = db.session.get(AppointmentType, type_id)
    if kind is None or not may_configure_hospital(current_user, kind.hospital_id):
        abort(404)  # another hospital's type looks like none
    return kind


def _out(kind: AppointmentType) -> dict:
    own = offsets_core.from_stored(kind.reminder_offsets)
    default = directory.default_reminder_hours(kind.hospital, tuple(current_app.config.get("REMINDER_HOURS", ())))
    return {"appointment_type_id": kind.id, "hospital_id": kind.hospital_id, "code": kind.code,
            "offsets": offsets_core.format_offsets(own) if own else None, "hours": list(own or default),
            "horizon_days": directory.booking_horizon_days(kind.hospital_id)}


@blp.route("/appointment-types/<id:type_id>/reminders", methods=["GET"])
@blp.response(200, ReminderOffsetsOut)
def get(type_id: int):
    return _out(_type(type_id))


@blp.route("/appointment-types/<id:type_id>/reminders", methods=["PUT"])
@blp.arguments(ReminderOffsetsIn)
@blp.response(200, ReminderOffsetsOut)
def put(data, type_id: int):
    """422 with the field's message when an offset is unreadable, not positive, beyond the booking horizon, or
    there are too many; nothing is saved then."""
    kind = _type(type_id)
    try:
        with transaction():
            directory.set_reminder_offsets(current_user, kind, data["offsets"])
    except directory.DirectoryError as err:
        fail(422, str(err.message), "invalid", {"offsets": str(err.message)})
    return _out(kind)
