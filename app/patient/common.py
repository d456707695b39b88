"""What every patient page needs: the logged-in patient's record and their own appointments (anyone else's is a
404)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.extensions import db
from app.models import Appointment, Patient
from app.services.accounts import profile as patient_profile
from app.transaction import transaction


def current_patient() -> Patient:
    """The logged-in patient's record (an operator-made account gets its record on its first visit)."""
    patient = patient_profile.patient_of(current_user)
    if patient is None:
        with transaction():
            patient = patient_profile.create_patient_record(current_user)
    return patient


def own_appointment(appointment_id: int) -> Appointment:
    """The patient's own appointment; anyone else's looks like one that does not exist."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.patient_id != current_patient().id:
        abort(404)
    return appointment
