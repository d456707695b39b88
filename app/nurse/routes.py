"""The nurse station."""
from itertools import groupby

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Hospital
from app.nurse import bp
from app.services.dashboards import todays_appointments


@bp.route("/")
def home():
    hospitals = list(db.session.scalars(select(Hospital).where(Hospital.id.in_(current_user.hospital_ids))))
    appointments = [a for a in todays_appointments(hospitals) if a.doctor is not None]
    by_doctor = [(doctor, list(rows)) for doctor, rows in
                 groupby(sorted(appointments, key=lambda a: (a.doctor.name, a.start)), key=lambda a: a.doctor)]
    return render_template("nurse/home.html", hospitals=hospitals, by_doctor=by_doctor, title=_("Nurse station"))
