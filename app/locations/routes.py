"""Theatres and other bookable rooms: the list, and a room's day with its bookings, free stretches and form.

Also the lookups the other location views share (the room, the caller's access to it, the booking form and the
rendered day). Booking and cancelling are app.locations.booking, who may book is app.locations.access.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import scheduling as core
from app.extensions import db
from app.locations import bp
from app.locations.forms import ACCESS_LABELS, ROOM_KIND_LABELS, BookingForm
from app.models import Appointment, Doctor, Hospital, Patient, Room, SchedulableResource, User
from app.models.base import utcnow
from app.models.doctor import doctor_hospitals
from app.scheduling.codes import Kind, Status
from app.security import ensure_hospital
from app.services import locations
from app.services.access import visible_hospital_ids
from app.services.availability import load_calendars
from app.services.directory import choosable_patient
from app.web import availability_editor as views

RECENT_PATIENTS = 100
NEW_PATIENTS = 30


@dataclass
class Session:
    """Published time of the room on the day (merged rule windows), in naive UTC."""

    start: datetime
    end: datetime
    slot_minutes: int


@dataclass
class Row:
    """One line of the day: an active booking, or a free stretch inside a session (appointment None)."""

    start: datetime
    end: datetime
    appointment: Appointment | None = None
    book_from: str | None = None  # free stretch: the first slot still bookable in it, HH:MM local, for the form


# --- lookups -------------------------------------------------------------------------------------------------------

def room_or_404(room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or not room.bookable or not room.active:
        abort(404)
    ensure_hospital(room.hospital_id)  # another hospital's room looks like no room at all
    return room


def require_access(room: Room, *levels: str) -> str:
    access = locations.access_role(current_user, room)
    if access not in levels:
        abort(403)
    return access


def _day_arg(tz: ZoneInfo) -> date:
    raw = request.args.get("day")
    if not raw:
        return core.local_day(utcnow(), tz)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


def _doctor_choices(hospital_id: int) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Doctor.id, User.name).join(User, Doctor.user_id == User.id)
        .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
        .where(doctor_hospitals.c.hospital_id == hospital_id, Doctor.active, User.active).order_by(User.name))
    return [("", "—")] + [(str(i), name) for i, name in rows]


def _patient_choices(hospital_id: int) -> list[tuple[str, str]]:
    """Patients seen at the hospital lately, and the newest registrations (a case booked right after the desk)."""
    last_seen = func.max(Appointment.start)
    ids = set(db.session.scalars(
        select(Appointment.patient_id).where(Appointment.hospital_id == hospital_id,
                                             Appointment.patient_id.is_not(None))
        .group_by(Appointment.patient_id).order_by(last_seen.desc()).limit(RECENT_PATIENTS)))
    ids |= set(db.session.scalars(select(Patient.id).order_by(Patient.created_at.desc(), Patient.id.desc())
                                  .limit(NEW_PATIENTS)))
    patients = db.session.scalars(select(Patient).where(Patient.id.in_(ids), choosable_patient())
                                  .order_by(Patient.name, Patient.id))
    return [("", "—")] + [(str(p.id), f"{p.name} ({p.birth_date.isoformat()})" if p.birth_date else p.name)
                          for p in patients]


def booking_form(room: Room, access: str, **defaults) -> BookingForm:
    form = BookingForm(**defaults)
    if access != "manager":
        del form.emergency  # only managers may displace elective bookings
    form.doctor_id.choices = _doctor_choices(room.hospital_id)
    form.patient_id.choices = _patient_choices(room.hospital_id)
    return form


# --- the day -------------------------------------------------------------------------------------------------------

def _sessions(room: Room, day: date, tz: ZoneInfo) -> list[Session]:
    resource_id = db.session.scalar(select(SchedulableResource.id).where(SchedulableResource.room_id == room.id))
    if resource_id is None:  # never scheduled nor booked: a GET creates nothing
        return []
    key = (resource_id, room.hospital_id)
    calendar = load_calendars([key], {room.hospital_id: room.hospital.timezone}, day, day)[key]
    sessions: list[Session] = []
    for w in core.expand_windows([pair[1] for pair in calendar.schedules], calendar.exceptions, tz, day, day):
        last = sessions[-1] if sessions else None
        if last and last.end == w.start and last.slot_minutes == w.rule.slot_minutes:
            last.end = w.end
        else:
            sessions.append(Session(w.start, w.end, w.rule.slot_minutes))
    return sessions


def _free(sessions: list[Session], taken: list[tuple[datetime, datetime]]):
    """(start, end, session) of the stretches of the sessions that no active booking holds."""
    free = []
    for session in sessions:
        cursor = session.start
        for start, end in sorted(taken):
            if end <= cursor or start >= session.end:
                continue
            if start > cursor:
                free.append((cursor, start, session))
            cursor = max(cursor, end)
        if cursor < session.end:
            free.append((cursor, session.end, session))
    return free


def _first_slot(session: Session, start: datetime, end: datetime, now: datetime) -> datetime | None:
    """The first slot of the session's grid that lies wholly in [start, end) and has not begun."""
    step = timedelta(minutes=session.slot_minutes)
    candidate = session.start + -(-(max(start, now) - session.start) // step) * step
    return candidate if candidate + step <= end else None


def _day(room: Room, day_start: datetime, day_end: datetime, sessions: list[Session],
         tz: ZoneInfo) -> tuple[list[Row], list[Appointment]]:
    """The day's rows (bookings and free stretches, by time) and its cancelled bookings and no-shows."""
    appointments = db.session.scalars(
        select(Appointment).where(Appointment.room_id == room.id, Appointment.holds_room.is_(True),
                                  Appointment.start < day_end, Appointment.end > day_start)
        .options(joinedload(Appointment.patient), joinedload(Appointment.doctor).joinedload(Doctor.user))
        .order_by(Appointment.start, Appointment.id)).all()
    # a completed case held the room too; cancelled ones and no-shows are listed apart
    active = [a for a in appointments if a.status in core.ACTIVE or a.status == Status.COMPLETED]
    now = utcnow()
    rows = [Row(a.start, a.end, a) for a in active]
    for start, end, session in _free(sessions, [(a.start, a.end) for a in active]):
        first = _first_slot(session, start, end, now)
        rows.append(Row(start, end, None, core.to_local(first, tz).strftime("%H:%M") if first else None))
    rows.sort(key=lambda r: (r.start, r.appointment is not None))
    return rows, [a for a in appointments if a not in active]


def _may_cancel(access: str | None, appointment: Appointment) -> bool:
    if appointment.kind != Kind.LOCATION or appointment.status != Status.SCHEDULED:
        return False
    return access == "manager" or (access == "booker" and appointment.booked_by_id == current_user.id)


def render_day(room: Room, day: date, access: str | None, form: BookingForm | None, status: int = 200):
    tz = ZoneInfo(room.hospital.timezone)
    day_start, day_end = core.to_utc(day, time(0), tz), core.to_utc(day + timedelta(days=1), time(0), tz)
    sessions = _sessions(room, day, tz)
    rows, inactive = _day(room, day_start, day_end, sessions, tz)
    page = render_template(
        "locations/day.html", room=room, hospital=room.hospital, tz=room.hospital.timezone, day=day,
        today=core.local_day(utcnow(), tz), prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
        sessions=sessions, rows=rows, inactive=inactive, form=form, access=access, access_label=ACCESS_LABELS[access],
        kind_label=ROOM_KIND_LABELS.get(room.kind, room.kind), cancellable={
            r.appointment.id for r in rows if r.appointment and _may_cancel(access, r.appointment)},
        title=room.name)
    return page, status


# --- pages ---------------------------------------------------------------------------------------------------------

@bp.route("/")
def index():
    scope = visible_hospital_ids(current_user)
    query = (select(Room).join(Hospital).where(Room.bookable, Room.active)
             .options(joinedload(Room.hospital)).order_by(Hospital.name, Room.name))
    if scope is not None:
        query = query.where(Room.hospital_id.in_(scope))
    rooms = db.session.scalars(query).all()
    access = {room.id: locations.access_role(current_user, room) for room in rooms}
    return render_template("locations/index.html", rooms=rooms, access=access, access_labels=ACCESS_LABELS,
                           kind_labels=ROOM_KIND_LABELS, title=_("Theatres & rooms"))


@bp.route("/<int:room_id>", endpoint="room")
def room_day(room_id: int):
    room = room_or_404(room_id)
    tz = ZoneInfo(room.hospital.timezone)
    day = _day_arg(tz)
    access = locations.access_role(current_user, room)
    form = None
    if access is not None:
        try:
            start = time.fromisoformat(request.args.get("start", ""))
        except ValueError:
            start = None
        own = db.session.scalar(select(Doctor.id).where(Doctor.user_id == current_user.id))
        form = booking_form(room, access, formdata=None, day=day, start_time=start, minutes=60, doctor_id=own)
    return render_day(room, day, access, form)


# --- the room's sessions (the availability editor shared with doctors) ------------------------------------------

def sessions_editor(room_id: int) -> views.Editor:
    """Only the room's managers publish its sessions; another hospital's room is not found (room_or_404)."""
    room = room_or_404(room_id)
    if not locations.may_publish_sessions(current_user, room):
        abort(403)
    return views.Editor(None, [room.hospital], "locations.", url_args={"room_id": room.id}, room=room,
                        subtitle=str(ROOM_KIND_LABELS.get(room.kind, room.kind)))


views.add_routes(bp, "/<int:room_id>/sessions", "", sessions_editor)
