"""Hospital directory operations: doctors and their schedulable resources."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Doctor, Hospital, SchedulableResource, Specialty, User

DEFAULT_SPECIALTY = ("General practice", "GEN")


def default_specialty() -> Specialty:
    specialty = db.session.scalar(select(Specialty).where(Specialty.code == DEFAULT_SPECIALTY[1]))
    if specialty is None:
        specialty = Specialty(name=DEFAULT_SPECIALTY[0], code=DEFAULT_SPECIALTY[1])
        db.session.add(specialty)
        db.session.flush()
    return specialty


def create_doctor_profile(user: User, hospital_id: int | None, specialty_id: int | None = None, **fields) -> Doctor:
    """A doctor's profile and the resource that bookings claim; the caller commits."""
    doctor = Doctor(user_id=user.id, specialty_id=specialty_id or default_specialty().id, **fields)
    if hospital_id is not None:
        doctor.hospitals.append(db.session.get(Hospital, hospital_id))
    db.session.add(doctor)
    db.session.flush()
    db.session.add(SchedulableResource(kind="doctor", doctor_id=doctor.id))
    return doctor


def resource_for_doctor(doctor_id: int) -> SchedulableResource:
    return db.session.scalar(select(SchedulableResource).where(SchedulableResource.doctor_id == doctor_id))


def resource_for_room(room_id: int) -> SchedulableResource:
    """Rooms get a resource the first time something needs to claim them."""
    resource = db.session.scalar(select(SchedulableResource).where(SchedulableResource.room_id == room_id))
    if resource is None:
        resource = SchedulableResource(kind="location", room_id=room_id)
        db.session.add(resource)
        db.session.flush()
    return resource
