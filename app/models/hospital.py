"""Hospitals and what they are made of: departments, rooms and their equipment."""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.money import FALLBACK_CURRENCY, currency_of_country

ROOM_KINDS = ("consultation", "operating_theatre", "vaccination", "imaging", "treatment")

room_equipment = Table(
    "room_equipment",
    db.metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("equipment_id", ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True),
)


def _default_currency(context) -> str:
    """A hospital created without a currency pays in its country's (GBP in GB, EUR in DE)."""
    return currency_of_country(context.get_current_parameters().get("country"))


class Hospital(db.Model):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    city: Mapped[str] = mapped_column(String(80), index=True)
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    # a VARCHAR, not TEXT: a TEXT column sends every sorted read of hospitals (a doctor's hospitals, by name) through
    # an on-disk temporary table on MariaDB (docs/benchmarks.md, "Start-up and plain inserts"); the form allows 500
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float]
    lon: Mapped[float]
    timezone: Mapped[str] = mapped_column(String(64))  # IANA, e.g. Europe/London
    # ISO 4217, e.g. GBP: what its fees are in; rows written outside the ORM get the fallback (app/money.py)
    currency: Mapped[str] = mapped_column(String(3), default=_default_currency, server_default=FALLBACK_CURRENCY)
    active: Mapped[bool] = mapped_column(default=True)
    # hours before an appointment that reminders go out, e.g. "24,2"; None: the REMINDER_HOURS setting
    reminder_hours: Mapped[str | None] = mapped_column(String(40))
    # patients may cancel or move online until this many hours before the start
    cancel_cutoff_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # a booked patient not checked in this long after the start becomes a no-show (jobs.mark_no_shows)
    noshow_grace_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    # how long a waitlist offer holds a freed slot
    offer_hold_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    # a patient's own "urgent" opens the slots held for urgent needs only where this is on (docs/security.md)
    allow_self_declared_urgency: Mapped[bool] = mapped_column(default=False, server_default=false())

    departments: Mapped[list[Department]] = relationship(
        back_populates="hospital", order_by="Department.name"
    )
    rooms: Mapped[list[Room]] = relationship(back_populates="hospital", order_by="Room.name")


def parse_reminder_hours(value: str | None) -> tuple[int, ...] | None:
    """"24, 2" -> (24, 2); None or blank -> None (use the default). ValueError on anything else."""
    if value is None or not value.strip():
        return None
    hours = sorted({int(part) for part in value.split(",") if part.strip()}, reverse=True)
    if not hours or any(h < 1 or h > 24 * 14 for h in hours):
        raise ValueError("reminder hours must be whole hours between 1 and 336")
    return tuple(hours)


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("hospital_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialties.id"))
    active: Mapped[bool] = mapped_column(default=True)

    hospital: Mapped[Hospital] = relationship(back_populates="departments")
    specialty: Mapped[Specialty | None] = relationship()


class Specialty(db.Model):
    __tablename__ = "specialties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)  # token prefix, e.g. CAR
    active: Mapped[bool] = mapped_column(default=True)


class Equipment(db.Model):
    __tablename__ = "equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. ecg, ultrasound
    name: Mapped[str] = mapped_column(String(80))


class Room(db.Model):
    """A room or location; bookable ones (e.g. an operating theatre) get their own schedule."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("hospital_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(24), default="consultation")
    floor: Mapped[str | None] = mapped_column(String(20))
    bookable: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    hospital: Mapped[Hospital] = relationship(back_populates="rooms")
    department: Mapped[Department | None] = relationship()
    equipment: Mapped[list[Equipment]] = relationship(secondary=room_equipment, order_by="Equipment.code")
