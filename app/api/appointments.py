"""Appointments: book, read, list, cancel, reschedule."""
from datetime import datetime, time, timedelta

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app import realtime
from app import scheduling as core
from app.api.common import (
    fail,
    iso,
    own_doctor,
    own_patient,
    scheduling_error,
    to_utc_naive,
    visible_appointment,
)
from app.api.schemas import AppointmentIn, AppointmentList, AppointmentOut, AppointmentQuery, CancelIn, RescheduleIn
from app.extensions import db
from app.models import Appointment, Doctor, Patient, Role
from app.security import visible_hospital_ids
from app.services import booking
from app.services.booking.lists import day_bounds

blp = Blueprint("api_appointments", __name__, description="Appointments")


def out(a: Appointment) -> dict:
    tz = a.hospital.timezone
    return {"id": a.id, "status": a.status, "start": iso(a.start, tz), "end": iso(a.end, tz),
            "doctor_id": a.doctor_id, "patient_id": a.patient_id, "hospital_id": a.hospital_id,
            "appointment_type": a.appointment_type, "urgency": a.urgency, "reason": a.reason,
            "cancel_reason": a.cancel_reason}


def _patient_for_booking(data) -> Patient:
    if current_user.role == Role.PATIENT:
        if data.get("patient_id") not in (None, getattr(own_patient(), "id", None)):
            fail(403, "Patients book for themselves only.", "forbidden")
        patient = own_patient()
    else:
        if current_user.role == Role.NURSE:
            fail(403, "Nurses do not book appointments.", "forbidden")
        if data.get("patient_id") is None:
            fail(422, "patient_id is required when staff book.", "invalid", {"patient_id": "Required."})
        patient = db.session.get(Patient, data["patient_id"])
    if patient is None:
        fail(422, "No such patient.", "invalid", {"patient_id": "Unknown patient."})
    return patient


def _hospital_choice(doctor: Doctor, requested: int | None) -> int | None:
    """Staff, doctors and hospital admins book only at their own hospitals."""
    if current_user.role == Role.PATIENT:
        return requested
    scope = visible_hospital_ids(current_user)
    if scope is None:
        return requested
    allowed = [h.id for h in doctor.hospitals if h.id in scope]
    if requested is not None:
        if requested not in allowed:
            abort(404)
        return requested
    if not allowed:
        abort(404)
    return allowed[0] if len(allowed) == 1 else None


@blp.route("/appointments", methods=["POST"])
@blp.arguments(AppointmentIn)
@blp.response(201, AppointmentOut)
def create(data):
    doctor = db.session.get(Doctor, data["doctor_id"])
    if doctor is None or not doctor.active:
        fail(422, "No such doctor.", "invalid", {"doctor_id": "Unknown doctor."})
    patient = _patient_for_booking(data)
    hospital_id = _hospital_choice(doctor, data.get("hospital_id"))
    zone = next((h.timezone for h in doctor.hospitals if h.id == hospital_id), doctor.hospitals[0].timezone)
    appointment = _apply(lambda: booking.book(
        current_user.id, patient, doctor, to_utc_naive(data["start"], zone),
        appointment_type=data.get("appointment_type"), urgency=data["urgency"], reason=data.get("reason"),
        hospital_id=hospital_id))
    return out(appointment)


def _apply(change):
    """Run one booking change: a refusal rolls back and answers with its status; success commits, then tells the
    pages watching those slots."""
    try:
        result = change()
    except core.SchedulingError as err:
        db.session.rollback()
        scheduling_error(err)
    db.session.commit()
    realtime.publish_slot_changes()
    return result


@blp.route("/appointments/<id:appointment_id>", methods=["GET"])
@blp.response(200, AppointmentOut)
def get(appointment_id: int):
    return out(visible_appointment(appointment_id))


@blp.route("/appointments", methods=["GET"])
@blp.arguments(AppointmentQuery, location="query")
@blp.response(200, AppointmentList)
def index(args):
    query = select(Appointment).order_by(Appointment.start)
    if current_user.role == Role.PATIENT:  # patients only ever list their own
        patient = own_patient()
        query = query.where(Appointment.patient_id == (patient.id if patient else -1))
    elif args.get("mine") and current_user.role == Role.DOCTOR:
        doctor = own_doctor()
        query = query.where(Appointment.doctor_id == (doctor.id if doctor else -1))
    else:
        scope = visible_hospital_ids(current_user)
        if scope is not None:
            query = query.where(Appointment.hospital_id.in_(scope))
    if args.get("doctor_id"):
        query = query.where(Appointment.doctor_id == args["doctor_id"])
    if args.get("status"):
        query = query.where(Appointment.status == args["status"])
    if args.get("date"):
        day = args["date"]
        rows = [a for a in db.session.scalars(query.where(
            Appointment.start >= _midnight(day) - timedelta(hours=14),
            Appointment.start < _midnight(day) + timedelta(hours=38)))
            if day_bounds(a.hospital, day)[0] <= a.start < day_bounds(a.hospital, day)[1]]
        return {"appointments": [out(a) for a in rows]}
    return {"appointments": [out(a) for a in db.session.scalars(query.limit(500))]}


def _midnight(day) -> datetime:
    return datetime.combine(day, time.min)


@blp.route("/appointments/<id:appointment_id>/cancel", methods=["POST"])
@blp.arguments(CancelIn)
@blp.response(200, AppointmentOut)
def cancel(data, appointment_id: int):
    appointment = visible_appointment(appointment_id)
    if current_user.role == Role.NURSE:
        fail(403, "Nurses do not cancel appointments.", "forbidden")
    _apply(lambda: booking.cancel(current_user.id, appointment, data["reason"]))
    return out(appointment)


@blp.route("/appointments/<id:appointment_id>/reschedule", methods=["POST"])
@blp.arguments(RescheduleIn)
@blp.response(200, AppointmentOut)
def reschedule(data, appointment_id: int):
    appointment = visible_appointment(appointment_id)
    if current_user.role == Role.NURSE:
        fail(403, "Nurses do not move appointments.", "forbidden")
    _apply(lambda: booking.reschedule(current_user.id, appointment,
                                      to_utc_naive(data["start"], appointment.hospital.timezone)))
    return out(appointment)
