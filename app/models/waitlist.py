"""The cancellation waitlist (issue #7): who waits for what, and the offers a freed slot makes them.

A freed slot is held by a "held" Appointment (no patient yet) whose Claim rows keep search from selling it during the
hold (docs/architecture.md); each Offer points at that hold. Accepting turns the hold into the patient's appointment
by a conditional UPDATE on its status, so racing accepts have exactly one winner. ``active_key`` is set while an entry
waits and cleared when it closes: its unique index refuses a duplicate live entry on every database.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

ENTRY_STATUSES = ("waiting", "booked", "cancelled", "expired")
OFFER_STATUSES = ("open", "accepted", "declined", "taken", "expired", "withdrawn")


class WaitlistEntry(db.Model):
    __tablename__ = "waitlist_entries"
    __table_args__ = (Index("ix_waitlist_entries_status_specialty", "status", "specialty_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialties.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    hospital_ids: Mapped[str] = mapped_column(String(255), default="")  # comma-separated; "" = any
    near_lat: Mapped[float | None]
    near_lon: Mapped[float | None]
    radius_km: Mapped[int | None]
    latest: Mapped[date]  # the last local date the patient accepts
    urgency: Mapped[str] = mapped_column(String(8), default="routine")
    times_of_day: Mapped[str] = mapped_column(String(40), default="")  # morning,afternoon,evening; "" = any
    appointment_type: Mapped[str | None] = mapped_column(String(40))
    # "earlier slot, please": the booking kept until a better one is accepted
    current_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    active_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    booked_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))

    patient: Mapped[Patient] = relationship()  # noqa: F821
    specialty: Mapped[Specialty | None] = relationship()  # noqa: F821
    doctor: Mapped[Doctor | None] = relationship()  # noqa: F821
    current_appointment: Mapped[Appointment | None] = relationship(  # noqa: F821
        foreign_keys=[current_appointment_id])
    offers: Mapped[list[Offer]] = relationship(back_populates="entry", order_by="Offer.created_at")


class Offer(db.Model):
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("entry_id", "hold_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    rank: Mapped[int] = mapped_column(default=0)  # the matcher's place for this candidate, 0 = best

    entry: Mapped[WaitlistEntry] = relationship(back_populates="offers")
    hold: Mapped[Appointment] = relationship()  # noqa: F821
