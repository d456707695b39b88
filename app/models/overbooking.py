"""Overbooking rules (docs/overbooking.md): the region's default, a doctor's, a doctor's for one appointment type.

``scope`` names the level in one unique string ("region", "doctor:7", "doctor:7:type:follow_up"): NULLs are never
equal in a unique index, so the three nullable columns alone could not keep one rule per level.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class OverbookRule(db.Model):
    __tablename__ = "overbook_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), unique=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"), index=True)
    appointment_type: Mapped[str | None] = mapped_column(String(40))
    max_extra: Mapped[int] = mapped_column(default=0)  # 0: overbooking off at this level
    alpha: Mapped[float] = mapped_column(default=0.0)
    low_risk: Mapped[float] = mapped_column(default=0.15)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @staticmethod
    def scope_of(doctor_id: int | None, appointment_type: str | None) -> str:
        if doctor_id is None:
            return "region"
        return f"doctor:{doctor_id}" + (f":type:{appointment_type}" if appointment_type else "")
