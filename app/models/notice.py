"""In-app notices for hospital staff and doctors: an appointment of theirs was booked, cancelled or moved."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

NOTICE_KINDS = ("booked", "cancelled", "moved")


class StaffNotice(db.Model):
    __tablename__ = "staff_notices"
    __table_args__ = (Index("ix_staff_notices_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"),
                                                       index=True)
    kind: Mapped[str] = mapped_column(String(16))  # booked | cancelled | moved
    text: Mapped[str] = mapped_column(Text)  # written in the reader's language when the event happened
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    appointment: Mapped[Appointment | None] = relationship()  # noqa: F821
