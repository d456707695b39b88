"""The front-desk queue (issue #5): one token line per doctor, hospital and local day, and the encounters it starts.

Token numbers come from QueueCounter, one known row per queue and day, advanced by a conditional UPDATE, and
UNIQUE(queue_id, day, number) on QueueEntry backs it (docs/architecture.md). UNIQUE(queue_id, day, patient_id) refuses
a second token for the same patient with the same doctor on one day. An Encounter exists only after check-in.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

ENTRY_STATUSES = ("waiting", "called", "in_progress", "completed", "left", "no_show")


class Queue(db.Model):
    """A doctor's line at one hospital; its prefix labels the tokens (CAR-014)."""

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("hospital_id", "doctor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(3))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))  # where patients are called to

    hospital: Mapped[Hospital] = relationship()  # noqa: F821
    doctor: Mapped[Doctor] = relationship()  # noqa: F821
    room: Mapped[Room | None] = relationship()  # noqa: F821


class QueueCounter(db.Model):
    """The last token number issued in a queue on a local day: the known row that numbering locks."""

    __tablename__ = "queue_counters"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None]  # the session ended: no more tokens, open entries were closed


class QueueEntry(db.Model):
    """One token: a checked-in appointment or a walk-in, waiting -> called -> in_progress -> completed."""

    __tablename__ = "queue_entries"
    __table_args__ = (
        UniqueConstraint("queue_id", "day", "number"),
        UniqueConstraint("queue_id", "day", "patient_id"),
        Index("ix_queue_entries_queue_day_status", "queue_id", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    day: Mapped[date]
    number: Mapped[int]
    label: Mapped[str] = mapped_column(String(12))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), unique=True)
    source: Mapped[str] = mapped_column(String(12))  # appointment | walkin
    priority: Mapped[str] = mapped_column(String(10), default="normal")  # emergency | urgent | vip | normal
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    manual_offset: Mapped[int] = mapped_column(default=0)
    arrived_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    queue: Mapped[Queue] = relationship()
    patient: Mapped[Patient] = relationship()  # noqa: F821
    appointment: Mapped[Appointment | None] = relationship()  # noqa: F821
    encounter: Mapped[Encounter | None] = relationship(back_populates="entry", uselist=False)


class Encounter(db.Model):
    """The visit itself, created at check-in: vitals, the doctor's consult notes and any follow-up."""

    __tablename__ = "encounters"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("queue_entries.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notes: Mapped[str | None] = mapped_column(Text)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))

    entry: Mapped[QueueEntry] = relationship(back_populates="encounter")
    patient: Mapped[Patient] = relationship()  # noqa: F821
    vitals: Mapped[list[Vitals]] = relationship(back_populates="encounter", order_by="Vitals.recorded_at")


class Vitals(db.Model):
    """One set of observations; every field optional, each checked against physiological ranges by the core."""

    __tablename__ = "vitals"

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    systolic_mmhg: Mapped[int | None]
    diastolic_mmhg: Mapped[int | None]
    pulse_bpm: Mapped[int | None]
    temperature_c: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    spo2_percent: Mapped[int | None]
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))

    encounter: Mapped[Encounter] = relationship(back_populates="vitals")
