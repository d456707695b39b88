"""The notification outbox (docs/architecture.md, "Notifications"): every e-mail and SMS is first a row here,
written in the same transaction as the event it reports; a job delivers it with retries and backoff."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow

CHANNELS = ("email", "sms")


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting to be (re)tried
    SENT = "sent"  # handed to the provider
    DEAD = "dead"  # failed for good (an admin may retry)
    SKIPPED = "skipped"  # no longer true when its turn came (a reminder for an appointment cancelled meanwhile)


STATUSES = tuple(DeliveryStatus)


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(5), default="en")
    dedupe_key: Mapped[str] = mapped_column(String(191), unique=True)  # 191: utf8mb4 index limit on old MySQL
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"),
                                                       index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.channel} {self.template} {self.status}>"
