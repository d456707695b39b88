"""Recurring series (docs/series.md): preview and book a series, read it, cancel the rest. The front desk's tool:
staff of the series' hospital only, as on the pages (app.services.booking.policy.may_book_series)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from app import scheduling as core
from app.api.appointments import out as appointment_out
from app.api.common import fail, iso, scheduling_error
from app.api.schemas import AppointmentOut, Day, Id, Schema
from app.extensions import db
from app.models import Hospital, Patient, Role, Series
from app.scheduling import series as rules
from app.services.booking import policy
from app.services.booking import series as series_service
from app.services.directory.policy import may_act_for_patient
from app.transaction import transaction

blp = Blueprint("api_series", __name__, description="Recurring series of appointments booked by the front desk")


class SeriesIn(Schema):
    patient_id = Id(required=True)
    hospital_id = Id(metadata={"description": "Needed when the caller works at more than one hospital."})
    doctor_id = Id(metadata={"description": "The same doctor every time; or give specialty_id instead."})
    specialty_id = Id(metadata={"description": "Any doctor of the specialty at the hospital."})
    appointment_type = fields.Str(validate=validate.Length(max=40))
    first_day = Day(required=True)
    every = fields.Int(required=True, validate=validate.Range(min=1, max=rules.MAX_EVERY))
    unit = fields.Str(required=True, validate=validate.OneOf(rules.UNITS))
    count = fields.Int(validate=validate.Range(min=1, max=rules.MAX_COUNT),
                       metadata={"description": "How many appointments; or give `until`."})
    until = Day(metadata={"description": "The last possible date (inclusive); or give `count`."})
    window_start = fields.Time(required=True, metadata={"description": "Local time of the hospital, e.g. 09:00"})
    window_end = fields.Time(required=True)

    @validates_schema
    def one_of_each(self, data, **_kwargs):
        if ("doctor_id" in data) == ("specialty_id" in data):
            raise ValidationError("Give doctor_id or specialty_id.", "doctor_id")
        if ("count" in data) == ("until" in data):
            raise ValidationError("Give count or until.", "count")


class SeriesBookIn(SeriesIn):
    preview = fields.Str(validate=validate.Length(max=64),
                         metadata={"description": "The preview's fingerprint: when the free times have changed "
                                                  "since, nothing is booked (409 series_changed)."})


class OccurrenceOut(Schema):
    date = fields.Str()
    start = fields.Str(allow_none=True)
    doctor_id = fields.Int(allow_none=True)
    hospital_id = fields.Int(allow_none=True)
    reason = fields.Str(allow_none=True, metadata={"description": "Why it cannot be placed: no_free_time or "
                                                                  "patient_busy; null when placed."})


class PreviewOut(Schema):
    occurrences = fields.List(fields.Nested(OccurrenceOut))
    placeable = fields.Int()
    preview = fields.Str(metadata={"description": "Send it back with POST /series to book exactly this."})


class SeriesOut(Schema):
    id = fields.Int()
    patient_id = fields.Int()
    hospital_id = fields.Int()
    doctor_id = fields.Int(allow_none=True)
    specialty_id = fields.Int(allow_none=True)
    appointment_type = fields.Str(allow_none=True)
    first_day = fields.Str()
    every = fields.Int()
    unit = fields.Str()
    count = fields.Int(allow_none=True)
    until = fields.Str(allow_none=True)
    window_start = fields.Str()
    window_end = fields.Str()
    appointments = fields.List(fields.Nested(AppointmentOut))
    unplaceable = fields.List(fields.Nested(OccurrenceOut), metadata={"description": "Only when booking."})


class CancelRestIn(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=255))


def _staff_only() -> None:
    if current_user.role != Role.STAFF:
        fail(403, "Series are booked by the front desk.", "forbidden")


def _request(data) -> series_service.SeriesRequest:
    _staff_only()
    hospital_id = data.get("hospital_id")
    if hospital_id is None:
        if len(current_user.hospital_ids) != 1:
            fail(422, "hospital_id is required.", "invalid", {"hospital_id": "Required."})
        hospital_id = next(iter(current_user.hospital_ids))
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None or not policy.may_book_series(current_user, hospital.id):
        abort(404)
    patient = db.session.get(Patient, data["patient_id"])
    if patient is None or not may_act_for_patient(current_user, patient):
        abort(404)
    rule = rules.Recurrence(first_day=data["first_day"], every=data["every"], unit=data["unit"],
                            window_start=data["window_start"], window_end=data["window_end"],
                            count=data.get("count"), until=data.get("until"))
    return series_service.SeriesRequest(patient, hospital, rule, doctor_id=data.get("doctor_id"),
                                        specialty_id=data.get("specialty_id"),
                                        appointment_type=data.get("appointment_type"))


def _occurrence(o: rules.Occurrence, tz: str) -> dict:
    return {"date": o.day.isoformat(), "start": iso(o.start, tz) if o.placed else None, "doctor_id": o.doctor_id,
            "hospital_id": o.hospital_id, "reason": o.reason}


def _series_out(series: Series) -> dict:
    return {"id": series.id, "patient_id": series.patient_id, "hospital_id": series.hospital_id,
            "doctor_id": series.doctor_id, "specialty_id": series.specialty_id,
            "appointment_type": series.appointment_type, "first_day": series.first_day.isoformat(),
            "every": series.every, "unit": series.unit, "count": series.count,
            "until": series.until.isoformat() if series.until else None,
            "window_start": series.window_start.strftime("%H:%M"), "window_end": series.window_end.strftime("%H:%M"),
            "appointments": [appointment_out(a) for a in series_service.occurrences_of(series)]}


def _field(err: core.SchedulingError) -> core.SchedulingError:
    """The core names the form's fields; the API's are the request's own names."""
    if err.field == "series":
        err.field = None
    return err


@blp.route("/series/preview", methods=["POST"])
@blp.arguments(SeriesIn)
@blp.response(200, PreviewOut)
def preview(data):
    """Where each date of the series would go, or why it cannot; nothing is booked."""
    request = _request(data)
    try:
        occurrences = series_service.preview(request)
    except core.SchedulingError as err:
        scheduling_error(_field(err))
    return {"occurrences": [_occurrence(o, request.hospital.timezone) for o in occurrences],
            "placeable": sum(1 for o in occurrences if o.placed), "preview": series_service.fingerprint(occurrences)}


@blp.route("/series", methods=["POST"])
@blp.arguments(SeriesBookIn)
@blp.response(201, SeriesOut)
def create(data):
    """Book every placeable date in one transaction: all of them, or none (a lost race, a changed preview, a
    series past the booking horizon)."""
    request = _request(data)
    try:
        with transaction():
            series, occurrences = series_service.book(current_user.id, request, expected=data.get("preview"))
            result = _series_out(series)
    except core.SchedulingError as err:
        scheduling_error(_field(err))
    result["unplaceable"] = [_occurrence(o, request.hospital.timezone) for o in occurrences if not o.placed]
    return result


def _visible_series(series_id: int) -> Series:
    _staff_only()
    series = db.session.get(Series, series_id)
    if series is None or not policy.may_manage_series(current_user, series):
        abort(404)
    return series


@blp.route("/series/<id:series_id>", methods=["GET"])
@blp.response(200, SeriesOut)
def get(series_id: int):
    return _series_out(_visible_series(series_id))


@blp.route("/series/<id:series_id>/cancel-rest", methods=["POST"])
@blp.arguments(CancelRestIn)
@blp.response(200, SeriesOut)
def cancel_rest(data, series_id: int):
    """Cancel every booked appointment of the series still to come; past ones stay."""
    series = _visible_series(series_id)
    try:
        with transaction():
            series_service.cancel_rest(current_user.id, series, data["reason"].strip())
    except core.SchedulingError as err:
        scheduling_error(err)
    return _series_out(series)
