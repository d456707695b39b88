"""The doctor's pages."""
from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from app.doctor import bp
from app.extensions import db
from app.models import Doctor
from app.services.dashboards import todays_appointments


def current_doctor() -> Doctor:
    doctor = db.session.scalar(select(Doctor).where(Doctor.user_id == current_user.id))
    if doctor is None:
        abort(404)
    return doctor


@bp.route("/")
def home():
    doctor = current_doctor()
    appointments = todays_appointments(doctor.hospitals, doctor_id=doctor.id)
    waiting = [a for a in appointments if a.status == "checked_in"]
    return render_template("doctor/home.html", doctor=doctor, appointments=appointments, waiting=waiting,
                           title="My day")
