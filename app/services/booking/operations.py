"""Book, cancel, reschedule and move appointments through their lifecycle (docs/architecture.md, "Integrity").

Each function validates with the scheduling core, writes rows and flushes; the transaction boundary commits once,
or rolls back on any error so that nothing is half-booked. What a booking holds is claimed and released by
app.services.booking.claims; freed time is announced (app.services.signals) for the waitlist to offer.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Doctor, Patient
from app.models.base import utcnow
from app.notifications import events as notify
from app.scheduling.codes import Kind, Status, Urgency
from app.services import audit, signals
from app.services.availability import type_label
from app.services.booking import policy
from app.services.booking.claims import AUDIT_FIELDS, hold_resources, release_resources
from app.services.booking.holds import release_hold
from app.services.booking.placement import check_patient_free, place


def book(actor_id: int | None, patient: Patient, doctor: Doctor, start: datetime, *,
         appointment_type: str | None = None, urgency: str = "routine", reason: str | None = None,
         hospital_id: int | None = None, now: datetime | None = None, comment: str | None = None,
         by_patient: bool = False) -> Appointment:
    """Book `start` (naive UTC) with the doctor for the patient; raises a core SchedulingError when it cannot.

    `by_patient`: the patient books themselves, so `urgency` is what they state: it is kept as
    `urgency_by_patient`, the appointment stays routine, and it opens urgent-held slots only where the hospital
    allows self-declared urgency (core.slot_urgency; docs/security.md, "Urgency").
    """
    now = now or utcnow()
    if urgency not in (Urgency.ROUTINE, Urgency.URGENT):
        raise core.SchedulingError("Urgency must be routine or urgent.", "urgency")
    try:
        placement = place(doctor, start, appointment_type=appointment_type, urgency=urgency, now=now,
                          hospital_id=hospital_id)
    except core.SlotTaken:
        # the time may be taken by the patient's own longer booking: say that, not "someone else was faster"
        check_patient_free(patient, start, start + timedelta(minutes=core.CELL_MINUTES))
        raise
    if by_patient and urgency == Urgency.URGENT and not placement.hospital.allow_self_declared_urgency:
        # placed again as routine: a slot held for urgent needs refuses, with the core's own reason
        placement = place(doctor, start, appointment_type=appointment_type, urgency=Urgency.ROUTINE, now=now,
                          hospital_id=placement.hospital.id)
    urgency, stated = core.recorded_urgency(urgency, by_patient=by_patient)
    free = placement.free
    check_patient_free(patient, free.start, free.end)
    type_row = placement.type_row
    appointment = Appointment(
        patient_id=patient.id, doctor_id=doctor.id, hospital_id=placement.hospital.id,
        room_id=placement.group.room_id, appointment_type=type_label(type_row.code if type_row else None,
                                                                     placement.offered),
        start=free.start, end=free.end, status=Status.SCHEDULED, urgency=urgency, urgency_by_patient=stated,
        reason=reason or None,
        booked_by_id=actor_id, kind=free.kind, holds_room=placement.holds_room,
        fee=type_row.fee if type_row else doctor.fee, currency=placement.hospital.currency)
    db.session.add(appointment)
    db.session.flush()
    hold_resources(appointment, placement)
    signals.appointment_booked.send(None, appointment=appointment, now=now)
    audit.record(actor_id, "appointment.book", "appointment", appointment.id, hospital_id=appointment.hospital_id,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment=comment)
    notify.appointment_booked(appointment, new=True)  # outbox rows, committed with the booking
    return appointment


def cancel(actor_id: int | None, appointment: Appointment, reason: str, *, comment: str | None = None,
           status: str = Status.CANCELLED, now: datetime | None = None, by_patient: bool = False) -> Appointment:
    """Cancel (or mark as no-show): the claims go in the same transaction, so the slot is free at once.

    `by_patient`: the patient acts themselves (their pages, the manage link, the API with a patient's login), so the
    hospital's online cut-off applies. Freed future time is announced for the waitlist in the same transaction: the
    offers commit with the cancellation, or neither does. A waitlist hold is released rather than cancelled.
    """
    if appointment.status == core.HELD and status == Status.CANCELLED:
        return release_hold(actor_id, appointment, reason)
    now = now or utcnow()
    if by_patient:
        policy.check_patient_change(appointment, now)
    core.check_transition(appointment.status, status)
    was_active = appointment.status in core.ACTIVE
    before = audit.snapshot(appointment, AUDIT_FIELDS)
    release_resources(appointment)
    appointment.status = status
    if status == Status.CANCELLED:
        appointment.cancelled_at = utcnow()
        appointment.cancel_reason = reason or None
    audit.record(actor_id, f"appointment.{'cancel' if status == Status.CANCELLED else status}", "appointment",
                 appointment.id, hospital_id=appointment.hospital_id, before=before,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment=comment or reason)
    if status == Status.CANCELLED:
        notify.appointment_cancelled(appointment, actor_id, reason)
        signals.appointment_cancelled.send(None, actor_id=actor_id, appointment=appointment, now=now)
    if was_active and appointment.kind == Kind.SLOTS and appointment.start > now:
        _slot_freed(actor_id, appointment.doctor_id, appointment.hospital_id, appointment.start, appointment.end,
                    appointment_type=appointment.appointment_type if _has_type(appointment) else None,
                    freed_by=appointment.patient_id, now=now)
    return appointment


def _slot_freed(actor_id: int | None, doctor_id: int | None, hospital_id: int, start: datetime, end: datetime, *,
                appointment_type: str | None, freed_by: int | None, now: datetime) -> None:
    """Announce freed doctor's time (the waitlist offers it); a room booking's time is nobody's wish."""
    if doctor_id is not None:
        signals.slot_freed.send(None, actor_id=actor_id, doctor_id=doctor_id, hospital_id=hospital_id, start=start,
                                end=end, appointment_type=appointment_type, freed_by=freed_by, now=now)


def reschedule(actor_id: int | None, appointment: Appointment, new_start: datetime, *,
               now: datetime | None = None, comment: str | None = None, by_patient: bool = False) -> Appointment:
    """Move to new_start: the new time is claimed before the old one is released, in one transaction.
    `by_patient`: the patient acts themselves, so the hospital's online cut-off applies."""
    now = now or utcnow()
    if by_patient:
        policy.check_patient_change(appointment, now)
    if appointment.kind in (Kind.LOCATION, Kind.TEAM):
        raise core.InvalidTransition("Room and team bookings are cancelled and booked anew, not moved.", "status")
    if appointment.status != Status.SCHEDULED:
        raise core.InvalidTransition(f"A {appointment.status.replace('_', ' ')} appointment cannot be moved.",
                                     "status")
    placement = place(appointment.doctor, new_start,
                      appointment_type=appointment.appointment_type if _has_type(appointment) else None,
                      urgency=appointment.urgency, now=now, ignore=appointment)
    free = placement.free
    check_patient_free(appointment.patient, free.start, free.end, ignore_id=appointment.id)
    before = audit.snapshot(appointment, AUDIT_FIELDS)
    old_start, old_kind, old_tz = appointment.start, appointment.kind, ZoneInfo(appointment.hospital.timezone)
    old_end, old_hospital_id = appointment.end, appointment.hospital_id
    old_cells = set(core.cells(appointment.start, appointment.end)) if old_kind == Kind.SLOTS else set()
    new_cells = set(core.cells(free.start, free.end)) if free.kind == Kind.SLOTS else set()
    same_day = (placement.hospital.id == appointment.hospital_id
                and core.local_day(old_start, old_tz) == free.local_date)
    old_room = appointment.room_id if appointment.holds_room else None
    new_room = placement.group.room_id if placement.holds_room else None
    appointment.start, appointment.end, appointment.kind = free.start, free.end, free.kind
    appointment.hospital_id, appointment.room_id = placement.hospital.id, placement.group.room_id
    appointment.holds_room = placement.holds_room
    db.session.flush()
    if old_room == new_room:
        # claim the new cells first: if they are taken, this raises and the old booking stays untouched
        hold_resources(appointment, placement, skip_cells=old_cells & new_cells, count_day=not same_day)
        release_resources(appointment, start=old_start, kind=old_kind, tz=old_tz, keep_cells=new_cells,
                          count_day=not same_day)
    else:  # a shared cell would be another room's: give everything back, then claim anew (a refusal rolls back)
        release_resources(appointment, start=old_start, kind=old_kind, tz=old_tz, count_day=not same_day)
        hold_resources(appointment, placement, count_day=not same_day)
    signals.appointment_booked.send(None, appointment=appointment, now=now)
    audit.record(actor_id, "appointment.reschedule", "appointment", appointment.id,
                 hospital_id=appointment.hospital_id, before=before,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment=comment)
    notify.appointment_moved(appointment, old_start, old_tz.key)
    if old_kind == Kind.SLOTS and old_start > now:
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
    if status in (Status.CANCELLED, Status.NO_SHOW):
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

