"""The patient's pages."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Patient
from app.patient import bp
from app.services.dashboards import patient_appointments


def current_patient() -> Patient:
    patient = db.session.scalar(select(Patient).where(Patient.user_id == current_user.id))
    if patient is None:  # an operator-made patient account gets its record on first visit
        patient = Patient(user_id=current_user.id, name=current_user.name)
        db.session.add(patient)
        db.session.commit()
    return patient


@bp.route("/")
def home():
    patient = current_patient()
    upcoming, past = patient_appointments(patient)
    missing = [label for label, value in (("phone", patient.phone), ("date of birth", patient.birth_date),
                                          ("emergency contact", patient.emergency_contact_name)) if not value]
    return render_template("patient/home.html", patient=patient, upcoming=upcoming, past=past[:10],
                           missing=missing, title="My appointments")
