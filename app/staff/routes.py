"""The front desk."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Patient
from app.services import audit
from app.services.dashboards import search_patients, todays_appointments
from app.staff import bp
from app.staff.forms import PatientSearchForm, QuickPatientForm


def my_hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).where(Hospital.id.in_(current_user.hospital_ids))
                                   .order_by(Hospital.name)))


@bp.route("/")
def home():
    hospitals = my_hospitals()
    appointments = todays_appointments(hospitals)
    return render_template("staff/home.html", hospitals=hospitals, appointments=appointments,
                           form=PatientSearchForm(), title="Front desk")


@bp.route("/patients")
def patients():
    form = PatientSearchForm(request.args)
    results = search_patients(form.q.data) if request.args and form.validate() else []
    return render_template("staff/patients.html", form=form, results=results, searched=bool(request.args),
                           new_form=QuickPatientForm(), title="Patients")


@bp.route("/patients/new", methods=["POST"])
def new_patient():
    form = QuickPatientForm()
    if not form.validate_on_submit():
        return render_template("staff/patients.html", form=PatientSearchForm(), results=[], searched=False,
                               new_form=form, title="Patients"), 422
    patient = Patient(name=form.name.data.strip(), phone=form.phone.data, birth_date=form.birth_date.data)
    db.session.add(patient)
    db.session.flush()
    hospital_ids = sorted(current_user.hospital_ids)
    audit.record(current_user.id, "patient.register_at_desk", "patient", patient.id,
                 hospital_id=hospital_ids[0] if hospital_ids else None,
                 after=audit.snapshot(patient, ("name", "phone", "birth_date")))
    db.session.commit()
    flash(f"{patient.name} is registered.", "success")
    return redirect(url_for("staff.patient", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>")
def patient(patient_id: int):
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        abort(404)
    # the desk sees the patient's appointments at its own hospitals only
    appointments = db.session.scalars(
        select(Appointment).where(Appointment.patient_id == patient.id,
                                  Appointment.hospital_id.in_(current_user.hospital_ids))
        .options(joinedload(Appointment.doctor).joinedload(Doctor.user), joinedload(Appointment.hospital))
        .order_by(Appointment.start.desc())).all()
    return render_template("staff/patient.html", patient=patient, appointments=appointments, title=patient.name)
