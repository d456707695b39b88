"""Who may see a patient's record: the desk sees its own patients (docs/security.md, "Patients at the desk").

A patient is *tied* to a hospital when they have an appointment, a queue entry or a waitlist entry there, or were
registered by its desk. Hospital people see the full record (date of birth, phone, address ...) of patients tied to
one of their hospitals; anybody else is found only by an exact match of two identifiers, as a minimal card, and
that lookup is audited. A record the caller may not see is a 404, like one that does not exist.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from app.extensions import db
from app.models import (
    Appointment,
    AuditEvent,
    Patient,
    Queue,
    QueueEntry,
    Role,
    User,
    WaitlistEntry,
    doctor_hospitals,
)
from app.models.base import utcnow
from app.services.access import visible_hospital_ids

RECORD_ROLES = (Role.STAFF, Role.NURSE, Role.DOCTOR, Role.ADMIN)
LOOKUP_GRANT = timedelta(hours=12)  # a desk's exact lookup lets it book the one found for the rest of the shift


def tied_to(hospital_ids: Iterable[int]) -> ColumnElement[bool]:
    """A condition on Patient: tied to one of `hospital_ids` (see the module's docstring)."""
    ids = sorted(set(hospital_ids))
    if not ids:
        return false()
    listed = []
    for hospital_id in ids:  # WaitlistEntry.hospital_ids is "3,7": match whole numbers only
        text = str(hospital_id)
        listed += [WaitlistEntry.hospital_ids == text, WaitlistEntry.hospital_ids.like(f"{text},%"),
                   WaitlistEntry.hospital_ids.like(f"%,{text}"), WaitlistEntry.hospital_ids.like(f"%,{text},%")]
    doctors_here = select(doctor_hospitals.c.doctor_id).where(doctor_hospitals.c.hospital_id.in_(ids))
    return or_(  # never NULL: the caller negates it (NOT NULL would drop the row)
        and_(Patient.registered_hospital_id.is_not(None), Patient.registered_hospital_id.in_(ids)),
        exists().where(Appointment.patient_id == Patient.id, Appointment.hospital_id.in_(ids)),
        exists().where(QueueEntry.patient_id == Patient.id, QueueEntry.queue_id == Queue.id,
                       Queue.hospital_id.in_(ids)),
        exists().where(WaitlistEntry.patient_id == Patient.id,
                       or_(*listed, WaitlistEntry.doctor_id.in_(doctors_here))),
    )


def record_scope(user: User) -> set[int] | None:
    """The hospitals whose patients' full records the user may read; None: every hospital (a region admin)."""
    if user.role not in RECORD_ROLES:
        return set()
    return visible_hospital_ids(user)


def is_tied(patient: Patient, hospital_ids: Iterable[int]) -> bool:
    return bool(db.session.scalar(select(tied_to(hospital_ids)).select_from(Patient)
                                  .where(Patient.id == patient.id)))


def may_see_patient(user: User, patient: Patient) -> bool:
    """The patient themself; a region admin; hospital people when the patient is tied to one of their hospitals."""
    if patient.user_id is not None and patient.user_id == getattr(user, "id", None):
        return True
    scope = record_scope(user)
    if scope is None:
        return True
    return bool(scope) and is_tied(patient, scope)


def may_act_for_patient(user: User, patient: Patient, now: datetime | None = None) -> bool:
    """Book for the patient (the pages that show their name): whom the user may see, or whom this user found by
    the audited exact lookup in the last LOOKUP_GRANT (the minimal card's "book" action)."""
    if may_see_patient(user, patient):
        return True
    if user.role not in RECORD_ROLES:
        return False
    since = (now or utcnow()) - LOOKUP_GRANT
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "patient.lookup", AuditEvent.actor_id == user.id, AuditEvent.target_type == "patient",
        AuditEvent.target_id == patient.id, AuditEvent.at >= since).limit(1)) is not None


def may_configure_hospital(user: User, hospital_id: int) -> bool:
    """Edit what a hospital offers (its appointment types and their reminders): admins of that hospital, and the
    region's admins. The admin pages ask it through their role guard and scope; the API asks it here."""
    if not user.is_authenticated or user.role != Role.ADMIN:
        return False
    scope = visible_hospital_ids(user)
    return scope is None or hospital_id in scope
