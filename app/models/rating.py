"""Ratings after a visit (docs/ratings.md): the patient's stars and review of the doctor, moderated by the
hospital's admins before anyone else sees them; and the doctor's feedback on the visit, for the hospital's
clinical staff only. One of each per appointment: the unique appointment_id is what refuses a second one, also
between two racing requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

PENDING, APPROVED, HIDDEN = "pending", "approved", "hidden"


class DoctorRating(db.Model):
    __tablename__ = "doctor_ratings"
    __table_args__ = (
        Index("ix_doctor_ratings_doctor_status", "doctor_id", "status"),
        Index("ix_doctor_ratings_hospital_status", "hospital_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    stars: Mapped[int] = mapped_column(SmallInteger)
    review: Mapped[str | None] = mapped_column(Text)  # None: stars only, or redacted on erasure
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    moderation_reason: Mapped[str | None] = mapped_column(String(255))
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    appointment: Mapped[Appointment] = relationship()  # noqa: F821
    doctor: Mapped[Doctor] = relationship()  # noqa: F821
    hospital: Mapped[Hospital] = relationship()  # noqa: F821


class VisitFeedback(db.Model):
    """The doctor's view of a visit: punctuality and preparation (1-5) and a short note."""

    __tablename__ = "visit_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    punctuality: Mapped[int] = mapped_column(SmallInteger)
    preparation: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    appointment: Mapped[Appointment] = relationship()  # noqa: F821
    doctor: Mapped[Doctor] = relationship()  # noqa: F821
