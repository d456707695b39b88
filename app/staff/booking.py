"""Booking at the front desk: find a free time for a patient, confirm it, cancel or move an appointment.

Each POST calls one app.services.booking operation and commits once; a core SchedulingError is rolled back and
shown with its own status (409 when the world changed, 422 when the request cannot be honoured) together with the
nearest free times, so the desk can offer another at once.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Doctor, Hospital, Patient, Specialty
from app.services import booking
from app.services.availability.query import SearchError, SlotQuery
from app.services.availability.search import search_slots
from app.services.availability.views import local_today, nearest_free_slots, slots_by_day
from app.services.directory import choosable_doctor
from app.services.directory.policy import may_act_for_patient
from app.staff import bp
from app.staff.forms import BookForm, SlotSearchForm, StaffCancelForm
from app.staff.waitlist import after_cancel_url
from app.transaction import transaction
from app.web.availability_editor import zone_label
from app.web.booking_forms import (
    DateRangeForm,
    PickSlotForm,
    follow_fees,
    local_when,
    start_or_404,
    submit_change,
)
from app.web.words import error_text

SEARCH_DAYS = 14
SEARCH_FIELDS = {"to": "last_day", "from": "first_day", "specialty": "specialty"}


def desk_hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).where(Hospital.id.in_(current_user.hospital_ids),
                                                          Hospital.active).order_by(Hospital.name)))


def desk_doctors(specialty_id: int | None = None) -> list[Doctor]:
    """Active doctors working at one of the desk's hospitals."""
    query = (select(Doctor).where(choosable_doctor(), Doctor.hospitals.any(Hospital.id.in_(current_user.hospital_ids)))
             .options(selectinload(Doctor.user), selectinload(Doctor.specialty), selectinload(Doctor.hospitals)))
    if specialty_id is not None:
        query = query.where(Doctor.specialty_id == specialty_id)
    return sorted(db.session.scalars(query), key=lambda d: d.name)


def desk_patient(patient_id: int) -> Patient:
    """A patient of the desk's hospitals, or one it found by the audited exact lookup; anybody else is 404
    (docs/security.md, "Patients at the desk")."""
    patient = db.session.get(Patient, patient_id)
    if patient is None or not may_act_for_patient(current_user, patient):
        abort(404)
    return patient


def _appointment(appointment_id: int) -> Appointment:
    """An appointment at one of the desk's hospitals; any other looks like one that does not exist."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.hospital_id not in current_user.hospital_ids:
        abort(404)
    return appointment


def hospital_types(hospital: Hospital) -> list[AppointmentType]:
    return list(db.session.scalars(select(AppointmentType).where(
        AppointmentType.hospital_id == hospital.id, AppointmentType.active).order_by(AppointmentType.name)))


def _type_choices(hospital: Hospital) -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in hospital_types(hospital)]


def _back_to(appointment: Appointment) -> str:
    if appointment.patient_id is None:
        return url_for("staff.home")
    return url_for("staff.patient", patient_id=appointment.patient_id)


# --- book ---

@bp.route("/patients/<int:patient_id>/book")
def book_search(patient_id: int):
    patient = desk_patient(patient_id)
    hospitals = desk_hospitals()
    today = local_today(hospitals[0].timezone) if hospitals else datetime.now(UTC).date()
    form = SlotSearchForm(request.args, data={"first_day": today, "last_day": today + timedelta(days=SEARCH_DAYS - 1)})
    specialties = db.session.scalars(select(Specialty).where(Specialty.active).order_by(Specialty.name))
    form.specialty.choices = [("", _("Any specialty"))] + [(s.id, _(s.name)) for s in specialties]
    doctors = desk_doctors(form.specialty.data if form.specialty.data else None)
    form.doctor.choices = [("", _("Any doctor of the specialty"))] + [
        (d.id, f"{d.name} · {_(d.specialty.name)}") for d in doctors]
    if form.doctor.data is not None and form.doctor.data not in {d.id for d in doctors}:
        form.doctor.data = None  # the specialty changed under the chosen doctor: search the whole specialty
    types = {code: name for h in hospitals for code, name in _type_choices(h)}
    form.appointment_type.choices = [("", _("Any type"))] + sorted(types.items(), key=lambda item: item[1])
    searched = bool(request.args)
    days, status = [], 200
    if searched:
        if form.validate():
            try:
                days = slots_by_day(_search(form, hospitals), {h.id: h.timezone for h in hospitals})
            except SearchError as err:
                field = getattr(form, SEARCH_FIELDS.get(err.field, "last_day"))
                field.errors = [*field.errors, error_text(err)]
                status = 422
        else:
            status = 422
    names = {d.id: d.name for d in doctors}
    return render_template("staff/book_search.html", patient=patient, form=form, days=days, searched=searched,
                           doctor_names=names, hospitals={h.id: h for h in hospitals},
                           zones=sorted({zone_label(h.timezone) for h in hospitals}),
                           title=_("Book an appointment")), status


def _search(form: SlotSearchForm, hospitals: list[Hospital]):
    """Free slots at each of the desk's hospitals (a doctor elsewhere is not the desk's to book)."""
    doctor_id = form.doctor.data
    doctor = db.session.get(Doctor, doctor_id) if doctor_id else None
    results = []
    for hospital in hospitals:
        if doctor is not None and hospital not in doctor.hospitals:
            continue
        results += search_slots(SlotQuery(
            first_day=form.first_day.data, last_day=form.last_day.data, hospital_id=hospital.id,
            doctor_id=doctor_id, specialty_id=None if doctor_id else form.specialty.data,
            appointment_type=form.appointment_type.data or None, limit=500))
    return results


@bp.route("/patients/<int:patient_id>/book/confirm", methods=["GET", "POST"])
def book_confirm(patient_id: int):
    patient = desk_patient(patient_id)
    doctor = db.session.get(Doctor, request.args.get("doctor", type=int) or 0)
    hospital_id = request.args.get("hospital", type=int)
    if doctor is None or hospital_id not in current_user.hospital_ids \
            or hospital_id not in {h.id for h in doctor.hospitals}:
        abort(404)
    hospital = db.session.get(Hospital, hospital_id)
    start = start_or_404(request.args.get("start"))
    form = BookForm()
    types = hospital_types(hospital)
    choices = [(t.code, t.name) for t in types]
    form.appointment_type.choices = choices or [("", _("Standard appointment"))]
    if not form.is_submitted() and request.args.get("type") in {code for code, _name in choices}:
        form.appointment_type.data = request.args["type"]
    elif not form.is_submitted() and choices:
        form.appointment_type.data = choices[0][0]  # what the select shows first, so the fee shown is its fee
    error, alternatives, status = None, [], 200
    if form.validate_on_submit():
        try:
            with transaction():
                booking.book(current_user.id, patient, doctor, start,
                             appointment_type=form.appointment_type.data or None,
                             reason=(form.reason.data or "").strip() or None, hospital_id=hospital.id)
        except core.SchedulingError as err:
            error, status = error_text(err), err.http_status
            alternatives = nearest_free_slots(doctor.id, hospital.id, hospital.timezone, start,
                                              form.appointment_type.data or None)
        else:
            flash(_("%(patient)s is booked with %(doctor)s on %(when)s.", patient=patient.name, doctor=doctor.name,
                    when=local_when(start, hospital)), "success")
            return redirect(url_for("staff.patient", patient_id=patient.id))
    elif form.is_submitted():
        status = 422
    fees = {t.code: t.fee for t in types}  # what booking.book charges: the type's fee, else the doctor's own
    follow_fees(form.appointment_type, hospital, fees)
    return render_template("staff/book_confirm.html", patient=patient, doctor=doctor, hospital=hospital, start=start,
                           form=form, error=error, fee=fees.get(form.appointment_type.data, doctor.fee),
                           alternatives=slots_by_day(alternatives, {hospital.id: hospital.timezone}),
                           tz=zone_label(hospital.timezone), title=_("Confirm the appointment")), status


# --- cancel and reschedule ---

@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
def cancel_appointment(appointment_id: int):
    appointment = _appointment(appointment_id)
    form = StaffCancelForm()
    status = submit_change(form, lambda: booking.cancel(current_user.id, appointment, form.reason.data.strip()))
    if status is None:
        candidates = after_cancel_url(appointment)  # issue #7: who on the waitlist could take the time
        if candidates:
            flash(_("The appointment is cancelled. Waiting patients who could take this time are below."), "success")
            return redirect(candidates)
        flash(_("The appointment is cancelled."), "success")
        return redirect(_back_to(appointment))
    return render_template("staff/cancel.html", appointment=appointment, form=form,
                           title=_("Cancel the appointment")), status


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
def reschedule_appointment(appointment_id: int):
    appointment = _appointment(appointment_id)
    hospital = appointment.hospital
    today = local_today(hospital.timezone)
    dates = DateRangeForm(request.args, data={"first_day": today,
                                              "last_day": today + timedelta(days=SEARCH_DAYS - 1)})
    pick = PickSlotForm()
    error, status = None, 200
    if pick.validate_on_submit():
        try:
            with transaction():
                booking.reschedule(current_user.id, appointment, start_or_404(pick.start.data))
        except core.SchedulingError as err:
            error, status = error_text(err), err.http_status
        else:
            flash(_("The appointment is moved to %(when)s.", when=local_when(appointment.start, hospital)), "success")
            return redirect(_back_to(appointment))
    elif pick.is_submitted():
        error, status = _("Choose a time."), 422
    days = []
    if dates.validate():
        offered = {code for code, _name in _type_choices(hospital)}
        try:
            days = slots_by_day(search_slots(SlotQuery(
                first_day=dates.first_day.data, last_day=dates.last_day.data, doctor_id=appointment.doctor_id,
                hospital_id=hospital.id, limit=500,
                appointment_type=appointment.appointment_type if appointment.appointment_type in offered else None)),
                {hospital.id: hospital.timezone})
        except SearchError as err:
            dates.last_day.errors = [*dates.last_day.errors, error_text(err)]
            status = 422 if status == 200 else status
    elif request.args:
        status = 422 if status == 200 else status
    return render_template("staff/reschedule.html", appointment=appointment, dates=dates, days=days, error=error,
                           tz=zone_label(hospital.timezone), title=_("Move the appointment")), status
