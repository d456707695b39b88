"""A recurring series of appointments booked together by the desk (docs/series.md).

The series keeps its rule (for the page and the API to show) and who booked it; each occurrence is an ordinary
appointment pointing at it through appointments.series_id, cancelled or moved on its own like any other.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))  # None: any doctor of the specialty
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialties.id"))
    appointment_type: Mapped[str | None] = mapped_column(String(40))
    first_day: Mapped[date]
    every: Mapped[int]
    unit: Mapped[str] = mapped_column(String(5))  # days | weeks
    count: Mapped[int | None]
    until: Mapped[date | None]
    window_start: Mapped[time]
    window_end: Mapped[time]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship()  # noqa: F821
    hospital: Mapped[Hospital] = relationship()  # noqa: F821
    doctor: Mapped[Doctor | None] = relationship()  # noqa: F821
