"""The doctor's day list (issue #5): today's queue, "Call next", the current patient with past visits and vitals,
consult notes, "Complete", and a follow-up booked through app.services.booking like the desk's booking pages.
"""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.doctor import bp
from app.doctor.day_forms import NotesForm
from app.doctor.routes import current_doctor
from app.extensions import db
from app.models import AppointmentType, Hospital, QueueEntry
from app.nurse.forms import STATUS_LABELS, ActionForm, StatusForm
from app.scheduling.codes import EntryStatus
from app.services import queue as queue_service
from app.services import ratings
from app.services.availability.query import SearchError, SlotQuery
from app.services.availability.search import search_slots
from app.services.availability.views import local_today, slots_by_day
from app.transaction import transaction
from app.web.availability_editor import zone_label
from app.web.booking_forms import DateRangeForm, PickSlotForm, local_when, start_or_404
from app.web.queue_actions import hospital_in_view, run, scoped_entry
from app.web.words import error_text

FOLLOW_UP_DAYS = 14
FOLLOW_UP_TYPE = "follow_up"


def _my_entry(entry_id: int) -> QueueEntry:
    """One of this doctor's tokens at a hospital of theirs; any other answers 404."""
    entry = scoped_entry(entry_id)
    if entry.queue.doctor_id != current_doctor().id:
        abort(404)
    return entry


def _day(hospital: Hospital) -> dict:
    doctor = current_doctor()
    rows = queue_service.queue_for(hospital.id, doctor.id)
    current = next((r for r in rows if r.entry.status == EntryStatus.IN_PROGRESS), None) \
        or next((r for r in rows if r.entry.status == EntryStatus.CALLED), None)
    history, vitals = [], None
    if current is not None:
        encounter = current.entry.encounter
        history = queue_service.patient_history(current.entry.patient_id, exclude_entry_id=current.entry.id)
        vitals = encounter.vitals[-1] if encounter is not None and encounter.vitals else None
    # the doctors' feedback on those visits, where this doctor works (docs/ratings.md, "Doctor feedback")
    feedback = ratings.visible_feedback(current_user, [enc.entry.appointment_id for enc in history])
    return {"hospital": hospital, "doctor": doctor, "rows": rows, "current": current, "history": history,
            "feedback": feedback,
            "vitals": vitals, "step_labels": STATUS_LABELS, "today": local_today(hospital.timezone),
            "waiting": [r for r in rows if r.entry.status == EntryStatus.WAITING]}


def _notes_form(current) -> NotesForm:
    encounter = current.entry.encounter if current is not None else None
    return NotesForm(formdata=None, data={"notes": encounter.notes if encounter else ""})


def _back(hospital_id: int) -> str:
    return url_for("doctor.day", hospital_id=hospital_id)


@bp.route("/day")
@bp.route("/day/<int:hospital_id>")
def day(hospital_id: int | None = None):
    hospital, hospitals = hospital_in_view(hospital_id)
    context = _day(hospital)
    return render_template("doctor/day.html", hospitals=hospitals, notes=_notes_form(context["current"]),
                           title=_("Today's queue"), **context)


@bp.route("/day/<int:hospital_id>/list")
def day_list(hospital_id: int):
    hospital, _hospitals = hospital_in_view(hospital_id)
    return render_template("doctor/day_list.html", **_day(hospital))


@bp.route("/day/<int:hospital_id>/current")
def day_current(hospital_id: int):
    hospital, _hospitals = hospital_in_view(hospital_id)
    context = _day(hospital)
    return render_template("doctor/day_current.html", notes=_notes_form(context["current"]), **context)


@bp.route("/day/<int:hospital_id>/call-next", methods=["POST"])
def day_call_next(hospital_id: int):
    hospital, _hospitals = hospital_in_view(hospital_id)
    doctor = current_doctor()
    if ActionForm().validate_on_submit():
        entry, err = run(lambda: queue_service.call_next(current_user.id, hospital.id, doctor.id))
        if err is None:
            if entry is None:
                flash(_("Nobody is waiting."), "info")
            else:
                flash(_("%(label)s is called.", label=entry.label), "success")
    return redirect(_back(hospital.id))


@bp.route("/day/entries/<int:entry_id>/status", methods=["POST"])
def day_status(entry_id: int):
    entry = _my_entry(entry_id)
    form = StatusForm()
    if form.validate_on_submit():
        run(lambda: queue_service.set_status(current_user.id, entry, form.status.data),
            _("%(label)s: %(step)s.", label=entry.label, step=STATUS_LABELS[form.status.data]))
    return redirect(_back(entry.queue.hospital_id))


@bp.route("/day/entries/<int:entry_id>/notes", methods=["POST"])
def day_notes(entry_id: int):
    entry = _my_entry(entry_id)
    hospital_id = entry.queue.hospital_id
    form = NotesForm()
    if not form.validate_on_submit():
        flash(form.notes.errors[0] if form.notes.errors else _("The form has expired; try again."), "danger")
        return redirect(_back(hospital_id))
    completing = bool(form.complete.data)

    def save():
        queue_service.save_notes(current_user.id, entry, form.notes.data or "")
        if completing:
            queue_service.set_status(current_user.id, entry, "completed")

    run(save, _("%(label)s is completed.", label=entry.label) if completing else _("The notes are saved."))
    return redirect(_back(hospital_id))


def _follow_up_type(hospital: Hospital) -> str | None:
    found = db.session.scalar(select(AppointmentType.code).where(
        AppointmentType.hospital_id == hospital.id, AppointmentType.code == FOLLOW_UP_TYPE, AppointmentType.active))
    return found


@bp.route("/day/entries/<int:entry_id>/follow-up", methods=["GET", "POST"])
def day_follow_up(entry_id: int):
    """Free times of this doctor at this hospital; picking one books it with booking.book, as the desk does."""
    entry = _my_entry(entry_id)
    hospital, doctor, patient = entry.queue.hospital, current_doctor(), entry.patient
    type_code = _follow_up_type(hospital)
    today = local_today(hospital.timezone)
    dates = DateRangeForm(request.args, data={"first_day": today + timedelta(days=1),
                                              "last_day": today + timedelta(days=FOLLOW_UP_DAYS)})
    pick = PickSlotForm()
    error, status = None, 200
    if pick.validate_on_submit():
        try:
            with transaction():
                appointment = queue_service.book_follow_up(
                    current_user.id, entry, doctor, start_or_404(pick.start.data), appointment_type=type_code,
                    reason=_("Follow-up of %(label)s", label=entry.label))
        except core.SchedulingError as err:
            error, status = error_text(err), err.http_status
        else:
            flash(_("Follow-up booked for %(name)s on %(when)s.", name=patient.name,
                    when=local_when(appointment.start, hospital)), "success")
            return redirect(_back(hospital.id))
    elif pick.is_submitted():
        error, status = _("Choose a time."), 422
    days = []
    if dates.validate():
        try:
            days = slots_by_day(search_slots(SlotQuery(
                first_day=dates.first_day.data, last_day=dates.last_day.data, doctor_id=doctor.id,
                hospital_id=hospital.id, appointment_type=type_code, limit=300)), {hospital.id: hospital.timezone})
        except SearchError as err:
            dates.last_day.errors = [*dates.last_day.errors, error_text(err)]
            status = 422 if status == 200 else status
    elif request.args:
        status = 422 if status == 200 else status
    return render_template("doctor/day_follow_up.html", entry=entry, hospital=hospital, patient=patient, dates=dates,
                           days=days, error=error, tz=zone_label(hospital.timezone),
                           title=_("Book a follow-up")), status
