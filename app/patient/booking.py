"""A patient books, cancels and moves their own appointments.

Each POST calls one app.services.booking operation and commits once, then announces the freed or taken slot
(app.realtime). A scheduling error is rolled back and shown as a friendly message with the nearest free times,
answered with the error's own status (409 when someone else was faster or the patient already holds that time).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Doctor, Hospital
from app.patient import bp
from app.patient.common import current_patient, own_appointment
from app.patient.forms import ConfirmBookingForm
from app.public.slot_board import doctor_board, load_doctors, load_hospitals, result_views
from app.scheduling.codes import Status
from app.services import booking
from app.services.availability.query import SlotQuery
from app.services.availability.search import search_slots
from app.services.availability.views import local_today, nearest_free_slots
from app.services.booking import policy as booking_policy
from app.services.payments import PaymentUnavailable, checkout
from app.services.payments import settings as payment_settings
from app.transaction import transaction
from app.web.booking_forms import CancelForm, PickSlotForm, follow_fees, start_or_404, submit_change
from app.web.words import error_text

ALTERNATIVE_DAYS = 14
ALTERNATIVE_RADIUS_KM = 50
RESCHEDULE_DAYS = 14


def _type_codes(hospital: Hospital) -> list[AppointmentType]:
    return list(db.session.scalars(select(AppointmentType).where(
        AppointmentType.hospital_id == hospital.id, AppointmentType.active).order_by(AppointmentType.name)))


def _friendly(err: core.SchedulingError) -> str:
    """The patient's words for what went wrong."""
    if isinstance(err, core.SlotTaken):
        return _("Sorry, someone else booked this time a moment ago. Here are the nearest free times.")
    if isinstance(err, core.PatientOverlap):
        return _("You already have an appointment at this time, so nothing was booked twice. "
                 "See My appointments, or choose another time.")
    if isinstance(err, core.DailyLimitReached):
        return _("This doctor's day is fully booked. Here are the nearest free times.")
    if isinstance(err, (core.InPast, core.TooShortNotice)):
        return _("This time can no longer be booked. Here are the nearest free times.")
    return _("This time cannot be booked: %(why)s Here are the nearest free times.", why=error_text(err))


def _alternatives(doctor: Doctor, hospital: Hospital, wanted: datetime, type_code: str | None,
                  urgency: str) -> dict:
    """The nearest free times of the same doctor, and the earliest of other doctors of the specialty nearby."""
    same = nearest_free_slots(doctor.id, hospital.id, hospital.timezone, wanted, type_code, count=6,
                              days=ALTERNATIVE_DAYS)
    first = max(core.local_day(wanted, ZoneInfo(hospital.timezone)), local_today(hospital.timezone))
    others = [r for r in search_slots(SlotQuery(
        first_day=first, last_day=first + timedelta(days=ALTERNATIVE_DAYS - 1), specialty_id=doctor.specialty_id,
        near=(hospital.lat, hospital.lon), radius_km=ALTERNATIVE_RADIUS_KM, urgency=urgency,
        appointment_type=type_code, limit=60)) if r.doctor_id != doctor.id][:6]
    results = same + others
    doctors = load_doctors({r.doctor_id for r in results})
    hospitals = load_hospitals({r.hospital_id for r in results})
    views = result_views(results, doctors, hospitals)
    return {"same": views[:len(same)], "others": views[len(same):], "doctors": doctors, "hospitals": hospitals}


def _still_free(doctor: Doctor, hospital: Hospital, start: datetime, type_code: str | None, urgency: str) -> bool:
    day = core.local_day(start, ZoneInfo(hospital.timezone))
    return any(r.start == start for r in search_slots(SlotQuery(
        first_day=day, last_day=day, doctor_id=doctor.id, hospital_id=hospital.id, appointment_type=type_code,
        urgency=urgency, limit=500)))


def _holds_already(patient_id: int, doctor_id: int, start: datetime) -> core.PatientOverlap | None:
    """A replayed confirm form finds the slot taken by the patient's own booking: say so, not "someone else"."""
    mine = db.session.scalar(select(Appointment.id).where(
        Appointment.patient_id == patient_id, Appointment.doctor_id == doctor_id, Appointment.start == start,
        Appointment.status.in_(core.ACTIVE)))
    return core.PatientOverlap("already yours", "start") if mine is not None else None


@bp.route("/book", methods=["GET", "POST"])
def book():
    doctor = db.session.get(Doctor, request.args.get("doctor", type=int) or 0)
    hospital_id = request.args.get("hospital", type=int)
    if doctor is None or not doctor.active:
        abort(404)
    hospital = next((h for h in doctor.hospitals if h.id == hospital_id and h.active), None)
    if hospital is None:
        abort(404)
    start = start_or_404(request.args.get("start"), hospital.timezone)
    types = _type_codes(hospital)
    codes = {t.code for t in types}
    form = ConfirmBookingForm()
    form.appointment_type.choices = [(t.code, _(t.name)) for t in types] or [("", _("Standard appointment"))]
    if not form.is_submitted():
        carried = request.args.get("type")
        form.appointment_type.data = carried if carried in codes else ("new" if "new" in codes else
                                                                       form.appointment_type.choices[0][0])
        form.urgency.data = "urgent" if request.args.get("urgency") == "urgent" else "routine"
    urgency = "urgent" if form.urgency.data == "urgent" else "routine"
    type_code = form.appointment_type.data if form.appointment_type.data in codes else None
    patient = current_patient()
    error, status = None, 200
    fees = {t.code: t.fee for t in types}  # what booking.book charges: the type's fee, else the doctor's own
    desk_offer = False
    if form.validate_on_submit():
        # a type the hospital wants paid first: the slot is held while the patient pays (docs/payments.md)
        pay_first = payment_settings.required_at_booking(hospital.id, type_code, fees.get(type_code, doctor.fee))
        desk_offer = pay_first and payment_settings.settings_of(hospital.id).desk_allowed
        pay_now = pay_first and not (desk_offer and request.form.get("pay_at_desk") == "1")
        reason = (form.reason.data or "").strip() or None
        try:
            with transaction():
                if pay_now:
                    payment = checkout.start_paid_booking(current_user.id, patient, doctor, start,
                                                          appointment_type=type_code, hospital_id=hospital.id,
                                                          reason=reason)
                else:
                    appointment = booking.book(current_user.id, patient, doctor, start, appointment_type=type_code,
                                               urgency=urgency, reason=reason, hospital_id=hospital.id,
                                               by_patient=True)
        except PaymentUnavailable:
            # nothing is held: the transaction that would have held the slot rolled back
            form.form_errors.append(_unavailable(desk_offer))
            status = 503
        except core.SchedulingError as err:
            error, status = _holds_already(patient.id, doctor.id, start) or err, err.http_status
        else:
            if pay_now:
                return redirect(url_for("patient.payment_page", payment_id=payment.id))
            flash(_("Your appointment is booked."), "success")
            return redirect(url_for("patient.appointment", appointment_id=appointment.id, booked=1))
    elif form.is_submitted():
        status = 422
    elif not _still_free(doctor, hospital, start, type_code, urgency):
        error, status = core.SlotTaken("taken"), 409
    alternatives = _alternatives(doctor, hospital, start, type_code, urgency) if error is not None else None
    local = core.to_local(start, ZoneInfo(hospital.timezone))
    follow_fees(form.appointment_type, hospital, fees)
    return render_template("patient/book.html", doctor=doctor, hospital=hospital, local=local, form=form,
                           error=_friendly(error) if error is not None else None, alternatives=alternatives,
                           fee=fees.get(type_code, doctor.fee), urgency=urgency, cutoff=hospital.cancel_cutoff_hours,
                           desk_offer=desk_offer and bool(form.form_errors),
                           title=_("Confirm your appointment")), status


def _unavailable(desk_offer: bool) -> str:
    if desk_offer:
        return _("Online payment is not available right now, and nothing was booked. Please try again in a few "
                 "minutes, or book now and pay at the desk.")
    return _("Online payment is not available right now, and nothing was booked. Please try again in a few minutes.")


# --- cancel and move ---

@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
def cancel(appointment_id: int):
    appointment = own_appointment(appointment_id)
    if not booking_policy.may_change_online(appointment):
        return _too_late(appointment)
    form = CancelForm()
    status = submit_change(form, lambda: booking.cancel(current_user.id, appointment, form.reason.data.strip(),
                                                                 by_patient=True))
    if status is None:
        flash(_("Your appointment is cancelled. The time is offered to other patients."), "success")
        return redirect(url_for("patient.home"))
    return render_template("patient/cancel.html", appointment=appointment, form=form,
                           cutoff=appointment.hospital.cancel_cutoff_hours, title=_("Cancel the appointment")), status


def _too_late(appointment: Appointment):
    if appointment.status != Status.SCHEDULED:
        message = _("This appointment is %(status)s and cannot be changed.",
                    status=_(appointment.status.replace("_", " ")))
    else:
        message = _("Appointments can be cancelled or moved online until %(hours)s hours before they start. "
                    "Please call the hospital.", hours=appointment.hospital.cancel_cutoff_hours)
    return render_template("patient/too_late.html", appointment=appointment, message=message,
                           title=_("Too late to change online")), 409


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
def reschedule(appointment_id: int):
    appointment = own_appointment(appointment_id)
    if not booking_policy.may_change_online(appointment):
        return _too_late(appointment)
    hospital, doctor = appointment.hospital, appointment.doctor
    pick = PickSlotForm()
    error, status = None, 200
    if pick.validate_on_submit():
        try:
            with transaction():
                booking.reschedule(current_user.id, appointment, start_or_404(pick.start.data, hospital.timezone),
                                   by_patient=True)
        except core.SchedulingError as err:
            error, status = _friendly(err), err.http_status
        else:
            flash(_("Your appointment is moved."), "success")
            return redirect(url_for("patient.appointment", appointment_id=appointment.id))
    elif pick.is_submitted():
        error, status = _("Choose a time."), 422
    db.session.refresh(appointment)
    type_code = appointment.appointment_type if appointment.appointment_type in {
        t.code for t in _type_codes(hospital)} else None
    days = doctor_board(doctor, hospital, local_today(hospital.timezone), RESCHEDULE_DAYS, type_code,
                        appointment.urgency)
    return render_template("patient/reschedule.html", appointment=appointment, days=days, error=error,
                           form=pick, board_days=RESCHEDULE_DAYS, title=_("Move the appointment")), status
