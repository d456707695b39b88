"""Bookable locations (an operating theatre, a vaccination room): schedules, access, bookings, emergencies.

An elective booking must fit the location's published slots, like a doctor's. An emergency may start at any
5-minute boundary, at once, and displaces the elective bookings in its way: they are cancelled in the same
transaction, and their owners are told through the outbox, so the e-mails go out only if the emergency commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, LocationAccess, Membership, Patient, Role, Room, User
from app.models.base import utcnow
from app.models.doctor import doctor_hospitals
from app.notifications import events as notify
from app.notifications.events import base_url
from app.scheduling.codes import Kind, Status, Urgency
from app.services import audit
from app.services.availability import (
    Request,
    load_busy,
    load_calendars,
    resource_for_doctor,
    resource_for_room,
    slot_groups,
)
from app.services.booking import AUDIT_FIELDS, cancel, insert_claims, lost_race

DISPLACED_REASON = "Displaced by an emergency booking"
MAX_MINUTES = 24 * 60


@dataclass
class LocationBooking:
    appointment: Appointment
    displaced: list[Appointment] = field(default_factory=list)


def access_role(user: User, room: Room) -> str | None:
    """'manager', 'booker' or None. Admins of the room's hospital (or of the region) manage every location."""
    if user.role == Role.ADMIN and (user.is_region_admin or room.hospital_id in user.hospital_ids):
        return "manager"
    row = db.session.scalar(select(LocationAccess).where(LocationAccess.room_id == room.id,
                                                         LocationAccess.user_id == user.id))
    return row.role if row else None


def grant(actor_id: int, room: Room, user: User, role: str) -> LocationAccess:
    if role not in ("manager", "booker"):
        raise ValueError("role must be manager or booker")
    row = db.session.scalar(select(LocationAccess).where(LocationAccess.room_id == room.id,
                                                         LocationAccess.user_id == user.id))
    if row is None:
        row = LocationAccess(room_id=room.id, user_id=user.id, role=role)
        db.session.add(row)
    row.role = role
    db.session.flush()
    audit.record(actor_id, "location.grant", "room", room.id, hospital_id=room.hospital_id,
                 after={"user_id": user.id, "role": role})
    return row


def grant_candidates(room: Room, level: str) -> list[tuple[int, str]]:
    """Doctors of the hospital may become bookers, its staff managers; those who already are are left out."""
    if level == "booker":
        query = (select(User.id, User.name).join(Doctor, Doctor.user_id == User.id)
                 .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
                 .where(doctor_hospitals.c.hospital_id == room.hospital_id, Doctor.active))
    else:
        query = (select(User.id, User.name).join(Membership, Membership.user_id == User.id)
                 .where(Membership.hospital_id == room.hospital_id, Membership.role == Role.STAFF,
                        User.role == Role.STAFF))
    holders = select(LocationAccess.user_id).where(LocationAccess.room_id == room.id, LocationAccess.role == level)
    rows = db.session.execute(query.where(User.active, User.id.not_in(holders)).distinct().order_by(User.name))
    return [(i, name) for i, name in rows]


def revoke(actor_id: int, row: LocationAccess) -> None:
    """Take a user's access to a room away (audited)."""
    hospital_id = db.session.get(Room, row.room_id).hospital_id
    audit.record(actor_id, "location.revoke", "room", row.room_id, hospital_id=hospital_id,
                 before={"user_id": row.user_id, "role": row.role})
    db.session.delete(row)
    db.session.flush()


def book_location(actor: User, room: Room, start: datetime, minutes: int, *, doctor: Doctor | None = None,
                  patient: Patient | None = None, reason: str | None = None, emergency: bool = False,
                  now: datetime | None = None) -> LocationBooking:
    """Book the room for `minutes` from `start` (naive UTC); the caller commits, or rolls back on an error."""
    now = now or utcnow()
    if not room.bookable or not room.active:
        raise core.OutsideHours("This room cannot be booked.", "room_id")
    if not 5 <= minutes <= MAX_MINUTES or minutes % core.CELL_MINUTES:
        raise core.SchedulingError("The length must be a multiple of 5 minutes, up to 24 hours.", "minutes")
    resource = resource_for_room(room.id)
    end = start + timedelta(minutes=minutes)
    displaced: list[Appointment] = []
    if emergency:
        if start.minute % core.CELL_MINUTES or start.second:
            raise core.OutsideHours("Start on a 5-minute mark.", "start")
        if end <= now:
            raise core.InPast("That time has already passed.", "start")
        displaced = _displace(actor.id, room, start, end)
    else:
        _check_elective(resource.id, room, start, minutes, now)
    appointment = Appointment(
        patient_id=patient.id if patient else None, doctor_id=doctor.id if doctor else None, room_id=room.id,
        hospital_id=room.hospital_id, appointment_type="emergency" if emergency else "location", start=start,
        end=end, status="scheduled", urgency=Urgency.URGENT if emergency else "routine", reason=reason or None,
        emergency=emergency, booked_by_id=actor.id, kind=Kind.LOCATION, holds_room=True)
    db.session.add(appointment)
    db.session.flush()
    resources = [resource.id]
    if doctor is not None and not emergency:  # an elective list also holds its surgeon
        resources.append(resource_for_doctor(doctor.id).id)
    with lost_race():
        insert_claims([{"resource_id": r, "cell_start": c, "seat": 0, "appointment_id": appointment.id}
                        for r in resources for c in core.cells(start, end)])
    audit.record(actor.id, "location.emergency" if emergency else "location.book", "appointment", appointment.id,
                 hospital_id=room.hospital_id, after=audit.snapshot(appointment, AUDIT_FIELDS),
                 comment=f"displaced {', '.join(str(a.id) for a in displaced)}" if displaced else None)
    return LocationBooking(appointment, displaced)


def _check_elective(resource_id: int, room: Room, start: datetime, minutes: int, now: datetime) -> None:
    calendars = load_calendars([(resource_id, room.hospital_id)], {room.hospital_id: room.hospital.timezone},
                               (start - timedelta(days=1)).date(), (start + timedelta(days=1)).date())
    calendar = calendars[(resource_id, room.hospital_id)]
    day = core.local_day(start, calendar.tz)
    groups = slot_groups(calendar, day, day, Request(now=now, duration_minutes=minutes))
    group = next((g for g in groups if any(s.start == start for s in g.slots)), None)
    policy = group.policy if group else core.Policy()
    busy = load_busy({resource_id}, start - timedelta(days=1), start + timedelta(days=2)).get(resource_id, [])
    core.check_bookable(group.slots if group else [], busy, now, policy, calendar.tz, start,
                        duration_minutes=minutes, blocked=calendar.blocked())


def _displace(actor_id: int, room: Room, start: datetime, end: datetime) -> list[Appointment]:
    overlapping = db.session.scalars(select(Appointment).where(
        Appointment.room_id == room.id, Appointment.holds_room.is_(True), Appointment.status.in_(core.ACTIVE),
        Appointment.start < end, Appointment.end > start)).all()
    if any(a.emergency or a.status != Status.SCHEDULED for a in overlapping):
        raise core.SlotTaken("Another emergency or a case already under way holds the room then.", "start")
    day_list, tz = f"{base_url()}/locations/{room.id}?day=", ZoneInfo(room.hospital.timezone)
    for appointment in overlapping:
        cancel(actor_id, appointment, DISPLACED_REASON, comment=DISPLACED_REASON)
        notify.location_displaced(appointment, day_list + core.local_day(appointment.start, tz).isoformat())
    return list(overlapping)
