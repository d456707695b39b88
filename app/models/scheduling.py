"""Availability and bookings, after CARE's scheduling model (docs/architecture.md, "Integrity" and "Time").

A SchedulableResource is what a booking holds: a doctor, or a bookable room. Schedules carry weekly rules for one
hospital from valid_from until valid_till; exceptions remove or add time. An appointment holds its resources through
Claim rows, one per 5-minute cell and seat, and UNIQUE(resource_id, cell_start, seat) is what makes double booking
impossible on every database.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class SchedulableResource(db.Model):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # doctor | location
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), unique=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), unique=True)

    doctor: Mapped[Doctor | None] = relationship()  # noqa: F821
    room: Mapped[Room | None] = relationship()  # noqa: F821


class Schedule(db.Model):
    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_resource_hospital", "resource_id", "hospital_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    valid_from: Mapped[date]
    valid_till: Mapped[date | None]  # exclusive; None = until changed
    horizon_days: Mapped[int] = mapped_column(default=60)
    daily_limit: Mapped[int | None]
    min_notice_minutes: Mapped[int] = mapped_column(default=60)
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    urgent_share: Mapped[float] = mapped_column(default=0.0)
    urgent_release_hours: Mapped[int] = mapped_column(default=24)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resource: Mapped[SchedulableResource] = relationship()
    hospital: Mapped[Hospital] = relationship()  # noqa: F821
    rules: Mapped[list[AvailabilityRule]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan",
        order_by="(AvailabilityRule.weekday, AvailabilityRule.start)")


class AvailabilityRule(db.Model):
    __tablename__ = "availability_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # Monday 0
    start: Mapped[time]
    end: Mapped[time]
    kind: Mapped[str] = mapped_column(String(8), default="slots")  # slots | tokens
    slot_minutes: Mapped[int] = mapped_column(default=15)
    tokens_per_slot: Mapped[int] = mapped_column(default=1)
    appointment_types: Mapped[str] = mapped_column(String(255), default="")  # comma-separated codes; "" = all
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))

    schedule: Mapped[Schedule] = relationship(back_populates="rules")
    room: Mapped[Room | None] = relationship()  # noqa: F821

    @property
    def type_codes(self) -> frozenset[str]:
        return frozenset(c for c in self.appointment_types.split(",") if c)


class AvailabilityException(db.Model):
    __tablename__ = "availability_exceptions"
    __table_args__ = (Index("ix_exceptions_resource_start", "resource_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    available: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_doctor_start", "doctor_id", "start"),
        Index("ix_appointments_patient_start", "patient_id", "start"),
        Index("ix_appointments_hospital_start", "hospital_id", "start"),
        Index("ix_appointments_room_start", "room_id", "start"),  # a room's busy time: docs/availability-index.md
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))  # a location booking has no doctor
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    appointment_type: Mapped[str] = mapped_column(String(40), default="new")
    start: Mapped[datetime]
    end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    urgency: Mapped[str] = mapped_column(String(8), default="routine")  # set by staff: what the queue uses
    # what the patient stated when booking themselves: a request, never a priority (docs/security.md, "Urgency")
    urgency_by_patient: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    emergency: Mapped[bool] = mapped_column(default=False)
    holds_room: Mapped[bool] = mapped_column(default=False)  # the type needs the room's equipment: room is claimed
    # slots | tokens (a place in a token slot) | location (a booking of a room, e.g. an operating theatre)
    kind: Mapped[str] = mapped_column(String(8), default="slots")
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # the fee and its ISO 4217 currency as they were at booking: later changes of the prices do not touch them
    fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    hold_until: Mapped[datetime | None]  # status "held": a waitlist offer keeps the slot until then
    # the no-show model's probability when booked (or moved), and which model said so; empty without a model
    # (docs/noshow.md, "Predictions on bookings"). Staff see a band, never the patient.
    noshow_p: Mapped[float | None]
    noshow_model: Mapped[str | None] = mapped_column(String(64))
    # the confirm-or-release link of a high-risk booking: set when the patient confirmed, or the link was used
    attendance_answer: Mapped[str | None] = mapped_column(String(12))
    # one occurrence of a recurring series booked by the desk (docs/series.md); moved or cancelled on its own
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)

    patient: Mapped[Patient | None] = relationship()  # noqa: F821
    doctor: Mapped[Doctor | None] = relationship()  # noqa: F821
    room: Mapped[Room | None] = relationship()  # noqa: F821
    hospital: Mapped[Hospital] = relationship()  # noqa: F821


class SentReminder(db.Model):
    """One reminder sent for one appointment at one offset (docs/operations.md, "Reminders"). The unique key is
    what makes the reminder job safe to rerun and to run on two workers at once: the second insert fails and that
    worker sends nothing. The start is part of the key, so a moved appointment is reminded afresh."""

    __tablename__ = "sent_reminders"
    __table_args__ = (UniqueConstraint("appointment_id", "offset_hours", "start", name="uq_sent_reminders"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    offset_hours: Mapped[int]
    start: Mapped[datetime]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Claim(db.Model):
    """One 5-minute cell of one resource held by one appointment, on one seat."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("resource_id", "cell_start", "seat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    cell_start: Mapped[datetime]
    seat: Mapped[int] = mapped_column(default=0)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)


class TokenSlot(db.Model):
    """A capacity slot ("tokens" availability): issued never exceeds capacity, by a conditional update."""

    __tablename__ = "token_slots"
    __table_args__ = (UniqueConstraint("resource_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    start: Mapped[datetime]
    capacity: Mapped[int]
    issued: Mapped[int] = mapped_column(default=0)


class DayCounter(db.Model):
    """Bookings per resource and local day, a known row to lock for daily limits."""

    __tablename__ = "day_counters"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class LocationAccess(db.Model):
    """Who may book a bookable room: its managers (staff, admins) and the doctors they authorise."""

    __tablename__ = "location_access"
    __table_args__ = (UniqueConstraint("room_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # manager | booker

    user: Mapped[User] = relationship()  # noqa: F821


class IndexedSlot(db.Model):
    """One free bookable start as the slot search offers it: derived data, never the source of truth
    (docs/availability-index.md). The rows of a (resource, hospital, local day) are replaced together whenever
    anything that changes the day's availability is written, in the same transaction.

    `variant` "" is the request without an appointment type; `types` lists (",a,b,") the types for which that row
    is also the answer as it stands. A type whose answer differs (a longer appointment, equipment) has rows of its
    own, `variant` = its code. Everything that depends on the moment of the search is kept as an instant to compare
    with it: `book_by` (notice), `open_from` (horizon), `release_at` (the urgent hold-back's release).
    """

    __tablename__ = "slot_index"
    __table_args__ = (
        Index("ix_slot_index_specialty", "specialty_id", "local_date", "start"),
        Index("ix_slot_index_doctor", "doctor_id", "local_date", "start"),
        Index("ix_slot_index_hospital", "hospital_id", "local_date", "start"),
        Index("ix_slot_index_day", "resource_id", "hospital_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int]
    hospital_id: Mapped[int]
    doctor_id: Mapped[int]
    specialty_id: Mapped[int | None]
    variant: Mapped[str] = mapped_column(String(40), default="")
    start: Mapped[datetime]
    end: Mapped[datetime]
    local_date: Mapped[date]
    label: Mapped[str] = mapped_column(String(40))
    types: Mapped[str] = mapped_column(String(255), default="")
    seats_left: Mapped[int]
    urgent_hold: Mapped[bool] = mapped_column(default=False)
    book_by: Mapped[datetime]
    open_from: Mapped[datetime]
    release_at: Mapped[datetime]
