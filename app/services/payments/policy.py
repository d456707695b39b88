"""Who may see and handle payments (docs/payments.md, "Access"). A payment the caller may not see is a 404."""
from __future__ import annotations

from app.models import Payment, Role, User
from app.services.access import visible_hospital_ids


def may_see(user: User, payment: Payment) -> bool:
    """The patient who pays, and the hospital's staff and admins."""
    if user.role == Role.PATIENT:
        patient = payment.appointment.patient if payment.appointment else None
        return patient is not None and patient.id == payment.patient_id and patient.user_id == user.id
    return may_take_payments(user, payment.hospital_id)


def may_take_payments(user: User, hospital_id: int) -> bool:
    """Record desk payments and refund: the hospital's staff and admins."""
    if user.role not in (Role.STAFF, Role.ADMIN):
        return False
    scope = visible_hospital_ids(user)
    return scope is None or hospital_id in scope
