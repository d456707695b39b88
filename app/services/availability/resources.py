"""What a booking holds: the schedulable resource of a doctor or a room.

A booking asks for its doctor's resource in the placement, the claims and the index upkeep: one read per
transaction (app/services/memo.py)."""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select

from app.extensions import db
from app.models import SchedulableResource
from app.scheduling.codes import Kind
from app.services.memo import alive, remembered


def _known(key: tuple[str, int]) -> SchedulableResource | None:
    resource = remembered("resources").get(key)
    return resource if alive(db.session, resource) else None


def _remember(key: tuple[str, int], resource: SchedulableResource | None) -> SchedulableResource | None:
    if resource is not None:
        remembered("resources")[key] = resource
    return resource


def known_resource_for_doctor(doctor_id: int) -> SchedulableResource | None:
    """The doctor's resource if this transaction has read it, else None (no read)."""
    return _known(("doctor", doctor_id))


def resource_for_doctor(doctor_id: int) -> SchedulableResource:
    return _known(("doctor", doctor_id)) or _remember(("doctor", doctor_id), db.session.scalar(
        _by_owner("doctor"), {"owner": doctor_id}))


def resource_for_room(room_id: int) -> SchedulableResource:
    """Rooms get a resource the first time something needs to claim them."""
    resource = _known(("room", room_id)) or db.session.scalar(_by_owner("room"), {"owner": room_id})
    if resource is None:
        resource = SchedulableResource(kind=Kind.LOCATION, room_id=room_id)
        db.session.add(resource)
        db.session.flush()
    return _remember(("room", room_id), resource)


@cache
def _by_owner(kind: str):
    """Built once: a booking asks for its doctor's resource, and its room's (docs/benchmarks.md, "Built
    once")."""
    column = SchedulableResource.doctor_id if kind == "doctor" else SchedulableResource.room_id
    return select(SchedulableResource).where(column == bindparam("owner"))
