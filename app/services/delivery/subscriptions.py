"""What delivery does when other features announce something (docs/architecture.md, "Events").

An erased patient's name, e-mail and phone go from every copy the hospital's messaging holds: the outbox rows about
their appointments or their account (pending and sent: context and recipient) and the staff notices about their
appointments. Unsent messages to them are stopped (docs/security.md, "Erasure").
"""
from __future__ import annotations

from sqlalchemy import or_, select

from app.extensions import db
from app.models import OutboxMessage, StaffNotice
from app.models.outbox import DeliveryStatus
from app.services import signals


def redact(value, redactions: dict[str, str]):
    """`value` (a string, or lists and dicts of them) with every former personal value replaced."""
    if isinstance(value, str):
        for old, new in redactions.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: redact(v, redactions) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, redactions) for v in value]
    return value


@signals.patient_erased.connect
def redact_messages(_sender, *, user_id: int | None, appointment_ids: list[int], redactions: dict[str, str],
                    **_kw) -> None:
    # longest first: "Grace Hopper" goes before "Grace" could leave "Hopper" behind
    redactions = dict(sorted(((k, v) for k, v in redactions.items() if k and len(k) >= 3),
                             key=lambda kv: -len(kv[0])))
    if not redactions:
        return
    about = [OutboxMessage.recipient.in_(list(redactions))]
    if user_id is not None:
        about.append(OutboxMessage.user_id == user_id)
    if appointment_ids:
        about.append(OutboxMessage.appointment_id.in_(appointment_ids))
        notices = db.session.scalars(select(StaffNotice).where(StaffNotice.appointment_id.in_(appointment_ids)))
        for notice in notices:
            notice.text = redact(notice.text, redactions)
    for message in db.session.scalars(select(OutboxMessage).where(or_(*about))):
        to_patient = message.recipient in redactions or (user_id is not None and message.user_id == user_id)
        message.context = redact(dict(message.context or {}), redactions)
        if message.recipient in redactions:
            message.recipient = ""
        if to_patient and message.status == DeliveryStatus.PENDING:
            message.status, message.last_error = DeliveryStatus.DEAD, "account deleted"
    db.session.flush()
