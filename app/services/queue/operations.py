"""The front-desk token queue (issue #5): walk-ins and checked-in appointments in one line per doctor and day.

Plain functions that flush and never commit (the caller commits once, or rolls back on a core SchedulingError, so
a refusal changes nothing). Instants are naive UTC; a queue's ``day`` is the hospital's local date.

Integrity (docs/architecture.md): a token number comes from the QueueCounter row of (queue, day), created by an upsert
and advanced by one conditional UPDATE that also refuses a closed day; the row lock it takes serialises issuers of
one queue, and UNIQUE(queue_id, day, number) / UNIQUE(queue_id, day, patient_id) are the database's guarantees.
Every change is audited ("queue.*") and noted for the live boards (app.realtime.note_queue_change), which the
caller announces after its commit with realtime.publish_queue_changes().

Reading the boards (queue_for, hospital_board) lives in app.services.queue_views; vitals, notes and history in
app.services.queue_clinical. Both are re-exported here, so callers need only this module.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app import realtime
from app import scheduling as core
from app.extensions import db
from app.models import (
    Appointment,
    AvailabilityRule,
    Department,
    Doctor,
    Encounter,
    Hospital,
    Patient,
    Queue,
    QueueCounter,
    QueueEntry,
    SchedulableResource,
    Schedule,
)
from app.models.base import utcnow
from app.scheduling.codes import EntryStatus, Kind, Priority, Status, Urgency
from app.services import audit, booking
from app.services.queue.board import QueueRow, hospital_board, position_of, queue_for, room_name
from app.services.queue.clinical import patient_history, record_vitals, save_notes
from app.services.rows import ensure_row

__all__ = [
    "PRIORITIES", "QueueRow", "appointment_from_code", "call_next", "check_in", "checkin_code", "hospital_board",
    "issue_walkin", "local_today", "move", "patient_history", "position_of", "queue_for", "queue_of",
    "record_vitals", "save_notes", "set_status",
]

PRIORITIES = core.PRIORITY_CHOICES  # form order: normal, urgent, emergency, vip
CHECKIN_SALT = "waitless.check-in"
ENTRY_AUDIT = ("label", "status", "priority", "manual_offset", "patient_id", "appointment_id")


def local_today(hospital: Hospital, now: datetime | None = None) -> date:
    """The hospital's local date at ``now`` (naive UTC)."""
    return core.local_day(now or utcnow(), ZoneInfo(hospital.timezone))


def queue_of(hospital_id: int, doctor_id: int, *, create: bool = True) -> Queue | None:
    """The doctor's queue at the hospital, created on first use (prefix: the specialty's code)."""
    found = db.session.scalar(select(Queue).where(Queue.hospital_id == hospital_id, Queue.doctor_id == doctor_id))
    if found is not None or not create:
        return found
    doctor = db.session.get(Doctor, doctor_id)
    ensure_row(Queue, {"hospital_id": hospital_id, "doctor_id": doctor_id},
               {"prefix": (doctor.specialty.code if doctor and doctor.specialty else "") or "",
                "room_id": _clinic_room(hospital_id, doctor_id)})
    # a locking read sees the row a racing issuer committed after this transaction's snapshot (MariaDB)
    return db.session.scalar(select(Queue).where(Queue.hospital_id == hospital_id, Queue.doctor_id == doctor_id)
                             .with_for_update().execution_options(populate_existing=True))


def _clinic_room(hospital_id: int, doctor_id: int) -> int | None:
    """The room of the doctor's latest weekly hours there: where the waiting-room screen sends patients."""
    return db.session.scalar(
        select(AvailabilityRule.room_id).join(Schedule, Schedule.id == AvailabilityRule.schedule_id)
        .join(SchedulableResource, SchedulableResource.id == Schedule.resource_id)
        .where(SchedulableResource.doctor_id == doctor_id, Schedule.hospital_id == hospital_id,
               AvailabilityRule.room_id.is_not(None))
        .order_by(Schedule.valid_from.desc()).limit(1))


def _next_number(queue: Queue, day: date, doctor_name: str) -> int:
    ensure_row(QueueCounter, {"queue_id": queue.id, "day": day}, {"last_number": 0})
    advanced = db.session.execute(update(QueueCounter).where(
        QueueCounter.queue_id == queue.id, QueueCounter.day == day, QueueCounter.closed_at.is_(None))
        .values(last_number=QueueCounter.last_number + 1)).rowcount
    if advanced == 0:
        raise core.QueueError(f"The queue of {doctor_name} is closed for today.", "doctor")
    return db.session.execute(select(QueueCounter.last_number).where(
        QueueCounter.queue_id == queue.id, QueueCounter.day == day).with_for_update()).scalar_one()


def _refuse_second_token(queue: Queue, day: date, patient: Patient, doctor: Doctor) -> None:
    label = db.session.scalar(select(QueueEntry.label).where(
        QueueEntry.queue_id == queue.id, QueueEntry.day == day, QueueEntry.patient_id == patient.id))
    if label is not None:
        raise core.QueueError(f"{patient.name} already has a token for {doctor.name} today ({label}).", "patient")


def _issue(actor_id: int | None, hospital: Hospital, doctor: Doctor, patient: Patient, *, source: str,
           priority: str, now: datetime, appointment: Appointment | None = None) -> QueueEntry:
    """Number, insert and audit one entry with its encounter; the unique indexes have the last word."""
    if priority not in core.PRIORITY_CHOICES:
        raise core.QueueError(f"Priority must be one of {', '.join(core.PRIORITY_CHOICES)}.", "priority",
                              http_status=422)
    day = local_today(hospital, now)
    patient_name, doctor_name = patient.name, doctor.name  # a failed flush leaves the session unreadable
    queue = queue_of(hospital.id, doctor.id)
    _refuse_second_token(queue, day, patient, doctor)
    try:
        number = _next_number(queue, day, doctor_name)
        entry = QueueEntry(queue_id=queue.id, day=day, number=number, label=core.token_label(queue.prefix, number),
                           patient_id=patient.id, appointment_id=appointment.id if appointment else None,
                           source=source, priority=priority, status=EntryStatus.WAITING, arrived_at=now,
                           created_by_id=actor_id)
        db.session.add(entry)
        db.session.flush()
    except IntegrityError as err:
        text = str(err.orig)
        if "patient_id" in text:
            raise core.QueueError(f"{patient_name} already has a token for {doctor_name} today.", "patient") from None
        if "appointment_id" in text:
            raise core.QueueError("This appointment is already checked in.", "appointment") from None
        raise
    except OperationalError as err:
        if err.orig and err.orig.args and err.orig.args[0] in booking.LOCK_ERRORS:
            raise core.QueueError("The desk is busy; please issue the token again.", "doctor") from None
        raise
    db.session.add(Encounter(entry_id=entry.id, patient_id=patient.id, doctor_id=doctor.id,
                             hospital_id=hospital.id, appointment_id=entry.appointment_id, created_at=now))
    audit.record(actor_id, "queue.checkin" if appointment else "queue.walkin", "queue_entry", entry.id,
                 hospital_id=hospital.id, after=audit.snapshot(entry, ENTRY_AUDIT))
    realtime.note_queue_change(hospital.id, doctor.id, day)
    return entry


def _doctor_at(hospital: Hospital, doctor_id: int) -> Doctor:
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None or hospital not in doctor.hospitals:
        raise core.QueueError("This doctor does not work at this hospital.", "doctor", http_status=422)
    if not doctor.active:
        raise core.QueueError(f"{doctor.name} is not seeing patients.", "doctor", http_status=422)
    return doctor


def _shortest_line(hospital: Hospital, department_id: int, day: date) -> Doctor:
    """The department's active doctor (same specialty, at this hospital) with the fewest waiting; ties by name."""
    department = db.session.get(Department, department_id)
    if department is None or department.hospital_id != hospital.id or not department.active:
        raise core.QueueError("No such department at this hospital.", "department", http_status=422)
    doctors = [d for d in db.session.scalars(select(Doctor).where(
        Doctor.active, Doctor.specialty_id == department.specialty_id,
        Doctor.hospitals.any(Hospital.id == hospital.id)))] if department.specialty_id else []
    if not doctors:
        raise core.QueueError(f"No doctor of {department.name} is seeing patients.", "department",
                              http_status=422)
    waiting = dict(db.session.execute(
        select(Queue.doctor_id, func.count(QueueEntry.id)).join(QueueEntry, QueueEntry.queue_id == Queue.id)
        .where(Queue.hospital_id == hospital.id, QueueEntry.day == day, QueueEntry.status == EntryStatus.WAITING)
        .group_by(Queue.doctor_id)).all())
    closed = set(db.session.scalars(select(Queue.doctor_id).join(QueueCounter, QueueCounter.queue_id == Queue.id)
                                    .where(Queue.hospital_id == hospital.id, QueueCounter.day == day,
                                           QueueCounter.closed_at.is_not(None))))
    open_doctors = [d for d in doctors if d.id not in closed] or doctors
    return min(open_doctors, key=lambda d: (waiting.get(d.id, 0), d.name, d.id))


def issue_walkin(actor_id: int | None, hospital_id: int, patient: Patient, *, doctor_id: int | None = None,
                 department_id: int | None = None, priority: str = "normal",
                 now: datetime | None = None) -> QueueEntry:
    """Issue a walk-in token for the hospital's current day with a doctor, or with the department's shortest line.

    Refuses an unknown or inactive doctor, a closed queue and a second token for the same patient and doctor that
    day (QueueError, field "patient").
    """
    now = now or utcnow()
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None or not hospital.active:
        raise core.QueueError("No such hospital.", "hospital", http_status=422)
    if doctor_id:
        doctor = _doctor_at(hospital, doctor_id)
    elif department_id:
        doctor = _shortest_line(hospital, department_id, local_today(hospital, now))
    else:
        raise core.QueueError("Choose a doctor or a department.", "doctor", http_status=422)
    return _issue(actor_id, hospital, doctor, patient, source="walkin", priority=priority, now=now)


def check_in(actor_id: int | None, appointment: Appointment, *, now: datetime | None = None,
             priority: str | None = None, hospital_id: int | None = None) -> QueueEntry:
    """Check in a booked patient who arrived: the appointment becomes checked_in, the entry and encounter exist.

    Only a "scheduled" appointment of the hospital's local today, at ``hospital_id`` when the desk names its own
    hospital. The default priority follows the booking: emergency, urgent, else normal. Token-slot ("tokens")
    appointments check in the same way and keep their slot time as their place in the line.
    """
    now = now or utcnow()
    if appointment.status == core.HELD:  # no patient yet: not a room booking either
        raise core.QueueError("This slot is held for a waitlist offer: nobody has booked it yet.", "appointment")
    if appointment.doctor_id is None or appointment.patient_id is None or appointment.kind == Kind.LOCATION:
        raise core.QueueError("Room bookings are not checked in at the desk.", "appointment", http_status=422)
    hospital = appointment.hospital
    if hospital_id is not None and appointment.hospital_id != hospital_id:
        raise core.QueueError(f"This appointment is at {hospital.name}, not at this hospital.", "appointment")
    if appointment.status != Status.SCHEDULED:
        state = {"checked_in": "already checked in"}.get(appointment.status, appointment.status.replace("_", " "))
        raise core.QueueError(f"This appointment cannot be checked in: it is {state}.", "appointment")
    tz = ZoneInfo(hospital.timezone)
    day = core.local_day(appointment.start, tz)
    if day != local_today(hospital, now):
        raise core.QueueError(f"This appointment is on {day.isoformat()}, not today: it cannot be checked in now.",
                              "appointment")
    # the default follows the appointment's urgency as staff set it; what the patient stated
    # (urgency_by_patient) never raises it (docs/security.md, "Urgency")
    default = (Priority.EMERGENCY if appointment.emergency else
               Priority.URGENT if appointment.urgency == Urgency.URGENT else Priority.NORMAL)
    booking.transition(actor_id, appointment, "checked_in", comment="checked in at the desk")
    entry = _issue(actor_id, hospital, appointment.doctor, appointment.patient, source="appointment",
                   priority=priority or default, now=now, appointment=appointment)
    if priority is not None and priority != default:
        audit.record(actor_id, "queue.priority", "queue_entry", entry.id, hospital_id=hospital.id,
                     before={"priority": str(default)}, after={"priority": priority},
                     comment="set at check-in")
    return entry


# --- the QR code on confirmations: a signed appointment reference for the self check-in kiosk ---

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CHECKIN_SALT)


def _epoch(instant: datetime) -> int:
    return int((instant - datetime(1970, 1, 1)).total_seconds())


def checkin_code(appointment: Appointment) -> str:
    """The appointment's id and start, signed: a moved appointment's old code stops working."""
    return _serializer().dumps([appointment.id, _epoch(appointment.start)])


def appointment_from_code(code: str) -> Appointment:
    """The appointment a check-in code names; QueueError (field "code") when forged, truncated or outdated."""
    try:
        appointment_id, start = _serializer().loads((code or "").strip())
    except (BadSignature, TypeError, ValueError):
        raise core.QueueError("This code is not valid. Please check in at the desk.", "code",
                              http_status=422) from None
    appointment = db.session.get(Appointment, appointment_id) if isinstance(appointment_id, int) else None
    if appointment is None or _epoch(appointment.start) != start:
        raise core.QueueError("This code is not valid any more: the appointment was moved or cancelled. "
                              "Please check in at the desk.", "code", http_status=422)
    return appointment


# --- moving through the statuses ---

def set_status(actor_id: int | None, entry: QueueEntry, status: str, *, now: datetime | None = None,
               comment: str | None = None) -> QueueEntry:
    """Move the entry one allowed step (core.check_entry_transition) and mirror it on its appointment.

    The step is a conditional UPDATE on the entry's current status, so of two people pressing "call" at once one
    wins and the other is told it changed meanwhile. The appointment follows: in_progress and completed as such;
    no_show, and left (the patient went away before being seen), become the appointment's no_show.
    """
    now = now or utcnow()
    old = entry.status
    core.check_entry_transition(old, status)
    stamps: dict = {"status": status}
    if status == EntryStatus.CALLED:
        stamps["called_at"] = now
    elif status == EntryStatus.WAITING:
        stamps["called_at"] = None  # a recall: back in line at the place the order gives
    elif status == EntryStatus.IN_PROGRESS:
        stamps["started_at"] = now
    else:
        stamps["ended_at"] = now
    changed = db.session.execute(update(QueueEntry).where(QueueEntry.id == entry.id, QueueEntry.status == old)
                                 .values(**stamps).execution_options(synchronize_session=False)).rowcount
    if changed == 0:
        db.session.refresh(entry)
        raise core.InvalidTransition(
            f"{entry.label} was changed meanwhile (it is now {entry.status.replace('_', ' ')}).", "status")
    for key, value in stamps.items():
        setattr(entry, key, value)
    _mirror(actor_id, entry, status, comment)
    queue = entry.queue
    audit.record(actor_id, "queue.status", "queue_entry", entry.id, hospital_id=queue.hospital_id,
                 before={"status": old}, after={"status": status}, comment=comment)
    called = {"label": entry.label, "room": room_name(entry)} if status == EntryStatus.CALLED else None
    realtime.note_queue_change(queue.hospital_id, queue.doctor_id, entry.day, called=called)
    return entry


def take_off_queues(actor_id: int | None, patient_id: int, *, now: datetime | None = None,
                    reason: str = "patient erased") -> list[QueueEntry]:
    """End the patient's open tokens (waiting or called) as "left" and tell the boards; audited per entry.

    Unlike the desk's "left", the appointment does not become a no-show: a checked-in appointment is cancelled with
    the reason, as nobody is coming any more.
    """
    now = now or utcnow()
    entries = db.session.scalars(select(QueueEntry).where(
        QueueEntry.patient_id == patient_id,
        QueueEntry.status.in_((EntryStatus.WAITING, EntryStatus.CALLED)))).all()
    for entry in entries:
        old = entry.status
        changed = db.session.execute(update(QueueEntry).where(QueueEntry.id == entry.id, QueueEntry.status == old)
                                     .values(status=EntryStatus.LEFT, ended_at=now)
                                     .execution_options(synchronize_session=False)).rowcount
        if changed == 0:
            continue  # moved on meanwhile (started or ended): not on the live queue any more
        entry.status, entry.ended_at = EntryStatus.LEFT, now
        appointment = entry.appointment
        if appointment is not None and appointment.status == Status.CHECKED_IN:
            booking.cancel(actor_id, appointment, reason, now=now)
        queue = entry.queue
        audit.record(actor_id, "queue.status", "queue_entry", entry.id, hospital_id=queue.hospital_id,
                     before={"status": old}, after={"status": EntryStatus.LEFT}, comment=reason)
        realtime.note_queue_change(queue.hospital_id, queue.doctor_id, entry.day)
    return entries


def _mirror(actor_id: int | None, entry: QueueEntry, status: str, comment: str | None) -> None:
    appointment = entry.appointment
    if appointment is None:
        return
    if status == Status.IN_PROGRESS and appointment.status == Status.CHECKED_IN:
        booking.transition(actor_id, appointment, "in_progress", comment=comment)
    elif status == Status.COMPLETED and appointment.status == Status.IN_PROGRESS:
        booking.transition(actor_id, appointment, "completed", comment=comment)
    elif status in (Status.NO_SHOW, EntryStatus.LEFT) and appointment.status in (Status.SCHEDULED, Status.CHECKED_IN):
        reason = comment or ("left before being seen" if status == EntryStatus.LEFT else "did not come when called")
        booking.cancel(actor_id, appointment, reason, status=EntryStatus.NO_SHOW, comment=reason)


def call_next(actor_id: int | None, hospital_id: int, doctor_id: int, *,
              now: datetime | None = None) -> QueueEntry | None:
    """Call the first waiting entry in serving order; None when nobody waits.

    When someone else called that entry a moment earlier, the next one is tried, so two quick presses call two
    patients rather than one twice.
    """
    now = now or utcnow()
    rows = [r for r in queue_for(hospital_id, doctor_id, now=now) if r.entry.status == EntryStatus.WAITING]
    for row in rows:
        try:
            return set_status(actor_id, row.entry, "called", now=now)
        except core.InvalidTransition:
            continue
    return None


def set_priority(actor_id: int | None, entry: QueueEntry, priority: str, *, reason: str | None = None) -> QueueEntry:
    """Staff set the tier an open entry is served in; audited with before and after (docs/security.md, "Urgency").

    The patient's own statement never reaches here: only hospital people running the queue call it
    (queue policy ``may_set_priority``).
    """
    if priority not in core.PRIORITY_CHOICES:
        raise core.QueueError(f"Priority must be one of {', '.join(core.PRIORITY_CHOICES)}.", "priority",
                              http_status=422)
    if entry.status not in (EntryStatus.WAITING, EntryStatus.CALLED):
        raise core.QueueError(f"{entry.label} is {entry.status.replace('_', ' ')}: its priority no longer matters.",
                              "priority")
    old = entry.priority
    if old == priority:
        return entry
    entry.priority = priority
    db.session.flush()
    queue = entry.queue
    audit.record(actor_id, "queue.priority", "queue_entry", entry.id, hospital_id=queue.hospital_id,
                 before={"priority": old}, after={"priority": priority}, comment=(reason or "").strip() or None)
    realtime.note_queue_change(queue.hospital_id, queue.doctor_id, entry.day)
    return entry


def move(actor_id: int | None, entry: QueueEntry, places: int, reason: str) -> QueueEntry:
    """Move a waiting entry ``places`` places (negative: towards the front) within its priority tier; audited.

    The core clamps a move to the tier, so no override ever puts anyone ahead of an emergency.
    """
    reason = (reason or "").strip()
    if not reason:
        raise core.QueueError("Give a reason for moving this token.", "reason", http_status=422)
    if not isinstance(places, int) or isinstance(places, bool) or places == 0:
        raise core.QueueError("Move the token at least one place.", "places", http_status=422)
    if entry.status != EntryStatus.WAITING:
        raise core.QueueError(f"Only a waiting token can be moved; {entry.label} is "
                              f"{entry.status.replace('_', ' ')}.", "status")
    queue = entry.queue
    before = {"manual_offset": entry.manual_offset, "position": position_of(entry)}
    entry.manual_offset += places
    db.session.flush()
    audit.record(actor_id, "queue.move", "queue_entry", entry.id, hospital_id=queue.hospital_id, before=before,
                 after={"manual_offset": entry.manual_offset, "position": position_of(entry), "places": places},
                 comment=reason)
    realtime.note_queue_change(queue.hospital_id, queue.doctor_id, entry.day)
    return entry
