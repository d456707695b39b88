"""Theatres and other bookable rooms: the list, a room's day with its bookings and form, and who may book.

Views stay thin: app.services.locations decides what may be booked and displaces elective cases for an emergency;
here its errors become form errors, and the owners of displaced bookings are e-mailed after the commit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import scheduling as core
from app.extensions import db
from app.locations import bp
from app.locations.forms import ACCESS_LABELS, ROOM_KIND_LABELS, BookingForm, GrantForm
from app.models import (
    Appointment,
    Doctor,
    Hospital,
    LocationAccess,
    Membership,
    Patient,
    Role,
    Room,
    SchedulableResource,
    User,
)
from app.models.base import utcnow
from app.models.doctor import doctor_hospitals
from app.notifications.email import send_email
from app.security import ensure_hospital, visible_hospital_ids
from app.services import audit, booking, locations
from app.services.availability import load_calendars
from app.templating import local_time

log = logging.getLogger(__name__)

CANCEL_REASON = "Cancelled from the room's day view"
# the service names the field an error concerns; the form calls the start's time field start_time
FORM_FIELDS = {"start": "start_time", "minutes": "minutes", "doctor_id": "doctor_id", "patient_id": "patient_id",
               "reason": "reason"}
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

def _room_or_404(room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or not room.bookable or not room.active:
        abort(404)
    ensure_hospital(room.hospital_id)  # another hospital's room looks like no room at all
    return room


def _require(room: Room, *levels: str) -> str:
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
    patients = db.session.scalars(select(Patient).where(Patient.id.in_(ids)).order_by(Patient.name, Patient.id))
    return [("", "—")] + [(str(p.id), f"{p.name} ({p.birth_date.isoformat()})" if p.birth_date else p.name)
                          for p in patients]


def _booking_form(room: Room, access: str, **defaults) -> BookingForm:
    form = BookingForm(**defaults)
    if access != "manager":
        del form.emergency  # only managers may displace elective bookings
    form.doctor_id.choices = _doctor_choices(room.hospital_id)
    form.patient_id.choices = _patient_choices(room.hospital_id)
    return form


def _grant_candidates(room: Room, level: str) -> list[tuple[str, str]]:
    """Doctors of the hospital may become bookers, its staff managers; those who already are are left out."""
    if level == "booker":
        query = (select(User.id, User.name).join(Doctor, Doctor.user_id == User.id)
                 .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
                 .where(doctor_hospitals.c.hospital_id == room.hospital_id))
    else:
        query = (select(User.id, User.name).join(Membership, Membership.user_id == User.id)
                 .where(Membership.hospital_id == room.hospital_id, Membership.role == Role.STAFF,
                        User.role == Role.STAFF))
    holders = select(LocationAccess.user_id).where(LocationAccess.room_id == room.id, LocationAccess.role == level)
    rows = db.session.execute(query.where(User.active, User.id.not_in(holders)).distinct().order_by(User.name))
    return [("", "—")] + [(str(i), name) for i, name in rows]


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
    active = [a for a in appointments if a.status in core.ACTIVE or a.status == "completed"]
    now = utcnow()
    rows = [Row(a.start, a.end, a) for a in active]
    for start, end, session in _free(sessions, [(a.start, a.end) for a in active]):
        first = _first_slot(session, start, end, now)
        rows.append(Row(start, end, None, core.to_local(first, tz).strftime("%H:%M") if first else None))
    rows.sort(key=lambda r: (r.start, r.appointment is not None))
    return rows, [a for a in appointments if a not in active]


def _may_cancel(access: str | None, appointment: Appointment) -> bool:
    if appointment.kind != "location" or appointment.status != "scheduled":
        return False
    return access == "manager" or (access == "booker" and appointment.booked_by_id == current_user.id)


def _render_day(room: Room, day: date, access: str | None, form: BookingForm | None, status: int = 200):
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
    room = _room_or_404(room_id)
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
        form = _booking_form(room, access, formdata=None, day=day, start_time=start, minutes=60, doctor_id=own)
    return _render_day(room, day, access, form)


@bp.route("/<int:room_id>/bookings", methods=["POST"])
def book(room_id: int):
    room = _room_or_404(room_id)
    access = _require(room, "manager", "booker")
    if access != "manager" and request.form.get("emergency"):
        abort(403)  # a booker asking for an emergency must not silently get an elective booking
    tz = ZoneInfo(room.hospital.timezone)
    form = _booking_form(room, access)
    if not form.validate_on_submit():
        return _render_day(room, form.day.data or core.local_day(utcnow(), tz), access, form, 422)
    start = core.to_utc(form.day.data, form.start_time.data, tz)
    doctor = db.session.get(Doctor, form.doctor_id.data) if form.doctor_id.data else None
    patient = db.session.get(Patient, form.patient_id.data) if form.patient_id.data else None
    emergency = access == "manager" and form.emergency.data
    try:
        result = locations.book_location(current_user._get_current_object(), room, start, form.minutes.data,
                                         doctor=doctor, patient=patient, reason=(form.reason.data or "").strip(),
                                         emergency=emergency)
    except core.SchedulingError as err:
        db.session.rollback()
        field = getattr(form, FORM_FIELDS.get(err.field or "", ""), None)
        # the core speaks English; a catalogue entry for the message translates it
        message = _(err.message)
        if isinstance(err, core.OutsideHours) and err.field == "start" and not emergency:
            message += " " + _("Elective cases must start on a slot of a published session; "
                               "the day list shows the first free one.")
        (field.errors if field is not None else form.form_errors).append(message)
        return _render_day(room, form.day.data, access, form, err.http_status)
    db.session.commit()
    unsent = _tell_displaced(room, result.displaced)
    when = local_time(start, room.hospital.timezone)
    if emergency:
        message = _("Emergency booked in %(room)s on %(when)s for %(minutes)d minutes.", room=room.name,
                    when=when, minutes=form.minutes.data)
    else:
        message = _("Booked %(room)s on %(when)s for %(minutes)d minutes.", room=room.name, when=when,
                    minutes=form.minutes.data)
    if result.displaced:
        message += " " + ngettext("%(num)d elective booking was displaced and its owners were told.",
                                  "%(num)d elective bookings were displaced and their owners were told.",
                                  len(result.displaced))
    flash(message, "warning" if result.displaced else "success")
    if unsent:
        flash(_("Some e-mails could not be sent (%(emails)s). Please tell these people yourself.",
                emails=", ".join(unsent)), "danger")
    return redirect(url_for(".room", room_id=room.id, day=form.day.data.isoformat()))


def _tell_displaced(room: Room, displaced: list[Appointment]) -> list[str]:
    """E-mail whoever must hear of each displaced booking; called after the commit. Returns the unsent addresses."""
    unsent = []
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    for appointment in displaced:
        day = core.local_day(appointment.start, ZoneInfo(room.hospital.timezone)).isoformat()
        for user in locations.displaced_recipients(appointment):
            link = base + (url_for("patient.home") if user.role == Role.PATIENT
                           else url_for(".room", room_id=room.id, day=day))
            try:
                with force_locale(user.language or "en"):
                    send_email(user.email, _("Your booking of %(room)s was cancelled for an emergency",
                                             room=room.name),
                               "location_displaced", appointment=appointment, room=room, link=link, user=user)
            except OSError:  # SMTP down: the booking stands, the desk is told to phone instead
                log.exception("could not e-mail %s about displaced appointment %s", user.email, appointment.id)
                unsent.append(user.email)
    return unsent


@bp.route("/<int:room_id>/bookings/<int:appointment_id>/cancel", methods=["POST"])
def cancel(room_id: int, appointment_id: int):
    room = _room_or_404(room_id)
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.room_id != room.id or appointment.kind != "location":
        abort(404)
    access = _require(room, "manager", "booker")
    if access != "manager" and appointment.booked_by_id != current_user.id:
        abort(403)
    day = core.local_day(appointment.start, ZoneInfo(room.hospital.timezone))
    try:
        booking.cancel(current_user.id, appointment, CANCEL_REASON)
    except core.SchedulingError as err:
        db.session.rollback()
        flash(_(err.message), "danger")
    else:
        db.session.commit()
        flash(_("The booking was cancelled; the room is free again at that time."), "success")
    return redirect(url_for(".room", room_id=room.id, day=day.isoformat()))


# --- access --------------------------------------------------------------------------------------------------------

def _grant_form(room: Room, level: str) -> GrantForm:
    form = GrantForm(prefix=level)
    form.user_id.choices = _grant_candidates(room, level)
    if level == "booker":
        form.user_id.label.text, form.submit.label.text = _("Doctor"), _("Allow to book")
        form.user_id.description = _("Doctors of this hospital. They may book elective cases.")
    else:
        form.user_id.label.text, form.submit.label.text = _("Staff member"), _("Make manager")
        form.user_id.description = _("Staff of this hospital. Managers may also book emergencies.")
    return form


def _render_access(room: Room, forms: dict[str, GrantForm], status: int = 200):
    rows = db.session.scalars(select(LocationAccess).where(LocationAccess.room_id == room.id)
                              .join(User, LocationAccess.user_id == User.id)
                              .options(joinedload(LocationAccess.user))
                              .order_by(LocationAccess.role.desc(), User.name)).all()
    return render_template("locations/access.html", room=room, hospital=room.hospital, rows=rows,
                           forms=forms, access_labels=ACCESS_LABELS,
                           kind_label=ROOM_KIND_LABELS.get(room.kind, room.kind),
                           title=_("Access to %(room)s", room=room.name)), status


@bp.route("/<int:room_id>/access", endpoint="access")
def access_page(room_id: int):
    room = _room_or_404(room_id)
    _require(room, "manager")
    return _render_access(room, {level: _grant_form(room, level) for level in ("booker", "manager")})


@bp.route("/<int:room_id>/access/<any(booker, manager):level>", methods=["POST"])
def grant(room_id: int, level: str):
    room = _room_or_404(room_id)
    _require(room, "manager")
    form = _grant_form(room, level)
    if not form.validate_on_submit():
        forms = {name: form if name == level else _grant_form(room, name) for name in ("booker", "manager")}
        return _render_access(room, forms, 422)
    user = db.session.get(User, form.user_id.data)
    locations.grant(current_user.id, room, user, level)
    db.session.commit()
    if level == "booker":
        flash(_("%(name)s may now book %(room)s.", name=user.name, room=room.name), "success")
    else:
        flash(_("%(name)s now manages %(room)s.", name=user.name, room=room.name), "success")
    return redirect(url_for(".access", room_id=room.id))


@bp.route("/<int:room_id>/access/<int:access_id>/revoke", methods=["POST"])
def revoke(room_id: int, access_id: int):
    room = _room_or_404(room_id)
    _require(room, "manager")
    row = db.session.get(LocationAccess, access_id)
    if row is None or row.room_id != room.id:
        abort(404)
    name = row.user.name
    audit.record(current_user.id, "location.revoke", "room", room.id, hospital_id=room.hospital_id,
                 before={"user_id": row.user_id, "role": row.role})
    db.session.delete(row)
    db.session.commit()
    flash(_("%(name)s no longer has access to %(room)s.", name=name, room=room.name), "success")
    return redirect(url_for(".access", room_id=room.id))
