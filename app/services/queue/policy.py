"""Who runs the queue: the hospital's staff, nurses, doctors and admins, each at their own hospitals."""
from __future__ import annotations

from app.models import Role, User
from app.services.access import visible_hospital_ids

QUEUE_ROLES = (Role.STAFF, Role.NURSE, Role.DOCTOR, Role.ADMIN)


def may_run_queues(user: User) -> bool:
    """Patients see their own place through their pages and the display, never run a queue."""
    return user.role in QUEUE_ROLES


def may_run_queue(user: User, hospital_id: int) -> bool:
    if not may_run_queues(user):
        return False
    scope = visible_hospital_ids(user)
    return scope is None or hospital_id in scope


def may_set_priority(user: User, hospital_id: int) -> bool:
    """The tier the queue serves in is set by the hospital's people running the queue (at booking, at check-in,
    on the queue), never by the patient's own statement (docs/security.md, "Urgency")."""
    return may_run_queue(user, hospital_id)
