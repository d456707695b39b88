"""The region at a glance (the admin home page)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Patient, User
from app.models.base import utcnow
from app.scheduling.codes import Status


def region_counts() -> dict[str, int]:
    return {
        "hospitals": db.session.scalar(select(func.count(Hospital.id)).where(Hospital.active)),
        "doctors": db.session.scalar(select(func.count(Doctor.id)).where(Doctor.active)),
        "patients": db.session.scalar(select(func.count(Patient.id))),
        "users": db.session.scalar(select(func.count(User.id))),
        "upcoming": db.session.scalar(select(func.count(Appointment.id)).where(
            Appointment.start >= utcnow(), Appointment.status == Status.SCHEDULED)),
    }
