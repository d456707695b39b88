"""Who may read and write a message thread: pages and the API ask here (docs/messages.md, "Access").

The patient who owns the thread; the desk (front-desk staff) of the thread's hospital; the doctor the thread is
addressed to. Nobody else: not another patient, not another hospital's desk, not a nurse, not an admin. A thread
the caller may not read is a 404, like one that does not exist.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, false, select

from app.extensions import db
from app.models import Membership, MessageThread, Role, User
from app.services.booking.policy import is_patient, own_doctor_id, own_patient

PATIENT, HOSPITAL = "patient", "hospital"


def desk_hospital_ids(user: User) -> set[int]:
    """The hospitals whose desk this user works at (front-desk memberships only)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.STAFF or not user.active:
        return set()
    return set(db.session.scalars(select(Membership.hospital_id).where(
        Membership.user_id == user.id, Membership.role == Role.STAFF)))


def is_owner(user: User, thread: MessageThread) -> bool:
    """The patient whose thread it is."""
    own = own_patient(user) if is_patient(user) else None
    return own is not None and own.id == thread.patient_id


def is_desk_of(user: User, thread: MessageThread) -> bool:
    """Front-desk staff of the thread's hospital (every thread there: they run its appointments)."""
    return thread.hospital_id in desk_hospital_ids(user)


def is_doctor_of(user: User, thread: MessageThread) -> bool:
    """The doctor the thread is addressed to."""
    return thread.doctor_id is not None and own_doctor_id(user) == thread.doctor_id


def side_of(user: User, thread: MessageThread) -> str | None:
    """Which side of the thread the user writes for: the patient's, the hospital's, or none (no access)."""
    if is_owner(user, thread):
        return PATIENT
    if is_desk_of(user, thread) or is_doctor_of(user, thread):
        return HOSPITAL
    return None


def may_read_thread(user: User, thread: MessageThread) -> bool:
    return side_of(user, thread) is not None


def may_reply(user: User, thread: MessageThread) -> bool:
    """Whoever may read a thread may answer in it; an erased patient's threads are gone (docs/messages.md)."""
    return may_read_thread(user, thread)


def is_addressee(user: User, thread: MessageThread) -> bool:
    """Who the thread is addressed to on the hospital's side: opening it marks the patient's messages read."""
    return is_doctor_of(user, thread) if thread.doctor_id is not None else is_desk_of(user, thread)


def may_start_thread(user: User) -> bool:
    """Only patients start threads, for themselves (the desk answers; it does not cold-call by message)."""
    return is_patient(user) and own_patient(user) is not None


def visible_threads(user: User) -> ColumnElement[bool]:
    """A condition on MessageThread: the threads this user's inbox lists."""
    if is_patient(user):
        own = own_patient(user)
        return MessageThread.patient_id == own.id if own is not None else false()
    doctor_id = own_doctor_id(user)
    if doctor_id is not None:
        return MessageThread.doctor_id == doctor_id
    desks = desk_hospital_ids(user)
    return MessageThread.hospital_id.in_(sorted(desks)) if desks else false()


def unread_condition(user: User) -> ColumnElement[bool]:
    """Threads whose unread messages count for this user (a desk's count: the threads addressed to the desk)."""
    if is_patient(user):
        return visible_threads(user)
    if own_doctor_id(user) is not None:
        return visible_threads(user)
    return visible_threads(user) & MessageThread.doctor_id.is_(None)
