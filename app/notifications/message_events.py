"""The e-mail that tells the other side of a thread that a message is waiting (docs/messages.md, "E-mail").

It names the sender's side and the hospital and links to the thread; it never carries the message's text, its
subject or the patient's name in the subject line: an e-mail leaves the hospital's hands, the portal does not.
One outbox row per message and reader (the dedupe key), queued in the sender's transaction.
"""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Message, MessageThread, Role, User
from app.notifications.events import MUTED_KEY, base_url
from app.notifications.outbox import queue


def readers(thread: MessageThread, message: Message) -> list[User]:
    """Who hears of a message: the patient for the hospital's messages; the doctor, or the desk's active staff,
    for the patient's. Never the writer."""
    if not message.from_patient:
        patient = thread.patient
        user = patient.user if patient.user_id else None
        if user is None or not user.active or patient.notify_email is False or patient.anonymised_at is not None:
            return []
        found = [user]
    elif thread.doctor_id is not None:
        user = thread.doctor.user
        found = [user] if user.active else []
    else:
        desk = select(Membership.user_id).where(Membership.hospital_id == thread.hospital_id,
                                                Membership.role == Role.STAFF)
        found = list(db.session.scalars(select(User).where(User.id.in_(desk), User.active).order_by(User.id)))
    return [u for u in found if u.id != message.sender_id]


def message_waiting(thread: MessageThread, message: Message) -> int:
    if db.session.info.get(MUTED_KEY):
        return 0
    queued = 0
    for reader in readers(thread, message):
        context = {"hospital_name": thread.hospital.name, "from_patient": message.from_patient,
                   "to_doctor": thread.doctor_id is not None,
                   "link": f"{base_url()}/messages/{thread.id}"}
        queued += queue("email", reader.email, "message_waiting", context, f"message:{message.id}:{reader.id}",
                        language=reader.language, user_id=reader.id)
    return queued
