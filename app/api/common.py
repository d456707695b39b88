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
from app.models import Appointment, Doctor, Patient, Role
from app.scheduling import SchedulingError
from app.security import visible_hospital_ids

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
    return db.session.scalar(db.select(Patient).where(Patient.user_id == current_user.id))


def own_doctor() -> Doctor | None:
    return db.session.scalar(db.select(Doctor).where(Doctor.user_id == current_user.id))


def may_manage_doctor(doctor: Doctor, hospital_id: int) -> bool:
    """The doctor themself at a hospital they belong to, or staff and admins of that hospital."""
    if current_user.role == Role.DOCTOR:
        return doctor.user_id == current_user.id and hospital_id in current_user.hospital_ids
    if current_user.role in (Role.STAFF, Role.ADMIN):
        scope = visible_hospital_ids(current_user)
        return scope is None or hospital_id in scope
    return False


def visible_appointment(appointment_id: int) -> Appointment:
    """The appointment if the caller may see it; 404 otherwise (another's record looks like none)."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not can_see(appointment):
        abort(404)
    return appointment


def can_see(appointment: Appointment) -> bool:
    if current_user.role == Role.PATIENT:
        patient = own_patient()
        return patient is not None and appointment.patient_id == patient.id
    if current_user.role == Role.DOCTOR:
        doctor = own_doctor()
        return (doctor is not None and appointment.doctor_id == doctor.id) or \
            appointment.hospital_id in current_user.hospital_ids
    scope = visible_hospital_ids(current_user)
    return scope is None or appointment.hospital_id in scope
