"""Who may do what with an appointment: one named decision each, used by the pages and the API alike.

Each takes the acting user (Flask-Login's current user, or a User) and answers yes or no; the entry point turns a
no into its own answer (404 for what the caller may not even see, 403 for a role that never may, the core's
refusal for rules of time such as the cut-off). The cut-off itself is a rule of the scheduling core, enforced by
the booking service whenever a patient acts (docs/architecture.md, "Policies").
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AvailabilityException, Doctor, Patient, Role, SchedulableResource, User
from app.models.base import utcnow
from app.services.access import visible_hospital_ids
from app.services.memo import alive, remembered


def is_patient(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.PATIENT


def own_patient(user: User) -> Patient | None:
    """The patient record of a patient's account: read once per transaction (app/services/memo.py), though a
    request asks several policies."""
    if not is_patient(user):
        return None
    known = remembered("own_patient")
    patient = known.get(user.id)
    if alive(db.session, patient):
        return patient
    patient = db.session.scalar(select(Patient).where(Patient.user_id == user.id))
    if patient is not None:
        known[user.id] = patient
    return patient


def own_doctor_id(user: User) -> int | None:
    if user.role != Role.DOCTOR:
        return None
    return db.session.scalar(select(Doctor.id).where(Doctor.user_id == user.id))


def may_see(user: User, appointment: Appointment) -> bool:
    """A patient sees their own; a doctor their own and their hospitals'; staff, nurses and admins their
    hospitals' (a region admin every hospital's)."""
    if is_patient(user):
        patient = own_patient(user)
        return patient is not None and appointment.patient_id == patient.id
    if user.role == Role.DOCTOR and own_doctor_id(user) == appointment.doctor_id and appointment.doctor_id:
        return True
    scope = visible_hospital_ids(user)
    return scope is None or appointment.hospital_id in scope


def may_confirm(user: User, appointment: Appointment) -> bool:
    """Confirm attendance (the reminder's question, docs/operations.md "Reminders"): only the patient, for their
    own appointment; the desk records arrivals, not promises."""
    if not is_patient(user):
        return False
    patient = own_patient(user)
    return patient is not None and appointment.patient_id == patient.id


def may_book_for(user: User, patient: Patient) -> bool:
    """Patients book for themselves only; nurses never book; the desk, doctors and admins book for anyone at
    their own hospitals (the hospital is checked where it is chosen)."""
    if is_patient(user):
        own = own_patient(user)
        return own is not None and own.id == patient.id
    return user.role in (Role.STAFF, Role.DOCTOR, Role.ADMIN)


def may_set_urgency(user: User) -> bool:
    """Only hospital people (the desk, doctors, admins) set the urgency the queue follows; what a patient states
    when booking themselves is kept as a request (docs/security.md, "Urgency")."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in (Role.STAFF, Role.DOCTOR, Role.ADMIN)


def bookable_hospital_ids(user: User, doctor: Doctor) -> list[int] | None:
    """Where this user may book the doctor: None when anywhere the doctor works (patients, region admins), else
    the doctor's hospitals the user belongs to."""
    if is_patient(user):
        return None
    scope = visible_hospital_ids(user)
    if scope is None:
        return None
    return [h.id for h in doctor.hospitals if h.id in scope]


def visible_appointments(user: User, query: Select, *, mine: bool = False) -> Select:
    """`query` over appointments narrowed to what the user may list: a patient only their own, a doctor asking for
    theirs only theirs, everyone else their hospitals'."""
    if is_patient(user):
        patient = own_patient(user)
        return query.where(Appointment.patient_id == (patient.id if patient else -1))
    if mine and user.role == Role.DOCTOR:
        return query.where(Appointment.doctor_id == (own_doctor_id(user) or -1))
    scope = visible_hospital_ids(user)
    return query if scope is None else query.where(Appointment.hospital_id.in_(scope))


def may_change(user: User, appointment: Appointment) -> bool:
    """Cancel or move: the patient their own (the cut-off is the service's rule), the desk, doctors and admins those
    they may see; nurses run the queue but do not change bookings."""
    if user.role == Role.NURSE:
        return False
    return may_see(user, appointment)


def doctor_time_withdrawn(appointment: Appointment) -> bool:
    """The doctor has since taken this time off (leave counts at every hospital): the patient may move or cancel
    it even inside the cut-off."""
    if appointment.doctor_id is None:
        return False
    # an emergency placed over the booking takes its time as leave would (waitlist/emergency.py)
    if db.session.scalar(select(Appointment.id).where(
            Appointment.doctor_id == appointment.doctor_id, Appointment.emergency.is_(True),
            Appointment.id != appointment.id, Appointment.status.in_(core.ACTIVE),
            Appointment.start < appointment.end, Appointment.end > appointment.start).limit(1)) is not None:
        return True
    return db.session.scalar(select(AvailabilityException.id).join(
        SchedulableResource, SchedulableResource.id == AvailabilityException.resource_id).where(
        SchedulableResource.doctor_id == appointment.doctor_id, AvailabilityException.available.is_(False),
        AvailabilityException.start < appointment.end, AvailabilityException.end > appointment.start).limit(1)) \
        is not None


def check_patient_change(appointment: Appointment, now: datetime | None = None) -> None:
    """The core's cut-off rule for this appointment (raises CutoffPassed or InvalidTransition)."""
    core.check_patient_change(appointment.status, appointment.kind, appointment.start,
                              appointment.hospital.cancel_cutoff_hours, now or utcnow(),
                              time_withdrawn=doctor_time_withdrawn(appointment))


def may_change_online(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the patient may still cancel or move it themselves (pages decide which buttons to show)."""
    try:
        check_patient_change(appointment, now)
    except core.SchedulingError:
        return False
    return True


def change_deadline(appointment: Appointment) -> datetime:
    """The last instant (naive UTC) the patient may change it online, ignoring leave."""
    return core.online_change_deadline(appointment.start, appointment.hospital.cancel_cutoff_hours)


def may_book_series(user: User, hospital_id: int) -> bool:
    """Recurring series are the desk's tool: staff of that hospital only (docs/series.md)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.STAFF \
        and hospital_id in user.hospital_ids


def may_manage_series(user: User, series) -> bool:
    """See a series, cancel its rest: the same staff as may book it at the series' hospital."""
    return may_book_series(user, series.hospital_id)
