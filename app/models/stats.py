"""The daily statistics the reports read (docs/reports.md): derived rows, never edited by hand.

`stats rebuild` and the nightly job replace a day's rows together; every figure is a count, a sum of minutes or a
median of the day, so a week or a month is summed from them and the dashboards never read the appointments.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class DailyStat(db.Model):
    """One doctor at one hospital on one local day (app.scheduling.stats.DayFigures)."""

    __tablename__ = "daily_stats"
    __table_args__ = (
        UniqueConstraint("day", "hospital_id", "doctor_id"),
        Index("ix_daily_stats_hospital_day", "hospital_id", "day"),
        Index("ix_daily_stats_doctor_day", "doctor_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    hospital_id: Mapped[int]
    doctor_id: Mapped[int]
    specialty_id: Mapped[int]
    offered_minutes: Mapped[int]
    booked_minutes: Mapped[int]
    used_minutes: Mapped[int]
    lost_minutes: Mapped[int]
    appointments: Mapped[int]
    completed: Mapped[int]
    no_shows: Mapped[int]
    cancellations: Mapped[int]
    late_cancellations: Mapped[int]
    lead_count: Mapped[int]
    lead_hours_sum: Mapped[float]
    lead_hours_median: Mapped[float | None]
    offers: Mapped[int]
    offers_accepted: Mapped[int]
    holds: Mapped[int]
    holds_refilled: Mapped[int]
    walk_ins: Mapped[int]
    booked_arrivals: Mapped[int]
    wait_count: Mapped[int]
    wait_minutes_sum: Mapped[float]
    wait_median: Mapped[float | None]
    wait_p90: Mapped[float | None]
    consult_count: Mapped[int]
    consult_minutes_sum: Mapped[float]
    consult_median: Mapped[float | None]
    consult_p90: Mapped[float | None]


class AccessStat(db.Model):
    """Access to one specialty at one hospital as it stood at the start of a local day: the third next available
    appointment in days (None: fewer than three free slots in the look-ahead)."""

    __tablename__ = "access_stats"
    __table_args__ = (
        UniqueConstraint("day", "hospital_id", "specialty_id"),
        Index("ix_access_stats_hospital_day", "hospital_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    hospital_id: Mapped[int]
    specialty_id: Mapped[int]
    third_next_days: Mapped[float | None]
