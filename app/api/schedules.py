"""A doctor's weekly schedule and exceptions (the doctor, or staff and admins of that hospital)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app import scheduling as core
from app.api.common import fail, iso, may_manage_doctor, scheduling_error, to_utc_naive
from app.api.schemas import ExceptionIn, ExceptionOut, ScheduleOut, ScheduleQuery, ScheduleSchema
from app.extensions import db
from app.models import AppointmentType, Doctor, Hospital
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import (
    RuleInput,
    ScheduleInput,
    add_exception,
    current_schedule,
    put_schedule,
)
from app.transaction import transaction

blp = Blueprint("api_schedules", __name__, description="Doctors' availability")


def _doctor_and_hospital(doctor_id: int, hospital_id: int | None) -> tuple[Doctor, Hospital]:
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None:
        abort(404)
    hospitals = [h for h in doctor.hospitals if may_manage_doctor(doctor, h.id)]
    if hospital_id is not None:
        hospitals = [h for h in hospitals if h.id == hospital_id]
    if not hospitals:
        abort(404)  # not yours to see: looks like nothing is there
    return doctor, hospitals[0]


def _schedule_out(row, hospital: Hospital) -> dict:
    if row is None:
        return {"hospital_id": hospital.id, "rules": [], "horizon_days": None, "daily_limit": None,
                "valid_from": None, "valid_till": None}
    return {
        "hospital_id": hospital.id,
        "rules": [{"weekday": r.weekday, "start": r.start, "end": r.end, "kind": r.kind,
                   "slot_minutes": r.slot_minutes, "tokens_per_slot": r.tokens_per_slot,
                   "appointment_types": sorted(r.type_codes), "room_id": r.room_id} for r in row.rules],
        "horizon_days": row.horizon_days, "daily_limit": row.daily_limit,
        "min_notice_minutes": row.min_notice_minutes, "buffer_minutes": row.buffer_minutes,
        "urgent_share": row.urgent_share, "urgent_release_hours": row.urgent_release_hours,
        "valid_from": row.valid_from, "valid_till": row.valid_till,
    }


def _check_types(rules: list[dict], hospital: Hospital) -> None:
    """Rules name only the hospital's own appointment types, as the schedule page offers them."""
    known = set(db.session.scalars(select(AppointmentType.code).where(AppointmentType.hospital_id == hospital.id,
                                                                      AppointmentType.active)))
    errors = {f"rules.{i}.appointment_types": f"Unknown appointment type: {code}"
              for i, rule in enumerate(rules) for code in rule["appointment_types"] if code not in known}
    if errors:
        fail(422, "The schedule has errors.", "schedule_invalid", errors)


def _today(hospital: Hospital) -> date:
    return datetime.now(ZoneInfo(hospital.timezone)).date()


@blp.route("/doctors/<id:doctor_id>/schedule", methods=["GET"])
@blp.arguments(ScheduleQuery, location="query")
@blp.response(200, ScheduleOut)
def get_schedule(args, doctor_id: int):
    doctor, hospital = _doctor_and_hospital(doctor_id, args.get("hospital"))
    row = current_schedule(resource_for_doctor(doctor.id).id, hospital.id, _today(hospital))
    return _schedule_out(row, hospital)


@blp.route("/doctors/<id:doctor_id>/schedule", methods=["PUT"])
@blp.arguments(ScheduleSchema)
@blp.response(200, ScheduleOut)
def put_schedule_view(data, doctor_id: int):
    doctor, hospital = _doctor_and_hospital(doctor_id, data.get("hospital_id"))
    _check_types(data["rules"], hospital)
    rules = [RuleInput(**rule) for rule in data["rules"]]
    valid_from = data.get("valid_from") or _today(hospital)
    fields = {k: data[k] for k in ("horizon_days", "daily_limit", "min_notice_minutes", "buffer_minutes",
                                   "urgent_share", "urgent_release_hours")}
    try:
        with transaction():
            row = put_schedule(current_user.id, resource_for_doctor(doctor.id).id, hospital.id,
                               ScheduleInput(valid_from=valid_from, valid_till=data.get("valid_till"), rules=rules,
                                             **fields))
    except core.SchedulingError as err:
        scheduling_error(err)
    return _schedule_out(row, hospital)


@blp.route("/doctors/<id:doctor_id>/exceptions", methods=["POST"])
@blp.arguments(ExceptionIn)
@blp.response(201, ExceptionOut)
def post_exception(data, doctor_id: int):
    doctor, hospital = _doctor_and_hospital(doctor_id, data.get("hospital_id"))
    start, end = to_utc_naive(data["start"], hospital.timezone), to_utc_naive(data["end"], hospital.timezone)
    if end <= start:
        fail(422, "The end must be after the start.", "invalid", {"end": "Must be after the start."})
    with transaction():
        row = add_exception(current_user.id, resource_for_doctor(doctor.id).id, hospital.id, start, end,
                            data["available"], data["reason"])
    return {"id": row.id, "hospital_id": hospital.id, "start": iso(row.start, hospital.timezone),
            "end": iso(row.end, hospital.timezone), "available": row.available, "reason": row.reason}
