"""The front-desk queue (issue #5): today's board per doctor, walk-in tokens, check-in, moves with a reason.

Every POST runs one app.services.queue operation through queue_actions.run (commit once, announce after the
commit); a core refusal comes back as a field error (walk-in forms) or a flashed message (board buttons).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Department, Doctor, Hospital, Patient
from app.nurse.forms import ActionForm
from app.security import get_scoped_or_404
from app.services import queue as queue_service
from app.services.booking.lists import todays_appointments
from app.services.directory import choosable_doctor, patients
from app.services.directory.patients import search_patients
from app.services.directory.policy import may_see_patient, record_scope
from app.staff import bp
from app.staff.desk_forms import PRIORITY_LABELS, MoveForm, QuickWalkinForm, WalkinForm
from app.staff.forms import PatientSearchForm
from app.web.queue_actions import hospital_in_view, run, scoped_entry
from app.web.words import error_text


def _doctors(hospital: Hospital) -> list[Doctor]:
    return sorted((d for d in db.session.scalars(select(Doctor).where(
        choosable_doctor(), Doctor.hospitals.any(Hospital.id == hospital.id)))), key=lambda d: d.name)


def _departments(hospital: Hospital) -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.hospital_id == hospital.id,
                                                            Department.active).order_by(Department.name)))


def _token_forms(hospital: Hospital, walkin: WalkinForm | None = None, quick: QuickWalkinForm | None = None):
    walkin = walkin or WalkinForm(formdata=None)
    quick = quick or QuickWalkinForm(formdata=None, prefix="new")
    doctors, departments = _doctors(hospital), _departments(hospital)
    for form in (walkin, quick):
        form.set_choices(doctors, departments)
    return walkin, quick


def _board_context(hospital: Hospital) -> dict:
    return {"hospital": hospital, "board": queue_service.hospital_board(hospital.id),
            "priorities": PRIORITY_LABELS, "action": ActionForm(formdata=None)}


def _page(hospital: Hospital, hospitals: list[Hospital], walkin: WalkinForm, quick: QuickWalkinForm,
          status: int = 200):
    search = PatientSearchForm(request.args)
    found = (search_patients(search.q.data, record_scope(current_user))
             if request.args.get("q") and search.validate() else [])
    if walkin.patient.data and walkin.patient.data not in {p.id for p in found}:
        chosen = db.session.get(Patient, walkin.patient.data)
        found = ([chosen] if chosen and may_see_patient(current_user, chosen) else []) + found
    if len(found) == 1 and not walkin.patient.data:
        walkin.patient.data = found[0].id
    appointments = [a for a in todays_appointments([hospital]) if a.doctor_id is not None]
    return render_template("staff/desk.html", hospitals=hospitals, search=search, found=found,
                           searched=bool(request.args.get("q")), walkin=walkin, quick=quick,
                           appointments=appointments, title=_("Queue desk"), **_board_context(hospital)), status


@bp.route("/desk")
@bp.route("/desk/<int:hospital_id>")
def desk(hospital_id: int | None = None):
    hospital, hospitals = hospital_in_view(hospital_id)
    walkin, quick = _token_forms(hospital)
    return _page(hospital, hospitals, walkin, quick)


@bp.route("/desk/<int:hospital_id>/board")
def desk_board(hospital_id: int):
    """The board alone: the page fetches it again on every `queue.changed`."""
    hospital, _hospitals = hospital_in_view(hospital_id)
    return render_template("staff/desk_board.html", **_board_context(hospital))


def _issue(hospital: Hospital, form, patient: Callable[[], Patient], field):
    """Issue the token to the patient (found, or registered in the same transaction); a core refusal lands on the
    form field it names (else on the doctor field) and rolls a registration back too."""
    entry, err = run(lambda: queue_service.issue_walkin(
        current_user.id, hospital.id, patient(), doctor_id=form.doctor.data, department_id=form.department.data,
        priority=form.priority.data))
    if err is not None:
        target = getattr(form, err.field, None) if err.field else None
        target = target if target is not None and hasattr(target, "errors") else field
        target.errors = [*target.errors, error_text(err)]
    return entry


@bp.route("/desk/<int:hospital_id>/walkin", methods=["POST"])
def desk_walkin(hospital_id: int):
    hospital, hospitals = hospital_in_view(hospital_id)
    walkin, quick = _token_forms(hospital, walkin=WalkinForm())
    if walkin.validate_on_submit():
        patient = db.session.get(Patient, walkin.patient.data)
        if patient is None:
            walkin.patient.errors = [_("This patient no longer exists.")]
        else:
            entry = _issue(hospital, walkin, lambda: patient, walkin.doctor)
            if entry is not None:
                return redirect(url_for("staff.desk_slip", entry_id=entry.id))
    return _page(hospital, hospitals, walkin, quick, 422)


@bp.route("/desk/<int:hospital_id>/walkin/new", methods=["POST"])
def desk_walkin_new(hospital_id: int):
    hospital, hospitals = hospital_in_view(hospital_id)
    walkin, quick = _token_forms(hospital, quick=QuickWalkinForm(prefix="new"))
    if quick.validate_on_submit():
        entry = _issue(hospital, quick, lambda: patients.register_at_desk(
            current_user.id, hospital.id, quick.name.data, phone=quick.phone.data, birth_date=quick.birth_date.data),
            quick.doctor)
        if entry is not None:
            return redirect(url_for("staff.desk_slip", entry_id=entry.id))
    return _page(hospital, hospitals, walkin, quick, 422)


@bp.route("/desk/tokens/<int:entry_id>/slip")
def desk_slip(entry_id: int):
    entry = scoped_entry(entry_id)
    rows = queue_service.queue_for(entry.queue.hospital_id, entry.queue.doctor_id, entry.day)
    row = next((r for r in rows if r.entry.id == entry.id), None)
    return render_template("staff/desk_slip.html", entry=entry, row=row, hospital=entry.queue.hospital,
                           priorities=PRIORITY_LABELS, title=_("Token %(label)s", label=entry.label))


def _back(entry) -> str:
    return url_for("staff.desk", hospital_id=entry.queue.hospital_id)


@bp.route("/desk/appointments/<int:appointment_id>/check-in", methods=["POST"])
def desk_check_in(appointment_id: int):
    appointment = get_scoped_or_404(Appointment, appointment_id)
    back = url_for("staff.desk", hospital_id=appointment.hospital_id)
    if not ActionForm().validate_on_submit():
        return redirect(back)
    priority = request.form.get("priority") or None  # the desk's choice; none: the appointment's own urgency
    if priority is not None and priority not in PRIORITY_LABELS:
        flash(_("Choose a priority from the list."), "danger")
        return redirect(back)
    entry, _err = run(lambda: queue_service.check_in(current_user.id, appointment, priority=priority))
    if entry is None:
        return redirect(back)
    return redirect(url_for("staff.desk_slip", entry_id=entry.id))


@bp.route("/desk/entries/<int:entry_id>/move", methods=["POST"])
def desk_move(entry_id: int):
    entry = scoped_entry(entry_id)
    form = MoveForm()
    if not form.validate_on_submit():
        errors = form.reason.errors or form.direction.errors or [_("The form has expired; try again.")]
        flash(_("%(label)s was not moved: %(error)s", label=entry.label, error=errors[0]), "danger")
        return redirect(_back(entry))
    run(lambda: queue_service.move(current_user.id, entry, form.places(), form.reason.data.strip()),
        _("%(label)s moved %(dir)s.", label=entry.label, dir=_("up") if form.places() < 0 else _("down")))
    return redirect(_back(entry))


@bp.route("/desk/entries/<int:entry_id>/left", methods=["POST"])
def desk_left(entry_id: int):
    entry = scoped_entry(entry_id)
    if ActionForm().validate_on_submit():
        run(lambda: queue_service.set_status(current_user.id, entry, "left", comment="marked at the desk"),
            _("%(label)s is marked as left.", label=entry.label))
    return redirect(_back(entry))


@bp.route("/desk/entries/<int:entry_id>/priority", methods=["POST"])
def desk_priority(entry_id: int):
    """Staff set the tier a waiting token is served in (audited); docs/security.md, "Urgency"."""
    entry = scoped_entry(entry_id)
    if not queue_service.policy.may_set_priority(current_user, entry.queue.hospital_id):
        abort(404)
    priority = request.form.get("priority", "")
    if not ActionForm().validate_on_submit() or priority not in PRIORITY_LABELS:
        flash(_("%(label)s keeps its priority: choose one from the list.", label=entry.label), "danger")
        return redirect(_back(entry))
    run(lambda: queue_service.set_priority(current_user.id, entry, priority, reason="set at the desk"),
        _("%(label)s now has priority %(priority)s.", label=entry.label, priority=PRIORITY_LABELS[priority]))
    return redirect(_back(entry))
