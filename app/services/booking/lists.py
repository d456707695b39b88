"""Read models of appointments: a hospital's local day, today's lists and a patient's own appointments."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Patient
from app.models.base import utcnow


def local_today(hospital: Hospital) -> date:
    return datetime.now(ZoneInfo(hospital.timezone)).date()


def day_bounds(hospital: Hospital, day: date) -> tuple[datetime, datetime]:
    """The UTC instants that start and end a hospital's local day (23 or 25 hours around DST)."""
    tz = ZoneInfo(hospital.timezone)
    utc = ZoneInfo("UTC")
    start = datetime.combine(day, time.min, tz).astimezone(utc).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time.min, tz).astimezone(utc).replace(tzinfo=None)
    return start, end


def todays_appointments(hospitals: list[Hospital], doctor_id: int | None = None) -> list[Appointment]:
    """Today's appointments (local day of each hospital), earliest first."""
    if not hospitals:
        return []
    clauses = []
    for hospital in hospitals:
        start, end = day_bounds(hospital, local_today(hospital))
        clauses.append((Appointment.hospital_id == hospital.id) & (Appointment.start >= start)
                       & (Appointment.start < end))
    query = (select(Appointment).where(or_(*clauses))
             .options(joinedload(Appointment.patient), joinedload(Appointment.doctor).joinedload(Doctor.user),
                      joinedload(Appointment.hospital))
             .order_by(Appointment.start))
    if doctor_id is not None:
        query = query.where(Appointment.doctor_id == doctor_id)
    return list(db.session.scalars(query))


def patient_appointments(patient: Patient) -> tuple[list[Appointment], list[Appointment]]:
    """(upcoming, past) for one patient."""
    now = utcnow()
    rows = list(db.session.scalars(
        select(Appointment).where(Appointment.patient_id == patient.id)
        .options(joinedload(Appointment.doctor).joinedload(Doctor.user), joinedload(Appointment.hospital))
        .order_by(Appointment.start)))
    upcoming = [a for a in rows if a.end >= now and a.status in core.ACTIVE]
    # a slot held while the patient pays is neither yet: its pay page shows it (docs/payments.md)
    past = [a for a in reversed(rows) if a not in upcoming and a.status != core.HELD]
    return upcoming, past
