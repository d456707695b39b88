"""Who may do what with ratings (docs/ratings.md, "Who may"). Pages and the API ask the same questions here.

- rate a doctor: the patient of the appointment, themselves (no staff account, not even the patient's desk);
- moderate: an admin of the visit's hospital (a membership there; another hospital's admin sees nothing);
- see a doctor's feedback on a visit: that hospital's doctors and nurses;
- give that feedback: the doctor of the visit, while they work at its hospital.
"""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Doctor, Membership, Patient, Role, User

CLINICAL_ROLES = (Role.DOCTOR, Role.NURSE)


def is_own_visit(user: User, appointment: Appointment) -> bool:
    """The appointment is this patient account's own (anyone else's looks absent: 404)."""
    if user.role != Role.PATIENT or appointment.patient_id is None:
        return False
    return db.session.scalar(select(Patient.user_id).where(Patient.id == appointment.patient_id)) == user.id


def may_rate(user: User, appointment: Appointment) -> bool:
    return appointment.doctor_id is not None and is_own_visit(user, appointment)


def _roles_at(user: User, hospital_id: int) -> set[str]:
    return set(db.session.scalars(select(Membership.role).where(Membership.user_id == user.id,
                                                                Membership.hospital_id == hospital_id)))


def may_moderate(user: User, hospital_id: int) -> bool:
    return user.role == Role.ADMIN and Role.ADMIN in _roles_at(user, hospital_id)


def moderated_hospital_ids(user: User) -> set[int]:
    if user.role != Role.ADMIN:
        return set()
    return {m.hospital_id for m in user.memberships if m.role == Role.ADMIN}


def may_see_feedback(user: User, hospital_id: int) -> bool:
    return user.role in CLINICAL_ROLES and bool(_roles_at(user, hospital_id) & set(CLINICAL_ROLES))


def may_give_feedback(user: User, appointment: Appointment) -> bool:
    if user.role != Role.DOCTOR or appointment.doctor_id is None:
        return False
    doctor_user = db.session.scalar(select(Doctor.user_id).where(Doctor.id == appointment.doctor_id))
    return doctor_user == user.id and Role.DOCTOR in _roles_at(user, appointment.hospital_id)
