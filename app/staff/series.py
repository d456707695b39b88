"""Recurring series at the front desk (docs/series.md): the rule, a preview of every date, one confirmation that
books them all or none, and the series page with each occurrence's cancel and move and "cancel the rest"."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Doctor, Hospital, Series, Specialty
from app.models.base import utcnow
from app.scheduling import series as rules
from app.services.availability.views import local_today
from app.services.booking import policy
from app.services.booking import series as series_service
from app.staff import bp
from app.staff.booking import desk_doctors, desk_hospitals, desk_patient, hospital_types
from app.staff.series_forms import CancelRestForm, ConfirmSeriesForm, SeriesForm
from app.transaction import transaction
from app.web.booking_forms import local_when
from app.web.words import error_text

REASONS = {rules.NO_FREE_TIME: "No free time in the window on this date.",
           rules.PATIENT_BUSY: "The patient already has an appointment at every free time in the window."}


def reason_text(code: str | None) -> str:
    return _(REASONS[code]) if code in REASONS else ""


def _form(hospitals: list[Hospital]) -> SeriesForm:
    today = local_today(hospitals[0].timezone) if hospitals else utcnow().date()
    form = SeriesForm(request.args, data={"first_day": today + timedelta(days=1), "every": 1, "unit": "weeks",
                                          "count": 6})
    form.hospital.choices = [(h.id, h.name) for h in hospitals]
    specialties = db.session.scalars(select(Specialty).where(Specialty.active).order_by(Specialty.name))
    form.specialty.choices = [("", _("Any specialty"))] + [(s.id, _(s.name)) for s in specialties]
    doctors = desk_doctors(form.specialty.data if form.specialty.data else None)
    form.doctor.choices = [("", _("Any doctor of the specialty"))] + [
        (d.id, f"{d.name} · {_(d.specialty.name)}") for d in doctors]
    if form.doctor.data is not None and form.doctor.data not in {d.id for d in doctors}:
        form.doctor.data = None
    types = {t.code: t.name for h in hospitals for t in hospital_types(h)}
    form.appointment_type.choices = [("", _("Standard appointment"))] + sorted(types.items(), key=lambda i: i[1])
    return form


def _request(form: SeriesForm, patient) -> series_service.SeriesRequest:
    hospital = db.session.get(Hospital, form.hospital.data)
    if hospital is None or not policy.may_book_series(current_user, hospital.id):
        abort(404)
    rule = rules.Recurrence(first_day=form.first_day.data, every=form.every.data, unit=form.unit.data,
                            window_start=form.window_start.data, window_end=form.window_end.data,
                            count=form.count.data, until=form.until.data)
    return series_service.SeriesRequest(patient, hospital, rule, doctor_id=form.doctor.data,
                                        specialty_id=None if form.doctor.data else form.specialty.data,
                                        appointment_type=form.appointment_type.data or None)


def _rows(occurrences: list[rules.Occurrence], hospital: Hospital) -> list[dict]:
    names = {d.id: d.name for d in db.session.scalars(select(Doctor).where(
        Doctor.id.in_({o.doctor_id for o in occurrences if o.doctor_id})))}
    return [{"day": o.day, "when": local_when(o.start, hospital) if o.placed else None,
             "doctor": names.get(o.doctor_id), "reason": reason_text(o.reason)} for o in occurrences]


def _field_error(form: SeriesForm, err: core.SchedulingError) -> None:
    field = {"doctor_id": "doctor", "specialty_id": "specialty"}.get(err.field, err.field)
    target = getattr(form, field or "", None)
    target = target if hasattr(target, "errors") and field not in ("submit", "series") else form.count
    target.errors = [*target.errors, error_text(err)]


@bp.route("/patients/<int:patient_id>/series", methods=["GET", "POST"])
def series_new(patient_id: int):
    """GET with a rule: the preview; POST: book the previewed series (all placeable dates, or nothing)."""
    patient = desk_patient(patient_id)
    hospitals = [h for h in desk_hospitals() if policy.may_book_series(current_user, h.id)]
    if not hospitals:
        abort(404)
    form = _form(hospitals)
    confirm = ConfirmSeriesForm()
    occurrences, hospital, error, status = [], None, None, 200
    if request.args:
        if form.validate():
            series_request = _request(form, patient)
            hospital = series_request.hospital
            if request.method == "POST" and confirm.validate_on_submit():
                try:
                    with transaction():
                        made, _occurrences = series_service.book(current_user.id, series_request,
                                                                 expected=confirm.preview.data)
                except core.SchedulingError as err:
                    error, status = error_text(err), err.http_status
                else:
                    booked = series_service.occurrences_of(made)
                    flash(_("The series is booked: %(n)s appointments.", n=len(booked)), "success")
                    return redirect(url_for("staff.series_view", series_id=made.id))
            elif request.method == "POST":
                error, status = _("The form has expired; try again."), 422
            try:
                occurrences = series_service.preview(series_request)
            except core.SchedulingError as err:
                _field_error(form, err)
                occurrences, status = [], err.http_status if status == 200 else status
            confirm = ConfirmSeriesForm(formdata=None, data={"preview": series_service.fingerprint(occurrences)})
        else:
            status = 422
    placed = sum(1 for o in occurrences if o.placed)
    return render_template("staff/series_new.html", patient=patient, form=form, confirm=confirm,
                           rows=_rows(occurrences, hospital) if hospital else [], placed=placed,
                           error=error, hospital=hospital, title=_("Book a series")), status


def _series(series_id: int) -> Series:
    """A series of one of the desk's hospitals; any other looks like one that does not exist."""
    series = db.session.get(Series, series_id)
    if series is None or not policy.may_manage_series(current_user, series):
        abort(404)
    return series


@bp.route("/series/<int:series_id>")
def series_view(series_id: int):
    series = _series(series_id)
    return render_template("staff/series.html", series=series, appointments=series_service.occurrences_of(series),
                           form=CancelRestForm(formdata=None), now=utcnow(), title=_("Series"))


@bp.route("/series/<int:series_id>/cancel-rest", methods=["POST"])
def series_cancel_rest(series_id: int):
    series = _series(series_id)
    form = CancelRestForm()
    if form.validate_on_submit():
        try:
            with transaction():
                cancelled = series_service.cancel_rest(current_user.id, series, form.reason.data.strip())
        except core.SchedulingError as err:
            flash(error_text(err), "danger")
        else:
            flash(_("%(n)s appointments of the series are cancelled.", n=len(cancelled)), "success")
            return redirect(url_for("staff.series_view", series_id=series.id))
    return render_template("staff/series.html", series=series, appointments=series_service.occurrences_of(series),
                           form=form, now=utcnow(), title=_("Series")), 422
