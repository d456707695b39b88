"""Reminders before appointments: which appointment gets which reminder, queued in the outbox."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment
from app.models.base import utcnow
from app.models.hospital import Hospital, parse_reminder_hours
from app.notifications import events
from app.scheduling.codes import Kind, Status
from app.scheduling.noshow_features import HIGH_FROM

log = logging.getLogger(__name__)


def send_reminders(default_hours: tuple[int, ...], now: datetime | None = None, confirm_hours: int = 72) -> int:
    """Queue reminders `default_hours` (the REMINDER_HOURS setting, or the hospital's own reminder_hours) before each
    scheduled appointment.

    Each appointment gets the reminder of the nearest offset whose moment has come (a job that was down for a day
    sends one reminder, not two), and none for an offset that had passed when it was booked (the confirmation
    said it all). High-risk bookings also get a confirm-or-release request ``confirm_hours`` ahead. The dedupe key
    (appointment, offset, start) makes repeated runs harmless, and a moved
    appointment gets fresh reminders; delivery skips a reminder whose appointment was cancelled meanwhile.
    """
    now = now or utcnow()
    default = tuple(default_hours)
    per_hospital = _reminder_hours_by_hospital()  # a hospital's own offsets replace the default
    widest = max((h for offsets in (default, *per_hospital.values()) for h in offsets), default=0)
    if not widest:
        return send_confirm_requests(confirm_hours, now)
    due = db.session.scalars(select(Appointment).where(
        Appointment.status == Status.SCHEDULED, Appointment.kind != Kind.LOCATION, Appointment.patient_id.is_not(None),
        Appointment.start > now, Appointment.start <= now + timedelta(hours=widest))).all()
    queued = 0
    for appointment in due:
        offsets = sorted(per_hospital.get(appointment.hospital_id, default))
        hours = next((h for h in offsets if appointment.start - now <= timedelta(hours=h)), None)
        if hours is None:
            continue
        if appointment.created_at > appointment.start - timedelta(hours=hours):
            continue
        queued += events.appointment_reminder(appointment, hours)
    return queued + send_confirm_requests(confirm_hours, now)


def send_confirm_requests(hours: int, now: datetime) -> int:
    """The extra reminder of high-risk bookings (docs/noshow.md, "Confirm or release"): ``hours`` before the
    start, a request to confirm or to release the time, with a signed single-use link. Only for bookings made at
    least a day before that moment (a short-notice booking was just confirmed by the patient booking it) and not
    answered yet; the dedupe key sends it once per start."""
    if hours <= 0:
        return 0
    due = db.session.scalars(select(Appointment).where(
        Appointment.status == Status.SCHEDULED, Appointment.kind != Kind.LOCATION, Appointment.patient_id.is_not(None),
        Appointment.noshow_p >= HIGH_FROM, Appointment.attendance_answer.is_(None),
        Appointment.start > now, Appointment.start <= now + timedelta(hours=hours))).all()
    queued = 0
    for appointment in due:
        if appointment.created_at <= appointment.start - timedelta(hours=hours + 24):
            queued += events.confirm_request(appointment, hours)
    return queued


def _reminder_hours_by_hospital() -> dict[int, tuple[int, ...]]:
    """Hospitals that set their own reminder hours (Hospital.reminder_hours); a bad value falls back to the default."""
    found = {}
    for hospital_id, value in db.session.execute(select(Hospital.id, Hospital.reminder_hours).where(
            Hospital.reminder_hours.is_not(None))):
        try:
            hours = parse_reminder_hours(value)
        except ValueError:
            log.warning("hospital %s: unreadable reminder hours %r, using the default", hospital_id, value)
            continue
        if hours is not None:
            found[hospital_id] = hours
    return found
