"""The daily statistics the reports read (docs/reports.md): derived rows, never edited by hand.

`stats rebuild` and the nightly job replace a day's rows together; every figure is a count, a sum of minutes or a
median of the day, so a week or a month is summed from them and the dashboards never read the appointments.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Double, Index, UniqueConstraint
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


class StatTotal(db.Model):
    """Running totals of one specialty at one hospital through a local day (docs/reports.md, "Running totals"):
    every summed figure of the daily statistics from the first day up to and including ``day``, so the sum of any
    period is two rows' difference. Derived from daily_stats and access_stats and rewritten with them; one row per
    day from the pair's first day on, so a period's edges always have a row."""

    __tablename__ = "stat_totals"
    __table_args__ = (UniqueConstraint("day", "hospital_id", "specialty_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    hospital_id: Mapped[int]
    specialty_id: Mapped[int]
    offered_minutes: Mapped[int] = mapped_column(BigInteger)
    booked_minutes: Mapped[int] = mapped_column(BigInteger)
    used_minutes: Mapped[int] = mapped_column(BigInteger)
    lost_minutes: Mapped[int] = mapped_column(BigInteger)
    appointments: Mapped[int] = mapped_column(BigInteger)
    completed: Mapped[int] = mapped_column(BigInteger)
    no_shows: Mapped[int] = mapped_column(BigInteger)
    cancellations: Mapped[int] = mapped_column(BigInteger)
    late_cancellations: Mapped[int] = mapped_column(BigInteger)
    lead_count: Mapped[int] = mapped_column(BigInteger)
    lead_hours_sum: Mapped[float] = mapped_column(Double)
    offers: Mapped[int] = mapped_column(BigInteger)
    offers_accepted: Mapped[int] = mapped_column(BigInteger)
    holds: Mapped[int] = mapped_column(BigInteger)
    holds_refilled: Mapped[int] = mapped_column(BigInteger)
    walk_ins: Mapped[int] = mapped_column(BigInteger)
    booked_arrivals: Mapped[int] = mapped_column(BigInteger)
    wait_count: Mapped[int] = mapped_column(BigInteger)
    wait_minutes_sum: Mapped[float] = mapped_column(Double)
    consult_count: Mapped[int] = mapped_column(BigInteger)
    consult_minutes_sum: Mapped[float] = mapped_column(Double)
    # each day's median or p90 times its count: a period's count-weighted mean is the difference over the counts'
    wait_median_weighted: Mapped[float] = mapped_column(Double)
    wait_p90_weighted: Mapped[float] = mapped_column(Double)
    consult_median_weighted: Mapped[float] = mapped_column(Double)
    consult_p90_weighted: Mapped[float] = mapped_column(Double)
    # access: days measured at all, days with a third next appointment, and the sum of those days' measures
    access_days: Mapped[int] = mapped_column(BigInteger)
    access_measured: Mapped[int] = mapped_column(BigInteger)
    access_sum: Mapped[float] = mapped_column(Double)
