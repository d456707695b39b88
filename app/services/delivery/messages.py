"""The outbox page's use cases: which messages an admin sees, and a retry (audited).

A region admin sees every message; a hospital admin only those about appointments at their hospitals. Retrying
puts a message back in line at once; its attempts stay.
"""
from __future__ import annotations

from sqlalchemy import Select, select

from app.extensions import db
from app.models import Appointment, OutboxMessage
from app.notifications.outbox import retry
from app.services import audit


def visible_messages(query: Select, hospital_ids: set[int] | None) -> Select:
    """`query` over outbox messages, narrowed to the given hospitals' appointments (None: the whole region)."""
    if hospital_ids is None:
        return query
    return query.join(Appointment, Appointment.id == OutboxMessage.appointment_id).where(
        Appointment.hospital_id.in_(hospital_ids))


def message_hospital(message: OutboxMessage) -> int | None:
    if message.appointment_id is None:
        return None
    return db.session.scalar(select(Appointment.hospital_id).where(Appointment.id == message.appointment_id))


def retry_message(actor_id: int, message: OutboxMessage) -> None:
    before = {"status": message.status, "attempts": message.attempts, "last_error": message.last_error}
    retry(message)
    audit.record(actor_id, "outbox.retry", "outbox", message.id, hospital_id=message_hospital(message),
                 before=before, after={"status": message.status, "max_attempts": message.max_attempts},
                 comment=f"{message.channel} {message.template} to {message.recipient}")
