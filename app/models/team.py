"""Procedure teams (docs/teams.md): which roles an appointment type needs, and who takes part in an appointment."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class TeamTemplate(db.Model):
    """The team an appointment type needs. `roles` is a list of {"name", "kind": "doctor" | "room", and either
    "specialty_id" (any active doctor of that specialty at the hospital) or "doctor_ids" (named doctors); a room
    role takes "room_ids" or, without them, every bookable room with the type's equipment}."""

    __tablename__ = "team_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id", ondelete="CASCADE"),
                                                     unique=True)
    roles: Mapped[list] = mapped_column(JSON)

    appointment_type: Mapped[AppointmentType] = relationship()  # noqa: F821


class Participant(db.Model):
    """One resource (doctor or room) taking part in a team appointment, in a role. `absent` is set when the
    participant's leave covers the appointment: it then needs rebooking."""

    __tablename__ = "appointment_participants"
    __table_args__ = (UniqueConstraint("appointment_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    absent: Mapped[bool] = mapped_column(default=False)

    resource: Mapped[SchedulableResource] = relationship()  # noqa: F821
