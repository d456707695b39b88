"""The portal's own history as training rows: `flask noshow train --from-db` (docs/noshow.md, "The portal's own
history").

Each past appointment that took place or was missed becomes one row of the data set's layout, built by the same
`booking_row` that predictions score with, so a model trained here sees bookings exactly as it will later score them.
Only what was known when the booking was made goes in (its creation time, the patient's birth date and SMS
setting); the patient's earlier outcomes come from the rows themselves, through the history that counts only days
before each booking (app/scheduling/noshow_features.py).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Hospital, Patient
from app.scheduling.codes import Kind, Status
from app.scheduling.noshow_features import BookingFacts, Loaded, NoShowDataError, booking_row
from app.services.noshow.predictions import VISITED

UTC = ZoneInfo("UTC")


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def _age(birth, on) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def portal_rows(until: datetime) -> Loaded:
    """Appointments with a known outcome that started before ``until`` (naive UTC). Rows booked after their own
    start (staff recording a visit afterwards) are left out and counted, as the data set's are."""
    found = db.session.execute(
        select(Appointment.id, Appointment.patient_id, Appointment.created_at, Appointment.start,
               Appointment.status, Hospital.timezone, Patient.birth_date, Patient.sex, Patient.notify_sms,
               Patient.phone)
        .join(Hospital, Hospital.id == Appointment.hospital_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Appointment.status.in_(VISITED), Appointment.kind != Kind.LOCATION, Appointment.start < until)
        .order_by(Appointment.start, Appointment.id)).all()
    rows, dropped = [], 0
    for (appointment_id, patient_id, created, start, status, timezone, birth, sex, notify_sms, phone) in found:
        if created > start:
            dropped += 1
            continue
        tz = ZoneInfo(timezone)
        day = _local(start, tz).date()
        facts = BookingFacts(booked=_local(created, tz), day=day, age=_age(birth, day), female=sex == "female",
                             sms_enabled=bool(notify_sms and phone), prior_visits=0, prior_noshows=0)
        rows.append(booking_row(facts, patient=str(patient_id), appointment=str(appointment_id),
                                no_show=status == Status.NO_SHOW))
    if not rows:
        raise NoShowDataError("the portal has no past appointments with a known outcome (completed or no-show)")
    return Loaded(rows, dropped)
