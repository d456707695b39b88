"""Read and search of the directory resources: Organization, Location, Practitioner, PractitionerRole,
HealthcareService and Schedule (docs/fhir.md). Anyone may read them, as anyone may read the REST directory.

Each search answers (resources of the page, total); the entry point wraps them in a searchset Bundle.
"""
from __future__ import annotations

from sqlalchemy import distinct, func, select

from app.extensions import db
from app.models import Doctor, Hospital, Specialty, User, doctor_hospitals
from app.services.fhir import resources as fhir
from app.services.fhir.params import FhirError, check_names, filter_id, int_id, paging, reference_id, specialty_id
from app.services.rows import LIKE_ESCAPE, like_escaped

Page = tuple[list[dict], int]


def _page(stmt, args, build) -> Page:
    count, offset = paging(args)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(count).offset(offset)).all()
    return [build(*row) for row in rows], total


def _hospital(ident: str) -> Hospital:
    hospital = db.session.get(Hospital, int_id(ident, "Location"))
    if hospital is None:
        raise FhirError(f"No such record: {ident}", 404, "not_found")
    return hospital


def _name_like(column, value: str):
    return func.lower(column).like(f"%{like_escaped(value.lower())}%", escape=LIKE_ESCAPE)


# --- Organization and Location: one per hospital ---

def read_organization(ident: str) -> dict:
    return fhir.organization(_hospital(ident))


def read_location(ident: str) -> dict:
    return fhir.location(_hospital(ident))


def search_hospitals(args, resource_type: str) -> Page:
    check_names(args, {"_id", "name", "address-city", "address-country"} |
                ({"organization"} if resource_type == "Location" else set()))
    stmt = select(Hospital).where(Hospital.active).order_by(Hospital.id)
    if args.get("_id"):
        stmt = stmt.where(Hospital.id == filter_id(args["_id"], resource_type))
    if args.get("organization"):
        stmt = stmt.where(Hospital.id == filter_id(args["organization"], "Organization"))
    if args.get("name"):
        stmt = stmt.where(_name_like(Hospital.name, args["name"]))
    if args.get("address-city"):
        stmt = stmt.where(func.lower(Hospital.city) == args["address-city"].lower())
    if args.get("address-country"):
        stmt = stmt.where(func.upper(Hospital.country) == args["address-country"].upper())
    build = fhir.location if resource_type == "Location" else fhir.organization
    return _page(stmt, args, build)


# --- Practitioner ---

def _doctor(ident: int) -> Doctor:
    doctor = db.session.get(Doctor, ident)
    if doctor is None or not doctor.active:
        raise FhirError(f"No such record: {ident}", 404, "not_found")
    return doctor


def read_practitioner(ident: str) -> dict:
    return fhir.practitioner(_doctor(int_id(ident, "Practitioner")))


def search_practitioners(args) -> Page:
    check_names(args, {"_id", "name"})
    stmt = select(Doctor).join(User, User.id == Doctor.user_id).where(Doctor.active).order_by(Doctor.id)
    if args.get("_id"):
        stmt = stmt.where(Doctor.id == filter_id(args["_id"], "Practitioner"))
    if args.get("name"):
        stmt = stmt.where(_name_like(User.name, args["name"]))
    return _page(stmt, args, fhir.practitioner)


# --- PractitionerRole and Schedule: a doctor at a hospital ---

def _pair(ident: str, resource_type: str) -> tuple[Doctor, Hospital]:
    pair = fhir.parse_pair_id(reference_id(ident, resource_type))
    if pair is not None:
        doctor, hospital = db.session.get(Doctor, pair[0]), db.session.get(Hospital, pair[1])
        if doctor is not None and doctor.active and hospital is not None and hospital in doctor.hospitals:
            return doctor, hospital
    raise FhirError(f"No such record: {ident}", 404, "not_found")


def read_practitioner_role(ident: str) -> dict:
    return fhir.practitioner_role(*_pair(ident, "PractitionerRole"))


def read_schedule(ident: str) -> dict:
    return fhir.schedule(*_pair(ident, "Schedule"))


def schedule_pair(ident: str) -> tuple[int, int]:
    """(doctor id, hospital id) of a Schedule reference; 404 when there is no such schedule."""
    doctor, hospital = _pair(ident, "Schedule")
    return doctor.id, hospital.id


def _pairs(args, *, actor: bool):
    stmt = (select(Doctor, Hospital).join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
            .join(Hospital, Hospital.id == doctor_hospitals.c.hospital_id)
            .where(Doctor.active, Hospital.active).order_by(Doctor.id, Hospital.id))
    if args.get("specialty"):
        stmt = stmt.where(Doctor.specialty_id == specialty_id(args["specialty"]))
    practitioners = [args["practitioner"]] if args.get("practitioner") else []
    locations = [args["location"]] if args.get("location") else []
    if actor and args.get("actor"):
        value = args["actor"]
        (locations if "Location/" in value else practitioners).append(value)
    for value in practitioners:
        stmt = stmt.where(Doctor.id == filter_id(value, "Practitioner"))
    for value in locations:
        stmt = stmt.where(Hospital.id == filter_id(value, "Location"))
    if args.get("organization"):
        stmt = stmt.where(Hospital.id == filter_id(args["organization"], "Organization"))
    return stmt


def search_practitioner_roles(args) -> Page:
    check_names(args, {"practitioner", "location", "organization", "specialty"})
    return _page(_pairs(args, actor=False), args, fhir.practitioner_role)


def search_schedules(args) -> Page:
    check_names(args, {"actor", "specialty"})
    return _page(_pairs(args, actor=True), args, fhir.schedule)


# --- HealthcareService: a specialty at a hospital (where a doctor of it works) ---

def read_healthcare_service(ident: str) -> dict:
    pair = fhir.parse_pair_id(reference_id(ident, "HealthcareService"))
    if pair is not None:
        rows = _services({}).where(Hospital.id == pair[0], Specialty.id == pair[1])
        found = db.session.execute(rows).first()
        if found is not None:
            return fhir.healthcare_service(*found)
    raise FhirError(f"No such record: {ident}", 404, "not_found")


def _services(args):
    offered = (select(distinct(doctor_hospitals.c.hospital_id).label("hospital_id"), Doctor.specialty_id)
               .join(Doctor, Doctor.id == doctor_hospitals.c.doctor_id).where(Doctor.active)
               .group_by(doctor_hospitals.c.hospital_id, Doctor.specialty_id).subquery())
    stmt = (select(Hospital, Specialty).join(offered, offered.c.hospital_id == Hospital.id)
            .join(Specialty, Specialty.id == offered.c.specialty_id)
            .where(Hospital.active, Specialty.active).order_by(Hospital.id, Specialty.id))
    if args.get("specialty"):
        stmt = stmt.where(Specialty.id == specialty_id(args["specialty"]))
    if args.get("location"):
        stmt = stmt.where(Hospital.id == filter_id(args["location"], "Location"))
    if args.get("organization"):
        stmt = stmt.where(Hospital.id == filter_id(args["organization"], "Organization"))
    return stmt


def search_healthcare_services(args) -> Page:
    check_names(args, {"specialty", "location", "organization"})
    return _page(_services(args), args, fhir.healthcare_service)
