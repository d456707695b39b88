"""Book, cancel, reschedule and move appointments through their lifecycle (DESIGN.md section 2).

Each function validates with the scheduling core, writes rows and flushes; the caller commits once, or rolls back on
any error so that nothing is half-booked. Double booking is impossible because every "slots" booking inserts one
Claim per 5-minute cell per resource, and UNIQUE(resource_id, cell_start, seat) lets only one writer win; token
slots and daily limits use conditional updates on known rows.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Claim, DayCounter, Doctor, Hospital, Patient, TokenSlot
from app.models.base import utcnow
from app.notifications import events as notify
from app.services import audit
from app.services.availability import (
    Calendar,
    Group,
    Request,
    load_busy,
    load_calendars,
    resource_for_doctor,
    resource_for_room,
    rooms_with,
    slot_groups,
    type_label,
)
from app.services.rows import ensure_row

AUDIT_FIELDS = ("status", "start", "end", "doctor_id", "patient_id", "hospital_id", "appointment_type", "urgency",
                "reason", "cancel_reason")
LOCK_ERRORS = (1205, 1213)  # MySQL lock wait timeout, deadlock: a racing writer won


@dataclass
class Placement:
    """Where a requested start fits: the hospital, its calendar, the slot group and the free slot."""

    hospital: Hospital
    calendar: Calendar
    group: Group
    free: core.FreeSlot
    type_row: AppointmentType | None
    equipment: set[int]
    offered: frozenset[str]  # the types the slot takes (empty: all)


def place(doctor: Doctor, start: datetime, *, appointment_type: str | None, urgency: str, now: datetime,
          hospital_id: int | None = None, ignore: Appointment | None = None) -> Placement:
    """Find the hospital and slot that offer `start` for this doctor, or raise the core's precise error."""
    hospitals = [h for h in doctor.hospitals if h.active and (hospital_id is None or h.id == hospital_id)]
    if not hospitals:
        raise core.OutsideHours("This doctor does not work at that hospital.", "hospital_id")
    resource = resource_for_doctor(doctor.id)
    first_error: core.SchedulingError | None = None
    for hospital in hospitals:
        type_row = None
        if appointment_type is not None:
            type_row = db.session.scalar(select(AppointmentType).where(
                AppointmentType.hospital_id == hospital.id, AppointmentType.code == appointment_type,
                AppointmentType.active))
            if type_row is None:
                first_error = first_error or core.TypeNotOffered(
                    f"{hospital.name} does not offer the appointment type '{appointment_type}'.", "appointment_type")
                continue
        try:
            return _place_at(doctor, resource.id, hospital, start, type_row, urgency, now, ignore)
        except core.SchedulingError as err:
            # prefer the error of a hospital that has hours at that time over "no hours here"
            if first_error is None or isinstance(first_error, (core.OutsideHours, core.TypeNotOffered)):
                first_error = err
    raise first_error


def _place_at(doctor: Doctor, resource_id: int, hospital: Hospital, start: datetime,
              type_row: AppointmentType | None, urgency: str, now: datetime,
              ignore: Appointment | None) -> Placement:
    calendars = load_calendars([(resource_id, hospital.id)], {hospital.id: hospital.timezone},
                               (start - timedelta(days=1)).date(), (start + timedelta(days=1)).date())
    calendar = calendars[(resource_id, hospital.id)]
    day = core.local_day(start, calendar.tz)
    equipment = {e.id for e in type_row.equipment} if type_row else set()
    request = Request(now=now, appointment_type=type_row.code if type_row else None,
                      duration_minutes=type_row.duration_minutes if type_row else None, urgency=urgency,
                      equipment=equipment)
    room_ids = {r for r in calendar.rooms.values() if r is not None}
    eligible = rooms_with(room_ids, equipment) if equipment else None
    groups = slot_groups(calendar, day, day, request, eligible)
    group = next((g for g in groups if any(s.start == start for s in g.slots)), None)
    if group is None:
        # let the core say why: past, notice, horizon, leave or outside hours
        policy = calendar.schedule_for(day)
        core.check_bookable([], [], now, policy[1].policy if policy else core.Policy(), calendar.tz, start,
                            blocked=calendar.blocked())
        raise core.OutsideHours("No appointment starts at that time.", "start")
    day_start, day_end = min(s.start for s in group.slots), max(s.end for s in group.slots)
    busy_rows = load_busy({resource_id}, day_start - timedelta(hours=12), day_end + timedelta(hours=12))
    busy = _without(busy_rows.get(resource_id, []), ignore)
    if equipment and group.room_id is not None:
        room_resource = resource_for_room(group.room_id)
        busy += _without(load_busy({room_resource.id}, day_start, day_end).get(room_resource.id, []), ignore)
    day_count = sum(1 for b in _without(busy_rows.get(resource_id, []), ignore)
                    if core.local_day(b.start, calendar.tz) == day)
    free = core.check_bookable(group.slots, busy, now, group.policy, calendar.tz, start,
                               appointment_type=request.appointment_type,
                               duration_minutes=request.duration_minutes, urgency=urgency, day_count=day_count,
                               blocked=calendar.blocked())
    offered = next(s.appointment_types for s in group.slots if s.start == start)
    return Placement(hospital, calendar, group, free, type_row, equipment, offered)


def _without(busy: list[core.Busy], ignore: Appointment | None) -> list[core.Busy]:
    if ignore is None:
        return list(busy)
    return [b for b in busy if not (b.start == ignore.start and b.end == ignore.end)]


def _check_patient_free(patient: Patient, start: datetime, end: datetime, ignore_id: int | None = None) -> None:
    clash = db.session.scalar(select(Appointment.id).where(
        Appointment.patient_id == patient.id, Appointment.status.in_(core.ACTIVE), Appointment.start < end,
        Appointment.end > start, Appointment.id != (ignore_id or 0)).limit(1))
    if clash is not None:
        raise core.PatientOverlap("The patient already has an appointment at that time.", "start")


def _claim_rows(appointment: Appointment, cells: list[datetime], resource_ids: list[int]) -> list[dict]:
    return [{"resource_id": r, "cell_start": c, "seat": 0, "appointment_id": appointment.id}
            for r in resource_ids for c in cells]


@contextmanager
def lost_race():
    """A unique-index violation or a lock conflict means a racing writer got there first.

    No savepoint: after a lost race the whole transaction is void (InnoDB even rolls it back itself on a
    deadlock), and the caller rolls back.
    """
    try:
        yield
    except IntegrityError:
        raise core.SlotTaken("This time has just been taken. Please choose another.", "start") from None
    except OperationalError as err:
        if err.orig and err.orig.args and err.orig.args[0] in LOCK_ERRORS:
            raise core.SlotTaken("This time has just been taken. Please choose another.", "start") from None
        raise


def insert_claims(rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(Claim), rows)


def _take_token(resource_id: int, slot_start: datetime, capacity: int) -> None:
    ensure_row(TokenSlot, {"resource_id": resource_id, "start": slot_start}, {"capacity": capacity, "issued": 0})
    taken = db.session.execute(update(TokenSlot).where(
        TokenSlot.resource_id == resource_id, TokenSlot.start == slot_start, TokenSlot.issued < TokenSlot.capacity)
        .values(issued=TokenSlot.issued + 1)).rowcount
    if taken == 0:
        raise core.SlotTaken("All tokens of this session are taken. Please choose another.", "start")


def _release_token(resource_id: int, slot_start: datetime) -> None:
    db.session.execute(update(TokenSlot).where(TokenSlot.resource_id == resource_id, TokenSlot.start == slot_start,
                                               TokenSlot.issued > 0).values(issued=TokenSlot.issued - 1))


def _count_day(resource_id: int, day, limit: int | None) -> None:
    """Count a booking on the resource's day; the conditional update is the daily limit's lock."""
    ensure_row(DayCounter, {"resource_id": resource_id, "day": day}, {"count": 0})
    query = update(DayCounter).where(DayCounter.resource_id == resource_id, DayCounter.day == day)
    if limit is not None:
        query = query.where(DayCounter.count < limit)
    if db.session.execute(query.values(count=DayCounter.count + 1)).rowcount == 0:
        raise core.DailyLimitReached("No more appointments can be booked on that day.", "start")


def _uncount_day(resource_id: int, day) -> None:
    db.session.execute(update(DayCounter).where(DayCounter.resource_id == resource_id, DayCounter.day == day,
                                                DayCounter.count > 0).values(count=DayCounter.count - 1))


def _resources(appointment: Appointment) -> list[int]:
    ids = [resource_for_doctor(appointment.doctor_id).id]
    if appointment.holds_room and appointment.room_id is not None:
        ids.append(resource_for_room(appointment.room_id).id)
    return ids


def _hold(appointment: Appointment, placement: Placement, *, skip_cells: set[datetime] = frozenset(),
          count_day: bool = True) -> None:
    """Claim what the appointment needs: its cells (or a token), and a place in the day's count."""
    doctor_resource = placement.calendar.resource_id
    with lost_race():
        if appointment.kind == "tokens":
            capacity = next(s.capacity for s in placement.group.slots if s.start == appointment.start)
            _take_token(doctor_resource, appointment.start, capacity)
        else:
            cells = [c for c in core.cells(appointment.start, appointment.end) if c not in skip_cells]
            insert_claims(_claim_rows(appointment, cells, _resources(appointment)))
        if count_day:
            _count_day(doctor_resource, core.local_day(appointment.start, placement.calendar.tz),
                       placement.group.policy.daily_limit)


def _release(appointment: Appointment, *, start: datetime | None = None, kind: str | None = None,
             tz: ZoneInfo | None = None, keep_cells: set[datetime] = frozenset(), count_day: bool = True) -> None:
    """Give back what the appointment held at `start` (default: where it is now)."""
    start, kind = start or appointment.start, kind or appointment.kind
    if kind == "location":  # a room booking holds claims only: no token, no doctor's daily count
        db.session.execute(delete(Claim).where(Claim.appointment_id == appointment.id))
        return
    tz = tz or ZoneInfo(appointment.hospital.timezone)
    resource_id = resource_for_doctor(appointment.doctor_id).id
    if kind == "tokens":
        _release_token(resource_id, start)
    else:
        query = delete(Claim).where(Claim.appointment_id == appointment.id)
        if keep_cells:
            query = query.where(Claim.cell_start.not_in(keep_cells))
        db.session.execute(query)
    if count_day:
        _uncount_day(resource_id, core.local_day(start, tz))


def book(actor_id: int | None, patient: Patient, doctor: Doctor, start: datetime, *,
         appointment_type: str | None = None, urgency: str = "routine", reason: str | None = None,
         hospital_id: int | None = None, now: datetime | None = None, comment: str | None = None) -> Appointment:
    """Book `start` (naive UTC) with the doctor for the patient; raises a core SchedulingError when it cannot."""
    now = now or utcnow()
    if urgency not in ("routine", "urgent"):
        raise core.SchedulingError("Urgency must be routine or urgent.", "urgency")
    placement = place(doctor, start, appointment_type=appointment_type, urgency=urgency, now=now,
                      hospital_id=hospital_id)
    free = placement.free
    _check_patient_free(patient, free.start, free.end)
    type_row = placement.type_row
    appointment = Appointment(
        patient_id=patient.id, doctor_id=doctor.id, hospital_id=placement.hospital.id,
        room_id=placement.group.room_id, appointment_type=type_label(type_row.code if type_row else None,
                                                                     placement.offered),
        start=free.start, end=free.end, status="scheduled", urgency=urgency, reason=reason or None,
        booked_by_id=actor_id, kind=free.kind, holds_room=bool(placement.equipment),
        fee=type_row.fee if type_row else doctor.fee)
    db.session.add(appointment)
    db.session.flush()
    _hold(appointment, placement)
    audit.record(actor_id, "appointment.book", "appointment", appointment.id, hospital_id=appointment.hospital_id,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment=comment)
    notify.appointment_booked(appointment)  # outbox rows, committed with the booking
    return appointment


def cancel(actor_id: int | None, appointment: Appointment, reason: str, *, comment: str | None = None,
           status: str = "cancelled", now: datetime | None = None) -> Appointment:
    """Cancel (or mark as no-show): the claims go in the same transaction, so the slot is free at once.

    A future slot freed this way is offered to the waitlist in the same transaction (issue #7): the offers commit
    with the cancellation, or neither does. A waitlist hold is released rather than cancelled (nobody to tell).
    """
    if appointment.status == core.HELD and status == "cancelled":
        from app.services.booking.holds import release_hold

        return release_hold(actor_id, appointment, reason)
    core.check_transition(appointment.status, status)
    now = now or utcnow()
    was_active = appointment.status in core.ACTIVE
    before = audit.snapshot(appointment, AUDIT_FIELDS)
    _release(appointment)
    appointment.status = status
    if status == "cancelled":
        appointment.cancelled_at = utcnow()
        appointment.cancel_reason = reason or None
    audit.record(actor_id, f"appointment.{'cancel' if status == 'cancelled' else status}", "appointment",
                 appointment.id, hospital_id=appointment.hospital_id, before=before,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment=comment or reason)
    if status == "cancelled":
        notify.appointment_cancelled(appointment, actor_id, reason)
    if was_active and appointment.kind == "slots" and appointment.start > now:
        _slot_freed(actor_id, appointment.doctor_id, appointment.hospital_id, appointment.start, appointment.end,
                    appointment_type=appointment.appointment_type if _has_type(appointment) else None,
                    freed_by=appointment.patient_id, now=now)
    return appointment


def _slot_freed(actor_id: int | None, doctor_id: int | None, hospital_id: int, start: datetime, end: datetime, *,
                appointment_type: str | None, freed_by: int | None, now: datetime) -> None:
    """Offer freed time to the waitlist. Imported late: the waitlist service books through this module."""
    if doctor_id is None or db.session.info.get(notify.MUTED_KEY):
        return  # a room booking is nobody's wish; muted work (demo data) tells nobody, so it offers nothing
    from app.services.waitlist import offers as waitlist_offers

    waitlist_offers.slot_freed(actor_id, doctor_id, hospital_id, start, end, appointment_type=appointment_type,
                               exclude_patients=(freed_by,) if freed_by else (), now=now)


def reschedule(actor_id: int | None, appointment: Appointment, new_start: datetime, *,
               now: datetime | None = None, comment: str | None = None) -> Appointment:
    """Move to new_start: the new time is claimed before the old one is released, in one transaction."""
    now = now or utcnow()
    if appointment.kind == "location":
        raise core.InvalidTransition("Room bookings are cancelled and booked anew, not moved.", "status")
    if appointment.status != "scheduled":
        raise core.InvalidTransition(f"A {appointment.status.replace('_', ' ')} appointment cannot be moved.",
                                     "status")
    placement = place(appointment.doctor, new_start,
                      appointment_type=appointment.appointment_type if _has_type(appointment) else None,
                      urgency=appointment.urgency, now=now, ignore=appointment)
    free = placement.free
    _check_patient_free(appointment.patient, free.start, free.end, ignore_id=appointment.id)
    before = audit.snapshot(appointment, AUDIT_FIELDS)
    old_start, old_kind, old_tz = appointment.start, appointment.kind, ZoneInfo(appointment.hospital.timezone)
    old_end, old_hospital_id = appointment.end, appointment.hospital_id
    old_cells = set(core.cells(appointment.start, appointment.end)) if old_kind == "slots" else set()
    new_cells = set(core.cells(free.start, free.end)) if free.kind == "slots" else set()
    same_day = (placement.hospital.id == appointment.hospital_id
                and core.local_day(old_start, old_tz) == free.local_date)
    appointment.start, appointment.end, appointment.kind = free.start, free.end, free.kind
    appointment.hospital_id, appointment.room_id = placement.hospital.id, placement.group.room_id
    db.session.flush()
    # claim the new cells first: if they are taken, this raises and the old booking stays untouched
    _hold(appointment, placement, skip_cells=old_cells & new_cells, count_day=not same_day)
    _release(appointment, start=old_start, kind=old_kind, tz=old_tz, keep_cells=new_cells, count_day=not same_day)
    audit.record(actor_id, "appointment.reschedule", "appointment", appointment.id,
                 hospital_id=appointment.hospital_id, before=before,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment=comment)
    notify.appointment_moved(appointment, old_start, old_tz.key)
    if old_kind == "slots" and old_start > now:
        _slot_freed(actor_id, appointment.doctor_id, old_hospital_id, old_start, old_end,
                    appointment_type=appointment.appointment_type if _has_type(appointment) else None,
                    freed_by=appointment.patient_id, now=now)
    return appointment


def _has_type(appointment: Appointment) -> bool:
    return db.session.scalar(select(AppointmentType.id).where(
        AppointmentType.hospital_id == appointment.hospital_id,
        AppointmentType.code == appointment.appointment_type)) is not None


def transition(actor_id: int | None, appointment: Appointment, status: str, *, comment: str | None = None):
    """Move along scheduled -> checked_in -> in_progress -> completed; cancel and no-show release the slot."""
    if status in ("cancelled", "no_show"):
        return cancel(actor_id, appointment, comment or "", status=status, comment=comment)
    if appointment.status == core.HELD:
        raise core.InvalidTransition("A slot held for the waitlist is given to a patient by accepting its offer.",
                                     "status")
    core.check_transition(appointment.status, status)
    before = {"status": appointment.status}
    appointment.status = status
    audit.record(actor_id, "appointment.status", "appointment", appointment.id,
                 hospital_id=appointment.hospital_id, before=before, after={"status": status}, comment=comment)
    return appointment

