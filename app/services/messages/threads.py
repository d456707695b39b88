"""Starting a thread, writing in it, opening it, and the inbox lists (docs/messages.md).

Every operation flushes and never commits: the entry point's transaction() does. Each new message queues the
"a message is waiting" e-mail to the other side in the same transaction, so nobody hears of a message that was
rolled back; the e-mail never carries the message's text (app/notifications/message_events.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Appointment, Message, MessageAttachment, MessageThread, Patient, User
from app.models.base import utcnow
from app.notifications import message_events
from app.services import audit
from app.services.messages import attachments, policy
from app.services.messages.errors import MessageError
from app.text import text_problem


def _mark(text: str) -> str:
    """For extraction only (`make messages`): the pages translate MessageError's text when they show it."""
    return text


SUBJECT_MAX = 120


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Recipient:
    """Whom a patient may write to: a hospital's desk, or the doctor of one of their appointments."""

    hospital_id: int
    doctor_id: int | None = None
    appointment_id: int | None = None


def check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise MessageError(_mark("Write a message."), "body")
    limit = current_app.config["MESSAGE_MAX_CHARS"]
    if len(body) > limit:
        raise MessageError(_mark("A message can be at most %(n)s characters long."), "body", values={"n": limit})
    problem = text_problem(body, multiline=True)
    if problem:
        raise MessageError(problem, "body")
    return body


def check_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise MessageError(_mark("Give the message a subject."), "subject")
    if len(subject) > SUBJECT_MAX:
        raise MessageError(_mark("A subject can be at most %(n)s characters long."), "subject",
                           values={"n": SUBJECT_MAX})
    problem = text_problem(subject)
    if problem:
        raise MessageError(problem, "subject")
    return subject


def own_appointments(patient: Patient) -> list[Appointment]:
    """The patient's visits with a hospital (room bookings have no patient), newest first."""
    return list(db.session.scalars(select(Appointment).where(
        Appointment.patient_id == patient.id).order_by(Appointment.start.desc()).limit(50)))


def resolve_recipient(patient: Patient, *, hospital_id: int | None, appointment_id: int | None,
                      to_doctor: bool) -> Recipient:
    """Check whom the patient names: an appointment must be their own (someone else's visit is "no such
    appointment"), a desk one of a hospital they have an appointment with, a doctor the one of the appointment."""
    appointment = None
    if appointment_id is not None:
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None or appointment.patient_id != patient.id:
            raise MessageError(_mark("No such appointment of yours."), "appointment_id", code="not_found", status=404)
        if hospital_id is not None and hospital_id != appointment.hospital_id:
            raise MessageError(_mark("The appointment is at another hospital."), "hospital_id")
        hospital_id = appointment.hospital_id
    if to_doctor:
        if appointment is None or appointment.doctor_id is None:
            raise MessageError(_mark("Choose the appointment you are writing to your doctor about."), "appointment_id")
        return Recipient(appointment.hospital_id, appointment.doctor_id, appointment.id)
    if hospital_id is None:
        raise MessageError(_mark("Choose the hospital you are writing to."), "hospital_id")
    known = db.session.scalar(select(Appointment.id).where(Appointment.patient_id == patient.id,
                                                            Appointment.hospital_id == hospital_id).limit(1))
    if known is None:
        raise MessageError(_mark("You can write to the desk of a hospital where you have an appointment."),
                           "hospital_id", code="not_found", status=404)
    return Recipient(hospital_id, None, appointment.id if appointment else None)


def start_thread(actor: User, patient: Patient, recipient: Recipient, subject: str, body: str,
                 upload: Upload | None = None, now: datetime | None = None) -> MessageThread:
    """A patient's new thread with its first message."""
    if not policy.may_start_thread(actor):
        raise MessageError(_mark("Only patients start a conversation."), code="forbidden", status=403)
    subject, body = check_subject(subject), check_body(body)
    checked = attachments.check(upload.filename, upload.data) if upload is not None else None
    now = now or utcnow()
    thread = MessageThread(patient_id=patient.id, hospital_id=recipient.hospital_id, doctor_id=recipient.doctor_id,
                           appointment_id=recipient.appointment_id, subject=subject, created_at=now,
                           last_message_at=now)
    db.session.add(thread)
    db.session.flush()
    _add_message(actor, thread, body, checked, from_patient=True, now=now)
    audit.record(actor.id, "message.thread", "message_thread", thread.id, hospital_id=thread.hospital_id,
           after={"hospital_id": thread.hospital_id, "doctor_id": thread.doctor_id,
                  "appointment_id": thread.appointment_id})
    return thread


def reply(actor: User, thread: MessageThread, body: str, upload: Upload | None = None,
          now: datetime | None = None) -> Message:
    """A message in an existing thread, from whichever side the actor is on."""
    side = policy.side_of(actor, thread)
    if side is None:
        raise MessageError(_mark("No such conversation."), code="not_found", status=404)
    body = check_body(body)
    checked = attachments.check(upload.filename, upload.data) if upload is not None else None
    return _add_message(actor, thread, body, checked, from_patient=side == policy.PATIENT, now=now or utcnow())


def _add_message(actor: User, thread: MessageThread, body: str, checked: attachments.CheckedFile | None, *,
                 from_patient: bool, now: datetime) -> Message:
    # The count first, in the database: two people writing at once both count. Updating the thread before
    # inserting the message takes its row lock first; the other order (the message's foreign key takes a shared
    # lock on the thread, then the update wants it exclusive) deadlocks two writers on MariaDB.
    counter = MessageThread.hospital_unread if from_patient else MessageThread.patient_unread
    db.session.execute(update(MessageThread).where(MessageThread.id == thread.id)
                       .values({counter: counter + 1, MessageThread.last_message_at: now}))
    message = Message(thread_id=thread.id, sender_id=actor.id, from_patient=from_patient, body=body, created_at=now)
    db.session.add(message)
    if checked is not None:
        message.attachments.append(MessageAttachment(filename=checked.filename, content_type=checked.content_type,
                                                     size=len(checked.data), data=checked.data))
    db.session.flush()
    db.session.refresh(thread)
    message_events.message_waiting(thread, message)
    return message


def mark_read(user: User, thread: MessageThread) -> bool:
    """Opening a thread reads the other side's messages: the patient's own count, or the addressee's (a desk
    opening a doctor's thread leaves the doctor's count alone). True when something changed."""
    if policy.is_owner(user, thread):
        counter = MessageThread.patient_unread
    elif policy.is_addressee(user, thread):
        counter = MessageThread.hospital_unread
    else:
        return False
    changed = db.session.execute(update(MessageThread).where(MessageThread.id == thread.id, counter > 0)
                                 .values({counter: 0})).rowcount
    if changed:
        db.session.refresh(thread)
    return bool(changed)


def unread_for(user: User, thread: MessageThread) -> int:
    """The thread's unread count as this user sees it (0 where it is not theirs to read)."""
    if policy.is_owner(user, thread):
        return thread.patient_unread
    return thread.hospital_unread if policy.is_addressee(user, thread) else 0


def inbox(user: User, limit: int = 200) -> list[MessageThread]:
    """The user's threads, the latest message first."""
    return list(db.session.scalars(select(MessageThread).where(policy.visible_threads(user))
                                   .order_by(MessageThread.last_message_at.desc(), MessageThread.id.desc())
                                   .limit(limit)))


def unread_count(user: User) -> int:
    """Unread messages for the navbar: the patient's, the doctor's, or a desk's (threads addressed to the desk)."""
    counter = MessageThread.patient_unread if policy.is_patient(user) else MessageThread.hospital_unread
    return db.session.scalar(select(func.coalesce(func.sum(counter), 0)).where(policy.unread_condition(user))) or 0


def thread_or_none(user: User, thread_id: int) -> MessageThread | None:
    """The one loader of "not found or not yours": None for both (the entry point answers 404)."""
    thread = db.session.get(MessageThread, thread_id)
    if thread is None or not policy.may_read_thread(user, thread):
        return None
    return thread


def attachment_or_none(user: User, attachment_id: int) -> MessageAttachment | None:
    attachment = db.session.get(MessageAttachment, attachment_id)
    if attachment is None or not policy.may_read_thread(user, attachment.message.thread):
        return None
    return attachment
