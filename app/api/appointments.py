"""Appointments: book, read, list, cancel, reschedule, confirm."""
from datetime import datetime, time, timedelta

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import scheduling as core
from app.api.common import (
    fail,
    iso,
    scheduling_error,
    to_utc_naive,
    visible_appointment,
)
from app.api.schemas import AppointmentIn, AppointmentList, AppointmentOut, AppointmentQuery, CancelIn, RescheduleIn
from app.extensions import db
from app.models import Appointment, Doctor, Patient
from app.services import booking
from app.services.booking import policy
from app.services.booking.lists import day_bounds
from app.services.payments import settings as payment_settings
from app.transaction import transaction

blp = Blueprint("api_appointments", __name__, description="Appointments")


def out(a: Appointment) -> dict:
    tz = a.hospital.timezone
    return {"id": a.id, "status": a.status, "start": iso(a.start, tz), "end": iso(a.end, tz),
            "doctor_id": a.doctor_id, "patient_id": a.patient_id, "hospital_id": a.hospital_id,
            "appointment_type": a.appointment_type, "urgency": a.urgency,
            "urgency_by_patient": a.urgency_by_patient, "reason": a.reason,
            "cancel_reason": a.cancel_reason, "fee": None if a.fee is None else f"{a.fee:.2f}",
            "currency": a.currency, "confirmed": a.attendance_answer == booking.CONFIRMED}


def _patient_for_booking(data) -> Patient:
    if policy.is_patient(current_user):
        patient = policy.own_patient(current_user)
        if data.get("patient_id") not in (None, getattr(patient, "id", None)):
            fail(403, "Patients book for themselves only.", "forbidden")
    else:
        if data.get("patient_id") is None:
            fail(422, "patient_id is required when staff book.", "invalid", {"patient_id": "Required."})
        patient = db.session.get(Patient, data["patient_id"])
    if patient is None:
        fail(422, "No such patient.", "invalid", {"patient_id": "Unknown patient."})
    if not policy.may_book_for(current_user, patient):
        fail(403, "Nurses do not book appointments.", "forbidden")
    return patient


def _hospital_choice(doctor: Doctor, requested: int | None) -> int | None:
    """The hospital to book at: patients may ask for any; staff, doctors and hospital admins only their own."""
    allowed = policy.bookable_hospital_ids(current_user, doctor)
    if allowed is None:
        return requested
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
    # with the hospitals the booking places at, in the same statement
    doctor = db.session.get(Doctor, data["doctor_id"], options=[joinedload(Doctor.hospitals)])
    if doctor is None or not doctor.active:
        fail(422, "No such doctor.", "invalid", {"doctor_id": "Unknown doctor."})
    patient = _patient_for_booking(data)
    hospital_id = _hospital_choice(doctor, data.get("hospital_id"))
    zone = next((h.timezone for h in doctor.hospitals if h.id == hospital_id), doctor.hospitals[0].timezone)

    def book():
        made = booking.book(
            current_user.id, patient, doctor, to_utc_naive(data["start"], zone),
            appointment_type=data.get("appointment_type"), urgency=data["urgency"], reason=data.get("reason"),
            hospital_id=hospital_id, by_patient=not policy.may_set_urgency(current_user))
        if policy.is_patient(current_user):  # a refusal here rolls the booking back with the transaction
            payment_settings.check_unpaid_booking(made.hospital_id, data.get("appointment_type"), doctor)
        return out(made)  # before the commit, which would expire the rows the answer is made of

    return _apply(book)


def _apply(change):
    """Run one booking change: a refusal rolls back and answers with its status; success commits, then tells the
    pages watching those slots."""
    try:
        with transaction():
            result = change()
    except core.SchedulingError as err:
        scheduling_error(err)
    return result


@blp.route("/appointments/<id:appointment_id>", methods=["GET"])
@blp.response(200, AppointmentOut)
def get(appointment_id: int):
    return out(visible_appointment(appointment_id))


@blp.route("/appointments", methods=["GET"])
@blp.arguments(AppointmentQuery, location="query")
@blp.response(200, AppointmentList)
def index(args):
    query = policy.visible_appointments(current_user, select(Appointment).order_by(Appointment.start),
                                        mine=bool(args.get("mine")))
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
    if not policy.may_change(current_user, appointment):
        fail(403, "Nurses do not cancel appointments.", "forbidden")
    _apply(lambda: booking.cancel(current_user.id, appointment, data["reason"],
                                  by_patient=policy.is_patient(current_user)))
    return out(appointment)


@blp.route("/appointments/<id:appointment_id>/confirm", methods=["POST"])
@blp.response(200, AppointmentOut)
def confirm(appointment_id: int):
    """The patient confirms they are coming, as with a reminder's confirm link (docs/operations.md, "Reminders").
    409 when it is confirmed already, cancelled or past."""
    appointment = visible_appointment(appointment_id)
    if not policy.may_confirm(current_user, appointment):
        fail(403, "Only the patient confirms their appointment.", "forbidden")
    _apply(lambda: booking.answer_attendance(appointment, booking.CONFIRMED, actor_id=current_user.id, via="API"))
    return out(appointment)


@blp.route("/appointments/<id:appointment_id>/reschedule", methods=["POST"])
@blp.arguments(RescheduleIn)
@blp.response(200, AppointmentOut)
def reschedule(data, appointment_id: int):
    appointment = visible_appointment(appointment_id)
    if not policy.may_change(current_user, appointment):
        fail(403, "Nurses do not move appointments.", "forbidden")
    _apply(lambda: booking.reschedule(current_user.id, appointment,
                                      to_utc_naive(data["start"], appointment.hospital.timezone),
                                      by_patient=policy.is_patient(current_user)))
    return out(appointment)
