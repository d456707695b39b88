"""What messaging does when other features announce something (docs/architecture.md, "Events").

An erased patient's threads go entirely: their messages, the hospital's answers and every attachment, in the
erasure's own transaction (docs/messages.md, "Erasure"). The "message waiting" e-mails never held any text; their
recipient is cleared by delivery's own subscriber.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from app.extensions import db
from app.models import Message, MessageAttachment, MessageThread
from app.services import signals


@signals.patient_erased.connect
def erase_threads(_sender, *, patient_id: int, **_kw) -> None:
    threads = select(MessageThread.id).where(MessageThread.patient_id == patient_id)
    messages = select(Message.id).where(Message.thread_id.in_(threads))
    # bulk deletes, children first: SQLite without foreign keys and MariaDB alike leave nothing behind
    db.session.execute(delete(MessageAttachment).where(MessageAttachment.message_id.in_(messages)))
    db.session.execute(delete(Message).where(Message.thread_id.in_(threads)))
    db.session.execute(delete(MessageThread).where(MessageThread.patient_id == patient_id))
    db.session.flush()
