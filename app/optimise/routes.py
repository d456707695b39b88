"""Batch offers: run the optimiser over a window's free slots, see the proposal, send it in one transaction; and
the new times proposed for the appointments a doctor's leave falls on, sent to the patients in one transaction.

The proposal is computed on GET (nothing written) and carried to the apply step as a signed token; applying
re-checks every offer and refuses a stale proposal whole (app/services/waitlist/batch.py). Another hospital's
proposal, or a hospital outside the user's scope, answers 404.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import AvailabilityException, Doctor, Hospital, Patient
from app.models.base import utcnow
from app.optimise import bp
from app.optimise.forms import (
    AbsenceApplyForm,
    BatchApplyForm,
    BatchWindowForm,
    EmergencyApplyForm,
    EmergencyForm,
)
from app.services.access import visible_hospital_ids
from app.services.booking.lists import local_today
from app.services.directory import choices
from app.services.waitlist import absence, batch, emergency
from app.services.waitlist.policy import may_place_emergency, may_run_batch
from app.transaction import transaction
from app.web.words import error_text


def _hospital(hospital_id: int) -> Hospital:
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None or not may_run_batch(current_user, hospital_id):
        abort(404)
    return hospital


def _my_hospitals() -> list[Hospital]:
    scope = visible_hospital_ids(current_user)
    query = select(Hospital).order_by(Hospital.name)
    if scope is not None:
        query = query.where(Hospital.id.in_(scope))
    return list(db.session.scalars(query))


@bp.route("/offers")
def batch_offers():
    hospitals = _my_hospitals()
    form = BatchWindowForm(request.args)
    form.hospital.choices = [(h.id, h.name) for h in hospitals]
    proposal, status = None, 200
    if request.args:
        if form.validate():
            hospital = _hospital(form.hospital.data)
            try:
                proposal = batch.propose(hospital, form.first_day.data, form.last_day.data)
            except core.SchedulingError as err:
                form.last_day.errors = [*form.last_day.errors, error_text(err)]
                status = 422
        else:
            if form.hospital.errors and request.args.get("hospital", "").isdigit():
                abort(404)  # a hospital not offered to this user looks like none
            status = 422
    elif hospitals:
        today = local_today(hospitals[0])
        form.hospital.data, form.first_day.data, form.last_day.data = hospitals[0].id, today, today
    apply_form = BatchApplyForm(formdata=None)
    if proposal is not None:
        apply_form.hospital.data, apply_form.token.data = proposal.hospital.id, proposal.token
    return render_template("optimise/batch.html", form=form, proposal=proposal, apply_form=apply_form,
                           now=utcnow(), title=_("Batch offers")), status


@bp.route("/offers/apply", methods=["POST"])
def batch_apply():
    form = BatchApplyForm()
    if not form.validate_on_submit():
        abort(400)
    hospital = _hospital(form.hospital.data)
    try:
        with transaction():
            offers = batch.apply(current_user.id, hospital, form.token.data)
    except LookupError:
        abort(404)
    except core.SchedulingError as err:
        flash(error_text(err), "danger")
        return redirect(url_for("optimise.batch_offers"), 303)
    flash(_("%(count)s offers sent. Each slot is held for its patient; the first to accept gets it.",
            count=len(offers)), "success")
    return redirect(url_for("optimise.batch_offers"), 303)


def _absence(exception_id: int) -> AvailabilityException:
    """A doctor's leave at one of the user's hospitals; anything else is 404."""
    exception = db.session.get(AvailabilityException, exception_id)
    if exception is None or exception.available or not may_run_batch(current_user, exception.hospital_id) \
            or absence.absent_doctor(exception) is None:
        abort(404)
    return exception


@bp.route("/absence/<int:exception_id>")
def absence_proposal(exception_id: int):
    exception = _absence(exception_id)
    proposal = absence.propose(exception)
    form = AbsenceApplyForm(formdata=None)
    form.token.data = proposal.token
    return render_template("optimise/absence.html", proposal=proposal, form=form,
                           hospital=db.session.get(Hospital, exception.hospital_id), title=_("A doctor absent"))


@bp.route("/absence/<int:exception_id>/apply", methods=["POST"])
def absence_apply(exception_id: int):
    exception = _absence(exception_id)
    form = AbsenceApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with transaction():
            offers = absence.apply(current_user.id, exception, form.token.data)
    except LookupError:
        abort(404)
    except core.SchedulingError as err:
        flash(error_text(err), "danger")
        return redirect(url_for("optimise.absence_proposal", exception_id=exception.id), 303)
    flash(_("%(count)s patients have been sent their new time. Each appointment moves when its patient accepts.",
            count=len(offers)), "success")
    return redirect(url_for("optimise.absence_proposal", exception_id=exception.id), 303)


def _emergency_scope(hospital_id: int | None, patient_id: int | None) -> tuple[Hospital, Patient]:
    """The hospital and the patient of an emergency, when this user may place it there; anything else is 404."""
    hospital = db.session.get(Hospital, hospital_id) if hospital_id else None
    patient = db.session.get(Patient, patient_id) if patient_id else None
    if hospital is None or patient is None or not may_place_emergency(current_user, hospital.id, patient):
        abort(404)
    return hospital, patient


def _emergency_form(hospital: Hospital) -> EmergencyForm:
    form = EmergencyForm(request.args)
    form.specialty.choices = [(s, _(name)) for s, name in choices.specialties()]
    doctors = db.session.scalars(select(Doctor).where(Doctor.active, Doctor.hospitals.any(Hospital.id == hospital.id))
                                 .order_by(Doctor.id)).all()
    form.doctor.choices = [(0, _("Any doctor of the specialty"))] + sorted(
        ((d.id, d.name) for d in doctors), key=lambda c: c[1])
    return form


@bp.route("/emergency")
def emergency_page():
    """An emergency at the desk: where the optimiser would place it today, and whom it would displace."""
    hospital, patient = _emergency_scope(request.args.get("hospital", type=int),
                                         request.args.get("patient", type=int))
    form = _emergency_form(hospital)
    proposal, status = None, 200
    if request.args.get("specialty"):
        if form.validate():
            doctor_id = form.doctor.data or None
            if doctor_id and doctor_id not in {c[0] for c in form.doctor.choices}:
                abort(404)
            try:
                proposal = emergency.propose(hospital, patient, specialty_id=None if doctor_id else form.specialty.data,
                                             doctor_id=doctor_id)
            except core.SchedulingError as err:
                form.specialty.errors = [*form.specialty.errors, error_text(err)]
                status = 422
        else:
            status = 422
    apply_form = EmergencyApplyForm(formdata=None)
    if proposal is not None:
        apply_form.hospital.data, apply_form.patient.data = hospital.id, patient.id
        apply_form.token.data = proposal.token
    return render_template("optimise/emergency.html", form=form, hospital=hospital, patient=patient,
                           proposal=proposal, apply_form=apply_form, placed=None,
                           title=_("Emergency now")), status


@bp.route("/emergency/apply", methods=["POST"])
def emergency_apply():
    form = EmergencyApplyForm()
    if not form.validate_on_submit():
        abort(400)
    hospital, patient = _emergency_scope(form.hospital.data, form.patient.data)
    try:
        with transaction():
            placed = emergency.apply(current_user.id, hospital, patient, form.token.data, reason=form.reason.data)
            # what the desk is shown, read before the session closes
            shown = {"start": placed.appointment.start, "doctor": placed.appointment.doctor.name,
                     "offer_times": [(o.entry.patient.name, o.hold.start, o.hold.doctor.name) for o in placed.offers],
                     "displaced_rows": [(a.patient.name, a.start, a.urgency) for a in placed.displaced]}
    except LookupError:
        abort(404)
    except core.SchedulingError as err:
        flash(error_text(err), "danger")
        return redirect(url_for("optimise.emergency_page", hospital=hospital.id, patient=patient.id), 303)
    return render_template("optimise/emergency.html", form=None, hospital=hospital, patient=patient, proposal=None,
                           apply_form=None, placed=shown, title=_("Emergency placed"))
