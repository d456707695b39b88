"""The doctor's pages: the day, the week calendar and their own availability."""
from datetime import date, timedelta

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.doctor import bp
from app.extensions import db
from app.models import Doctor
from app.scheduling.codes import Status
from app.services import teams
from app.services.availability import resource_for_doctor
from app.services.availability.views import doctor_week, local_today
from app.services.booking.lists import todays_appointments
from app.web import availability_editor as views


def current_doctor() -> Doctor:
    doctor = db.session.scalar(select(Doctor).where(Doctor.user_id == current_user.id))
    if doctor is None:
        abort(404)
    return doctor


@bp.route("/")
def home():
    doctor = current_doctor()
    appointments = todays_appointments(doctor.hospitals, doctor_id=doctor.id)
    # team appointments this doctor takes part in without being the appointment's named doctor (docs/teams.md)
    appointments += [a for h in doctor.hospitals for a in teams.day_list(doctor.id, h.id, local_today(h.timezone))
                     if a.doctor_id != doctor.id]
    appointments.sort(key=lambda a: a.start)
    waiting = [a for a in appointments if a.status == Status.CHECKED_IN]
    return render_template("doctor/home.html", doctor=doctor, appointments=appointments, waiting=waiting,
                           title=_("My day"))


@bp.route("/week")
def week():
    doctor = current_doctor()
    if not doctor.hospitals:
        abort(404)
    hospital_id = request.args.get("hospital", type=int)
    if hospital_id is None:
        hospital = views.hospital_with_hours(doctor, doctor.hospitals)
    else:
        hospital = next((h for h in doctor.hospitals if h.id == hospital_id), None)
    if hospital is None:
        abort(404)
    try:
        day = date.fromisoformat(request.args["start"]) if request.args.get("start") else local_today(hospital.timezone)
    except ValueError:
        abort(404)
    view = doctor_week(doctor.id, resource_for_doctor(doctor.id).id, hospital.id, hospital.timezone, day)
    return render_template("doctor/week.html", doctor=doctor, hospital=hospital, week=view,
                           previous=view.monday - timedelta(days=7), next=view.monday + timedelta(days=7),
                           tz=views.zone_label(hospital.timezone), title=_("My week"))


def my_editor() -> views.Editor:
    """A doctor edits their own hours only at hospitals where they hold a membership."""
    doctor = current_doctor()
    return views.Editor(doctor, views.editable_hospitals(doctor, current_user.hospital_ids), "doctor.", own=True)


@bp.route("/availability", methods=["GET", "POST"])
def availability():
    return views.schedule_page(my_editor())


@bp.route("/availability/exceptions", methods=["POST"])
def availability_exception():
    return views.add_exception(my_editor())


@bp.route("/availability/exceptions/<int:exception_id>/delete", methods=["POST"])
def availability_exception_delete(exception_id: int):
    return views.delete_exception(my_editor(), exception_id)
