"""Reminders before appointments: which appointment gets which reminder, queued in the outbox
(docs/operations.md, "Reminders")."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Appointment, AppointmentType, SentReminder
from app.models.base import utcnow
from app.models.hospital import Hospital, parse_reminder_hours
from app.notifications import events
from app.scheduling import reminders as offsets_core
from app.scheduling.codes import Kind, Status
from app.scheduling.noshow_features import HIGH_FROM

log = logging.getLogger(__name__)


def send_reminders(default_hours: tuple[int, ...], now: datetime | None = None, confirm_hours: int = 72) -> int:
    """Queue the reminders that are due: each appointment's offsets are its type's own, else its hospital's
    reminder hours, else `default_hours` (the REMINDER_HOURS setting).

    Each appointment gets the reminder of the nearest offset whose moment has come (a job that was down for a day
    sends one reminder, not two), and none for an offset that had passed when it was booked (the confirmation
    said it all). Each (appointment, offset, start) is sent once: a SentReminder row, whose unique key stops a
    rerun or a second worker. High-risk bookings also get a confirm-or-release request ``confirm_hours`` ahead.
    Delivery skips a reminder whose appointment was cancelled or moved meanwhile.
    """
    now = now or utcnow()
    default = tuple(default_hours)
    per_hospital = _reminder_hours_by_hospital()  # a hospital's own offsets replace the default
    per_type = _offsets_by_type()  # and a type's own replace both
    widest = max((h for offsets in (default, *per_hospital.values(), *per_type.values()) for h in offsets),
                 default=0)
    if not widest:
        return send_confirm_requests(confirm_hours, now)
    due = db.session.scalars(select(Appointment).where(
        Appointment.status == Status.SCHEDULED, Appointment.kind != Kind.LOCATION, Appointment.patient_id.is_not(None),
        Appointment.start > now, Appointment.start <= now + timedelta(hours=widest))).all()
    queued = 0
    for appointment in due:
        offsets = per_type.get((appointment.hospital_id, appointment.appointment_type)) \
            or per_hospital.get(appointment.hospital_id, default)
        hours = next((h for h in sorted(offsets) if appointment.start - now <= timedelta(hours=h)), None)
        if hours is None or appointment.created_at > appointment.start - timedelta(hours=hours):
            continue
        if _claim(appointment, hours, now):
            queued += events.appointment_reminder(appointment, hours)
    return queued + send_confirm_requests(confirm_hours, now)


def _claim(appointment: Appointment, hours: int, now: datetime) -> bool:
    """Record that this reminder goes out; False when it went out already (here, or on another worker: the
    unique key makes the second insert fail, after the first commits)."""
    if db.session.scalar(select(SentReminder.id).where(
            SentReminder.appointment_id == appointment.id, SentReminder.offset_hours == hours,
            SentReminder.start == appointment.start)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SentReminder(appointment_id=appointment.id, offset_hours=hours, start=appointment.start,
                                        sent_at=now))
    except IntegrityError:
        return False
    return True


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


def _offsets_by_type() -> dict[tuple[int, str], tuple[int, ...]]:
    """(hospital, type code) -> the appointment type's own offsets, for the types that set them."""
    found = {}
    for hospital_id, code, value in db.session.execute(select(
            AppointmentType.hospital_id, AppointmentType.code, AppointmentType.reminder_offsets).where(
            AppointmentType.reminder_offsets.is_not(None))):
        hours = offsets_core.from_stored(value)
        if hours:
            found[(hospital_id, code)] = hours
    return found
