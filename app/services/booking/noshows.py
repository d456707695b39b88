"""Booked patients who never came: no-shows, their time freed for others."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Hospital
from app.models.base import utcnow
from app.scheduling.codes import Kind, Status
from app.services.booking.operations import cancel

log = logging.getLogger(__name__)


def mark_no_shows(now: datetime | None = None) -> int:
    """Booked patients not checked in within their hospital's noshow_grace_minutes after the start become no-shows.

    cancel(status="no_show") deletes the claims (or gives the token back) in the same transaction, so the
    time is free again for the waitlist. Room bookings have nobody to check in and are left alone.
    """
    now = now or utcnow()
    late = db.session.execute(select(Appointment, Hospital.noshow_grace_minutes)
                              .join(Hospital, Hospital.id == Appointment.hospital_id)
                              .where(Appointment.status == Status.SCHEDULED, Appointment.kind != Kind.LOCATION,
                                     Appointment.patient_id.is_not(None), Appointment.start <= now)).all()
    marked = 0
    for appointment, grace in late:
        if appointment.start + timedelta(minutes=grace or 0) > now:
            continue
        try:
            cancel(None, appointment, "not checked in", status="no_show",
                           comment=f"not checked in within {grace} minutes of the start")
            marked += 1
        except core.SchedulingError:
            log.warning("appointment %s could not become a no-show", appointment.id, exc_info=True)
    return marked
