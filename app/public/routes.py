"""Pages anyone can see: the start page and the region's hospitals."""
from flask import abort, redirect, render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Doctor, Hospital, Specialty, doctor_hospitals
from app.public import bp
from app.templating import home_url_for


@bp.route("/")
def index():
    if current_user.is_authenticated and current_user.role != "patient":
        return redirect(home_url_for(current_user))
    specialties = db.session.scalars(select(Specialty).where(Specialty.active).order_by(Specialty.name)).all()
    counts = dict(db.session.execute(
        select(Doctor.specialty_id, func.count(Doctor.id)).where(Doctor.active).group_by(Doctor.specialty_id)).all())
    hospitals = db.session.scalars(select(Hospital).where(Hospital.active).order_by(Hospital.country, Hospital.city)
                                   .limit(12)).all()
    return render_template("public/index.html", specialties=specialties, counts=counts, hospitals=hospitals)


@bp.route("/hospitals")
def hospitals():
    rows = db.session.execute(
        select(Hospital, func.count(doctor_hospitals.c.doctor_id))
        .outerjoin(doctor_hospitals, doctor_hospitals.c.hospital_id == Hospital.id)
        .where(Hospital.active).group_by(Hospital.id).order_by(Hospital.country, Hospital.city, Hospital.name)).all()
    return render_template("public/hospitals.html", rows=rows, title="Hospitals")


@bp.route("/hospitals/<int:hospital_id>")
def hospital(hospital_id: int):
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None or not hospital.active:
        abort(404)
    doctors = db.session.scalars(
        select(Doctor).join(doctor_hospitals).where(doctor_hospitals.c.hospital_id == hospital_id, Doctor.active)
        .options(selectinload(Doctor.user), selectinload(Doctor.specialty))).all()
    doctors = sorted(doctors, key=lambda d: (d.specialty.name, d.name))
    return render_template("public/hospital.html", hospital=hospital, doctors=doctors, title=hospital.name)
