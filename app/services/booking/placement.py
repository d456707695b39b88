"""Where a requested start fits: the doctor's hospital, calendar, slot group and free slot, checked by the core.

`place` finds the slot that offers a start or raises the core's precise refusal (outside hours, past, notice,
horizon, leave, daily limit, type or equipment); nothing is written here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Doctor, Hospital, Patient
from app.scheduling.codes import Kind
from app.services.availability import (
    Calendar,
    Group,
    Request,
    active_types,
    load_calendars,
    load_doctor_busy,
    load_room_busy,
    others_in_room,
    resource_for_doctor,
    rooms_with,
    slot_groups,
)


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

    @property
    def holds_room(self) -> bool:
        """A booking in a session with a room holds the room too; a token session's places are counted on the
        doctor alone (its room is kept by the editor's one-doctor-per-room rule)."""
        return self.group.room_id is not None and self.free.kind == Kind.SLOTS


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
            type_row = next((t for t in active_types({hospital.id})[hospital.id] if t.code == appointment_type),
                            None)
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
    busy_rows = load_doctor_busy({doctor.id: resource_id}, day_start - timedelta(hours=12),
                                 day_end + timedelta(hours=12))
    busy = _without(busy_rows.get(resource_id, []), ignore)
    # the session's room is held by every booking in it, whoever's (docs/architecture.md, "Integrity")
    busy += _without(others_in_room(load_room_busy({group.room_id} - {None}, day_start, day_end), group.room_id,
                                    doctor.id), ignore)
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


def check_patient_free(patient: Patient, start: datetime, end: datetime, ignore_id: int | None = None) -> None:
    clash = db.session.scalar(_clash_statement(), {"patient": patient.id, "start": start, "end": end,
                                                   "ignore": ignore_id or 0})
    if clash is not None:
        raise core.PatientOverlap("The patient already has an appointment at that time.", "start")


@cache
def _clash_statement():
    """Built once: every booking and move asks (docs/benchmarks.md, "Built once")."""
    return select(Appointment.id).where(
        Appointment.patient_id == bindparam("patient"), Appointment.status.in_(core.ACTIVE),
        Appointment.start < bindparam("end"), Appointment.end > bindparam("start"),
        Appointment.id != bindparam("ignore")).limit(1)
