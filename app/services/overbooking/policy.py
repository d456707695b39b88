"""Who may see and edit overbooking rules (docs/overbooking.md, "Who edits"): the region's default is the region
admin's; a doctor's rules are for the admins of a hospital the doctor works at, and for the region admin."""
from __future__ import annotations

from app.models import Doctor, OverbookRule, Role, User
from app.services.access import visible_hospital_ids


def may_edit_region_rule(user: User) -> bool:
    return user.role == Role.ADMIN and user.is_region_admin


def may_edit_rule(user: User, doctor: Doctor | None) -> bool:
    """A doctor's rule: an admin who can see one of the doctor's hospitals; no doctor: the region's default."""
    if user.role != Role.ADMIN:
        return False
    if doctor is None:
        return may_edit_region_rule(user)
    scope = visible_hospital_ids(user)
    return scope is None or any(h.id in scope for h in doctor.hospitals)


def visible_rules(user: User, rules: list[OverbookRule], doctors: dict[int, Doctor]) -> list[OverbookRule]:
    """The rules this admin may see: those they may edit (another hospital's doctor's rule looks absent)."""
    return [r for r in rules if may_edit_rule(user, doctors.get(r.doctor_id) if r.doctor_id else None)]
