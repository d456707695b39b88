"""Who may see which reports (docs/reports.md). Pages, the CSV downloads and the statements ask these; what a
caller may not see answers 404, so another hospital's or doctor's figures look like ones that do not exist."""
from __future__ import annotations

from dataclasses import dataclass

from app.models import Doctor, Role, User
from app.services.access import visible_hospital_ids


@dataclass(frozen=True)
class ReportScope:
    """The rows a dashboard reads: hospitals (None: the region) and, for a doctor, only their own."""

    hospital_ids: frozenset[int] | None
    doctor_id: int | None = None


def report_scope(user: User, doctor: Doctor | None = None, hospital_id: int | None = None) -> ReportScope | None:
    """The scope of the user's dashboard, narrowed to one hospital when asked; None when they may not see it.

    Region admins see the region, hospital admins their hospitals, doctors their own figures (at their hospitals).
    """
    if user.role == Role.DOCTOR:
        if doctor is None or doctor.user_id != user.id:
            return None
        allowed = frozenset(h.id for h in doctor.hospitals)
        doctor_id = doctor.id
    elif user.role == Role.ADMIN:
        seen = visible_hospital_ids(user)
        allowed = None if seen is None else frozenset(seen)
        doctor_id = None
    else:
        return None
    if hospital_id is None:
        return ReportScope(allowed, doctor_id)
    if allowed is not None and hospital_id not in allowed:
        return None
    return ReportScope(frozenset({hospital_id}), doctor_id)


def may_see_statement(user: User, doctor: Doctor) -> bool:
    """A doctor sees their own monthly statement; an admin those of doctors at a hospital they administer."""
    if user.role == Role.DOCTOR:
        return doctor.user_id == user.id
    if user.role != Role.ADMIN:
        return False
    seen = visible_hospital_ids(user)
    return seen is None or any(h.id in seen for h in doctor.hospitals)


def statement_hospitals(user: User) -> frozenset[int] | None:
    """Whose fees a statement lists: an admin's hospitals only (a doctor working elsewhere too keeps that private
    from them); a doctor and a region admin see every hospital."""
    if user.role == Role.ADMIN:
        seen = visible_hospital_ids(user)
        return None if seen is None else frozenset(seen)
    return None
