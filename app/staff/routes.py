"""The front desk: patients, and the doctors of the desk's hospitals (their availability, edited for them)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.admin import bp as admin_bp
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Patient
from app.models.base import utcnow
from app.services.access import visible_hospital_ids
from app.services.booking import overbooked_ids
from app.services.booking.lists import todays_appointments
from app.services.directory import patients as patient_records
from app.services.directory.patients import search_patients
from app.services.directory.policy import may_see_patient, record_scope
from app.staff import bp
from app.staff.booking import desk_doctors  # the booking pages register on bp when this module loads
from app.staff.forms import ElsewhereLookupForm, PatientSearchForm, QuickPatientForm
from app.transaction import transaction
from app.web import availability_editor as views
from app.web.words import error_text


def my_hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).where(Hospital.id.in_(current_user.hospital_ids))
                                   .order_by(Hospital.name)))


@bp.route("/")
def home():
    hospitals = my_hospitals()
    appointments = todays_appointments(hospitals)
    overbooked = overbooked_ids([a.id for a in appointments])  # staff see the extra bookings; patients do not
    return render_template("staff/home.html", hospitals=hospitals, appointments=appointments,
                           overbooked=overbooked, form=PatientSearchForm(), title=_("Front desk"))


def _patients_page(form=None, results=(), searched=False, new_form=None, lookup=None, cards=None,
                   status: int = 200):
    return render_template("staff/patients.html", form=form or PatientSearchForm(formdata=None), results=results,
                           searched=searched, new_form=new_form or QuickPatientForm(formdata=None),
                           lookup=lookup or ElsewhereLookupForm(formdata=None), cards=cards,
                           title=_("Patients")), status


@bp.route("/patients")
def patients():
    """The desk's own patients (tied to its hospitals) with full records; docs/security.md."""
    form = PatientSearchForm(request.args)
    results = (search_patients(form.q.data, record_scope(current_user))
               if request.args and form.validate() else [])
    return _patients_page(form, results, bool(request.args))


@bp.route("/patients/lookup", methods=["POST"])
def lookup_patient():
    """A patient of another hospital: exact name (or phone) and date of birth, a reason; a minimal card; audited."""
    lookup = ElsewhereLookupForm()
    if not lookup.validate_on_submit():
        return _patients_page(lookup=lookup, status=422)
    hospital_ids = sorted(current_user.hospital_ids)
    try:
        with transaction():
            cards = patient_records.lookup_elsewhere(
                current_user.id, hospital_ids[0] if hospital_ids else None, birth_date=lookup.birth_date.data,
                name=lookup.name.data, phone=lookup.phone.data, reason=lookup.reason.data,
                hospital_ids=record_scope(current_user))
    except patient_records.PatientLookupError as err:
        field = getattr(lookup, err.field or "name")
        field.errors = [*field.errors, error_text(err)]
        return _patients_page(lookup=lookup, status=422)
    return _patients_page(lookup=lookup, cards=cards)


@bp.route("/patients/new", methods=["POST"])
def new_patient():
    form = QuickPatientForm()
    if not form.validate_on_submit():
        return _patients_page(new_form=form, status=422)
    hospital_ids = sorted(current_user.hospital_ids)
    with transaction():
        patient = patient_records.register_at_desk(current_user.id, hospital_ids[0] if hospital_ids else None,
                                            form.name.data, phone=form.phone.data, birth_date=form.birth_date.data)
    flash(f"{patient.name} is registered.", "success")
    return redirect(url_for("staff.patient", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>")
def patient(patient_id: int):
    patient = db.session.get(Patient, patient_id)
    if patient is None or not may_see_patient(current_user, patient):
        abort(404)  # another hospital's patient looks like one that does not exist (docs/security.md)
    hospital_ids = sorted(current_user.hospital_ids)
    with transaction():
        patient_records.record_viewed(current_user.id, patient, hospital_ids[0] if hospital_ids else None)
    # the desk sees the patient's appointments at its own hospitals only
    appointments = db.session.scalars(
        select(Appointment).where(Appointment.patient_id == patient.id,
                                  Appointment.hospital_id.in_(current_user.hospital_ids))
        .options(joinedload(Appointment.doctor).joinedload(Doctor.user), joinedload(Appointment.hospital))
        .order_by(Appointment.start.desc())).all()
    return render_template("staff/patient.html", patient=patient, appointments=appointments, now=utcnow(),
                           title=patient.name)


# --- doctors of the desk's hospitals and their availability ---

@bp.route("/doctors")
def doctors():
    return render_template("staff/doctors.html", doctors=desk_doctors(), title=_("Doctors"))


def _doctor_or_404(doctor_id: int) -> Doctor:
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None:
        abort(404)
    return doctor


def desk_editor(doctor_id: int) -> views.Editor:
    """Staff edit a doctor's hours at the hospitals they share; a doctor of another hospital answers 404."""
    doctor = _doctor_or_404(doctor_id)
    return views.Editor(doctor, views.editable_hospitals(doctor, current_user.hospital_ids), "staff.doctor_",
                        {"doctor_id": doctor.id}, back="staff.doctors")


def admin_editor(doctor_id: int) -> views.Editor:
    doctor = _doctor_or_404(doctor_id)
    return views.Editor(doctor, views.editable_hospitals(doctor, visible_hospital_ids(current_user)),
                        "admin.doctor_", {"doctor_id": doctor.id}, back="admin.doctors")


views.add_routes(bp, "/doctors/<int:doctor_id>/availability", "doctor_", desk_editor)
# Admins act for a doctor through the same editor at /admin/doctors/<id>/availability, behind the admin
# blueprint's role check. The lines live here only because app/admin is edited elsewhere; moving this call into
# app/admin/people.py changes nothing.
views.add_routes(admin_bp, "/doctors/<int:doctor_id>/availability", "doctor_", admin_editor)
