"""Specialties, hospitals and doctors: readable by anyone."""
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api.common import fail
from app.api.schemas import DoctorList, DoctorQuery, HospitalList, SpecialtyList
from app.extensions import db
from app.models import Doctor, Hospital, Specialty, doctor_hospitals
from app.services.availability.query import SearchError, resolve_specialty

blp = Blueprint("api_directory", __name__, description="Specialties, hospitals and doctors")


@blp.route("/specialties")
@blp.response(200, SpecialtyList)
def specialties():
    rows = db.session.scalars(select(Specialty).where(Specialty.active).order_by(Specialty.name))
    return {"specialties": [{"id": s.id, "name": s.name} for s in rows]}


@blp.route("/hospitals")
@blp.response(200, HospitalList)
def hospitals():
    rows = db.session.scalars(select(Hospital).where(Hospital.active).order_by(Hospital.name))
    return {"hospitals": list(rows)}


@blp.route("/doctors")
@blp.arguments(DoctorQuery, location="query")
@blp.response(200, DoctorList)
def doctors(args):
    query = (select(Doctor).where(Doctor.active).options(selectinload(Doctor.user), selectinload(Doctor.specialty),
                                                         selectinload(Doctor.hospitals)).order_by(Doctor.id))
    try:
        specialty_id = resolve_specialty(args.get("specialty"))
    except SearchError as err:
        fail(422, err.message, "unknown_specialty", {err.field: err.message})
    if specialty_id is not None:
        query = query.where(Doctor.specialty_id == specialty_id)
    if "hospital" in args:
        query = query.join(doctor_hospitals).where(doctor_hospitals.c.hospital_id == args["hospital"])
    return {"doctors": [{"id": d.id, "name": d.name, "specialty_id": d.specialty_id, "specialty": d.specialty.name,
                         "hospital_ids": [h.id for h in d.hospitals if h.active], "languages": d.language_list,
                         "fee": str(d.fee)} for d in db.session.scalars(query)]}
