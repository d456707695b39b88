"""Who may edit whose availability (weekly hours, leave, extra clinics): pages and the API ask here."""
from __future__ import annotations

from app.models import Doctor, Role, User
from app.services.access import visible_hospital_ids


def may_edit_schedule(user: User, doctor: Doctor, hospital_id: int) -> bool:
    """The doctor themself at a hospital they belong to, or the desk and admins of that hospital."""
    if user.role == Role.DOCTOR:
        return doctor.user_id == user.id and hospital_id in user.hospital_ids
    if user.role in (Role.STAFF, Role.ADMIN):
        scope = visible_hospital_ids(user)
        return scope is None or hospital_id in scope
    return False
