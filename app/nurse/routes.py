"""The nurse station: the hospital's live queues, "Call next" per doctor, status steps and vitals per token."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import scheduling as core
from app.nurse import bp
from app.nurse.forms import STATUS_LABELS, VITAL_LABELS, ActionForm, StatusForm, VitalsForm
from app.scheduling.vitals import VITAL_RANGES
from app.services import queue as queue_service
from app.transaction import transaction
from app.web.queue_actions import hospital_in_view, run, scoped_entry
from app.web.words import error_text

NURSE_STEPS = {"waiting": ("called", "left", "no_show"), "called": ("in_progress", "waiting", "left", "no_show")}


def _station(hospital) -> dict:
    return {"hospital": hospital, "board": queue_service.hospital_board(hospital.id), "steps": NURSE_STEPS,
            "step_labels": STATUS_LABELS}


@bp.route("/")
@bp.route("/<int:hospital_id>")
def home(hospital_id: int | None = None):
    hospital, hospitals = hospital_in_view(hospital_id)
    return render_template("nurse/home.html", hospitals=hospitals, title=_("Nurse station"), **_station(hospital))


@bp.route("/<int:hospital_id>/board")
def board(hospital_id: int):
    hospital, _hospitals = hospital_in_view(hospital_id)
    return render_template("nurse/board.html", **_station(hospital))


@bp.route("/<int:hospital_id>/doctors/<int:doctor_id>/call-next", methods=["POST"])
def call_next(hospital_id: int, doctor_id: int):
    hospital, _hospitals = hospital_in_view(hospital_id)
    if ActionForm().validate_on_submit():
        entry, err = run(lambda: queue_service.call_next(current_user.id, hospital.id, doctor_id))
        if err is None:
            if entry is None:
                flash(_("Nobody is waiting for this doctor."), "info")
            else:
                flash(_("%(label)s is called.", label=entry.label), "success")
    return redirect(url_for("nurse.home", hospital_id=hospital.id))


@bp.route("/entries/<int:entry_id>/status", methods=["POST"])
def status(entry_id: int):
    entry = scoped_entry(entry_id)
    form = StatusForm()
    if form.validate_on_submit():
        run(lambda: queue_service.set_status(current_user.id, entry, form.status.data),
            _("%(label)s: %(step)s.", label=entry.label, step=STATUS_LABELS[form.status.data]))
    else:
        flash(_("Choose a valid step."), "danger")
    return redirect(url_for("nurse.home", hospital_id=entry.queue.hospital_id))


@bp.route("/entries/<int:entry_id>/vitals", methods=["GET", "POST"])
def vitals(entry_id: int):
    entry = scoped_entry(entry_id)
    if entry.encounter is None:
        abort(404)
    form = VitalsForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction():
                queue_service.record_vitals(current_user.id, entry, form.values())
        except core.SchedulingError as err:
            field = getattr(form, err.field, None) if err.field in VITAL_RANGES else None
            if field is not None:
                field.errors = [*field.errors, error_text(err)]
            else:
                form.form_errors.append(error_text(err))
            status = 422
        else:
            flash(_("Vitals of %(label)s are saved.", label=entry.label), "success")
            return redirect(url_for("nurse.home", hospital_id=entry.queue.hospital_id))
    elif form.is_submitted():
        status = 422
    return render_template("nurse/vitals.html", entry=entry, form=form, hospital=entry.queue.hospital,
                           history=entry.encounter.vitals, ranges=VITAL_RANGES, labels=VITAL_LABELS,
                           title=_("Vitals for %(label)s", label=entry.label)), status
