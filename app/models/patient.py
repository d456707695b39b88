"""Patients: with an account (self-registered) or without one (registered at the desk)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

SEXES = ("female", "male", "other", "unknown")
BLOOD_TYPES = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")


class Patient(db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    birth_date: Mapped[date | None]
    sex: Mapped[str | None] = mapped_column(String(8))
    blood_type: Mapped[str | None] = mapped_column(String(3))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    emergency_contact_name: Mapped[str | None] = mapped_column(String(120))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # channel choices: the outbox skips a channel the patient turned off (app/notifications/events.py)
    notify_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_sms: Mapped[bool] = mapped_column(default=True, server_default=true())
    photo: Mapped[str | None] = mapped_column(String(255))  # relative to UPLOAD_FOLDER, e.g. patients/<hex>.png
    anonymised_at: Mapped[datetime | None]  # the account was deleted; kept appointments point to this row
    # the hospital whose desk registered the patient: a tie that lets its desk see the full record (docs/security.md)
    registered_hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"), index=True)

    user: Mapped[User | None] = relationship()  # noqa: F821
