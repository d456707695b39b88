"""Doctors and the appointment types hospitals offer."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

doctor_hospitals = Table(
    "doctor_hospitals",
    db.metadata,
    Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True),
    Column("hospital_id", ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True),
)

appointment_type_equipment = Table(
    "appointment_type_equipment",
    db.metadata,
    Column("appointment_type_id", ForeignKey("appointment_types.id", ondelete="CASCADE"), primary_key=True),
    Column("equipment_id", ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True),
)

APPOINTMENT_KINDS = ("new", "follow_up")


class Doctor(db.Model):
    __tablename__ = "doctors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialties.id"), index=True)
    qualifications: Mapped[str | None] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(255))
    languages: Mapped[str] = mapped_column(String(60), default="en")  # comma-separated ISO 639-1
    fee: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)
    # approved ratings only, kept by moderation in its own transaction, so search shows them without a query per
    # row (docs/ratings.md, "In search")
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_total: Mapped[int] = mapped_column(default=0, server_default="0")

    user: Mapped[User] = relationship()  # noqa: F821
    specialty: Mapped[Specialty] = relationship()  # noqa: F821
    hospitals: Mapped[list[Hospital]] = relationship(  # noqa: F821
        secondary=doctor_hospitals, order_by="Hospital.name"
    )

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class AppointmentType(db.Model):
    """What can be booked at a hospital: new or follow-up, its length, fee and needed equipment."""

    __tablename__ = "appointment_types"
    __table_args__ = (UniqueConstraint("hospital_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # what schedules and the API name
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16), default="new")
    duration_minutes: Mapped[int] = mapped_column(default=15)
    fee: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)
    # hours before the start that reminders go out, largest first, e.g. "168,24" (the form says "7d, 1d");
    # None: the hospital's reminder hours, else REMINDER_HOURS (app/scheduling/reminders.py)
    reminder_offsets: Mapped[str | None] = mapped_column(String(40))

    hospital: Mapped[Hospital] = relationship()  # noqa: F821
    equipment: Mapped[list[Equipment]] = relationship(secondary=appointment_type_equipment)  # noqa: F821
