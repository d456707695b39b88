"""Shared API pieces: access checks, time conversion and error translation."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort
from flask_login import current_user
from flask_smorest import abort as api_abort
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.api.schemas import MAX_ID
from app.extensions import db
from app.models import Appointment, Doctor, Patient
from app.scheduling import SchedulingError
from app.services.availability import policy as availability_policy
from app.services.booking import policy as booking_policy

UTC = ZoneInfo("UTC")


class IdConverter(IntegerConverter):
    """`<id:name>` in an API path, documented as 1 to MAX_ID. Any other number is no such row: 404, rather than a
    driver overflow (past 2^63) or, for a path with several methods, werkzeug's misleading 405."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound()
        return number


def fail(status: int, message: str, code: str, fields: dict | None = None):
    """Abort with the API's error body {"error", "message", "fields"}."""
    api_abort(status, message=message, error=code, fields=fields or {})


def scheduling_error(err: SchedulingError):
    fields = dict(getattr(err, "fields", None) or {})
    if err.field and err.field not in fields:
        fields[err.field] = err.message
    fail(err.http_status, err.message, err.code, fields)


def iso(instant: datetime, tz: str) -> str:
    """A stored naive-UTC instant as ISO 8601 with the hospital's offset."""
    return instant.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat()


def to_utc_naive(value: datetime, tz: str) -> datetime:
    """An aware instant, or a naive one read as the hospital's wall time, to naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC).replace(tzinfo=None)


def own_patient() -> Patient | None:
    return booking_policy.own_patient(current_user)


def may_manage_doctor(doctor: Doctor, hospital_id: int) -> bool:
    return availability_policy.may_edit_schedule(current_user, doctor, hospital_id)


def visible_appointment(appointment_id: int) -> Appointment:
    """The appointment if the caller may see it; 404 otherwise (another's record looks like none)."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not booking_policy.may_see(current_user, appointment):
        abort(404)
    return appointment
