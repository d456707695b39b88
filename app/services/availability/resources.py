"""What a booking holds: the schedulable resource of a doctor or a room."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import SchedulableResource
from app.scheduling.codes import Kind


def resource_for_doctor(doctor_id: int) -> SchedulableResource:
    return db.session.scalar(select(SchedulableResource).where(SchedulableResource.doctor_id == doctor_id))


def resource_for_room(room_id: int) -> SchedulableResource:
    """Rooms get a resource the first time something needs to claim them."""
    resource = db.session.scalar(select(SchedulableResource).where(SchedulableResource.room_id == room_id))
    if resource is None:
        resource = SchedulableResource(kind=Kind.LOCATION, room_id=room_id)
        db.session.add(resource)
        db.session.flush()
    return resource
