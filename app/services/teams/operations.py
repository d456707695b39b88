"""Team templates, the team search and team bookings (docs/teams.md).

A team appointment holds every member's 5-minute cells through Claim rows, inserted in the one transaction that
creates the appointment: UNIQUE(resource_id, cell_start, seat) lets exactly one of two overlapping teams win on any
shared member, as it does for single bookings (docs/architecture.md, "Integrity"). Its first doctor is the
appointment's doctor and its room its room, so the lists that read those columns show it; the other members are
participants. Nothing here commits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import scheduling as core
from app.extensions import db
from app.models import (
    Appointment,
    AppointmentType,
    Claim,
    Doctor,
    Hospital,
    Participant,
    Patient,
    Role,
    Room,
    SchedulableResource,
    Specialty,
    TeamTemplate,
    User,
    doctor_hospitals,
)
from app.models.base import utcnow
from app.notifications import events as notify
from app.scheduling import teams as team_core
from app.scheduling.codes import Kind, Status
from app.services import audit, signals
from app.services.access import visible_hospital_ids
from app.services.availability import load_busy, load_calendars, resource_for_doctor, resource_for_room, rooms_with
from app.services.booking import AUDIT_FIELDS, insert_claims, lost_race
from app.services.booking.placement import check_patient_free

MAX_DAYS = 31
ROLE_NAME_MAX = 40


# --- policy ---

def may_use_teams(user: User, hospital_id: int) -> bool:
    """Search and book teams: the desk and admins of the hospital (a region admin everywhere), like room bookings
    by managers; doctors, nurses and patients do not assemble teams."""
    if not getattr(user, "is_authenticated", False) or user.role not in (Role.STAFF, Role.ADMIN):
        return False
    scope = visible_hospital_ids(user)
    return scope is None or hospital_id in scope


def may_edit_template(user: User, hospital_id: int) -> bool:
    """Set a procedure's team: admins of the hospital (a region admin everywhere), like its other catalogue."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.ADMIN:
        return False
    scope = visible_hospital_ids(user)
    return scope is None or hospital_id in scope


# --- templates ---

def template_for(appointment_type_id: int) -> TeamTemplate | None:
    return db.session.scalar(select(TeamTemplate).where(TeamTemplate.appointment_type_id == appointment_type_id))


def templates_at(hospital_ids: set[int] | None) -> list[TeamTemplate]:
    query = (select(TeamTemplate).join(AppointmentType).where(AppointmentType.active)
             .options(joinedload(TeamTemplate.appointment_type)).order_by(AppointmentType.name))
    if hospital_ids is not None:
        query = query.where(TeamTemplate.hospital_id.in_(hospital_ids))
    return list(db.session.scalars(query))


def _role_errors(i: int, role: object, hospital_id: int) -> dict[str, str]:
    key = f"roles.{i}"
    if not isinstance(role, dict):
        return {key: "Must be an object."}
    name, kind = role.get("name"), role.get("kind")
    errors = {}
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= ROLE_NAME_MAX:
        errors[f"{key}.name"] = f"Must be 1 to {ROLE_NAME_MAX} characters."
    if kind == "doctor":
        ids, specialty = role.get("doctor_ids"), role.get("specialty_id")
        if (ids is None) == (specialty is None):
            errors[key] = "Give either specialty_id or doctor_ids."
        elif ids is not None:
            if not isinstance(ids, list) or not ids or not all(isinstance(d, int) for d in ids) or len(ids) > 50:
                errors[f"{key}.doctor_ids"] = "Must be a list of 1 to 50 doctor ids."
            elif len(_doctors_at(hospital_id, doctor_ids=set(ids))) != len(set(ids)):
                errors[f"{key}.doctor_ids"] = "Every doctor must work at this hospital."
        elif not isinstance(specialty, int):
            errors[f"{key}.specialty_id"] = "Must be a specialty id."
        elif db.session.get(Specialty, specialty) is None:  # else the role would stay empty for good
            errors[f"{key}.specialty_id"] = "No such specialty."
    elif kind == "room":
        ids = role.get("room_ids")
        if ids is not None and (not isinstance(ids, list) or not ids or not all(isinstance(r, int) for r in ids)
                                or len(ids) > 50):
            errors[f"{key}.room_ids"] = "Must be a list of 1 to 50 room ids."
        elif ids is not None and len(_rooms_at(hospital_id, set(ids))) != len(set(ids)):
            errors[f"{key}.room_ids"] = "Every room must be a bookable room of this hospital."
    else:
        errors[f"{key}.kind"] = "Must be 'doctor' or 'room'."
    return errors


def put_template(actor_id: int | None, appointment_type: AppointmentType, roles: list) -> TeamTemplate:
    """Set the team an appointment type needs (replacing the old one); field errors raise ScheduleInvalid."""
    errors: dict[str, str] = {}
    if not isinstance(roles, list) or not 1 <= len(roles) <= team_core.MAX_ROLES:
        errors["roles"] = f"A team has 1 to {team_core.MAX_ROLES} roles."
    else:
        for i, role in enumerate(roles):
            errors.update(_role_errors(i, role, appointment_type.hospital_id))
        names = [r.get("name", "").strip() for r in roles if isinstance(r, dict) and isinstance(r.get("name"), str)]
        if len(set(names)) != len(names):
            errors["roles"] = "Each role needs its own name."
    if errors:
        raise core.ScheduleInvalid("The team has errors.", fields=errors)
    clean = [{k: v for k, v in r.items() if k in ("kind", "specialty_id", "doctor_ids", "room_ids")}
             | {"name": r["name"].strip()} for r in roles]
    template = template_for(appointment_type.id)
    before = {"roles": template.roles} if template else None
    if template is None:
        template = TeamTemplate(hospital_id=appointment_type.hospital_id, appointment_type_id=appointment_type.id,
                                roles=clean)
        db.session.add(template)
    template.roles = clean
    db.session.flush()
    audit.record(actor_id, "team.template", "appointment_type", appointment_type.id,
                 hospital_id=appointment_type.hospital_id, before=before, after={"roles": clean})
    return template


def _doctors_at(hospital_id: int, *, doctor_ids: set[int] | None = None,
                specialty_id: int | None = None) -> list[int]:
    query = (select(Doctor.id).join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
             .join(User, User.id == Doctor.user_id)
             .where(doctor_hospitals.c.hospital_id == hospital_id, Doctor.active, User.active))
    if doctor_ids is not None:
        query = query.where(Doctor.id.in_(doctor_ids))
    if specialty_id is not None:
        query = query.where(Doctor.specialty_id == specialty_id)
    return list(db.session.scalars(query.order_by(Doctor.id)))


def _rooms_at(hospital_id: int, room_ids: set[int] | None = None) -> list[int]:
    query = select(Room.id).where(Room.hospital_id == hospital_id, Room.bookable, Room.active)
    if room_ids is not None:
        query = query.where(Room.id.in_(room_ids))
    return list(db.session.scalars(query.order_by(Room.id)))


def team_roles(template: TeamTemplate) -> list[team_core.TeamRole]:
    """The template's roles with their candidates as resource ids. A doctor without a resource has no calendar and
    is left out; a room gets its resource on first use."""
    hospital_id, kit = template.hospital_id, {e.id for e in template.appointment_type.equipment}
    roles = []
    for role in template.roles:
        if role["kind"] == "doctor":
            doctors = _doctors_at(hospital_id, doctor_ids=set(role["doctor_ids"]) if role.get("doctor_ids") else None,
                                  specialty_id=role.get("specialty_id"))
            ids = db.session.scalars(select(SchedulableResource.id).where(SchedulableResource.doctor_id.in_(doctors))
                                     .order_by(SchedulableResource.id)).all() if doctors else []
        else:
            rooms = sorted(rooms_with(set(_rooms_at(hospital_id, set(role["room_ids"]) if role.get("room_ids")
                                                    else None)), kit))
            ids = [resource_for_room(r).id for r in rooms]
        roles.append(team_core.TeamRole(role["name"], tuple(ids)))
    return roles


# --- free time ---

def _free(roles: list[team_core.TeamRole], hospital, first_day: date, last_day: date,
          now: datetime) -> tuple[dict[int, list], dict[int, int]]:
    """Each candidate's free intervals over the local days, and how many minutes of them are already taken."""
    resource_ids = sorted({r for role in roles for r in role.candidates})
    tz = ZoneInfo(hospital.timezone)
    calendars = load_calendars([(r, hospital.id) for r in resource_ids], {hospital.id: hospital.timezone},
                               first_day, last_day)
    span_start = core.to_utc(first_day, time(0), tz)
    span_end = core.to_utc(last_day + timedelta(days=1), time(0), tz)
    taken: dict[int, list] = defaultdict(list)
    for resource_id, busy in load_busy(set(resource_ids), span_start, span_end).items():
        taken[resource_id].extend((b.start, b.end) for b in busy)
    # a team's other members hold their time by claims only (their appointment names one doctor)
    for resource_id, cell in db.session.execute(
            select(Claim.resource_id, Claim.cell_start).where(Claim.resource_id.in_(resource_ids),
                                                              Claim.cell_start >= span_start,
                                                              Claim.cell_start < span_end)):
        taken[resource_id].append((cell, cell + timedelta(minutes=core.CELL_MINUTES)))
    free, load = {}, {}
    for resource_id in resource_ids:
        calendar = calendars[(resource_id, hospital.id)]
        windows = core.expand_windows([s for _, s in calendar.schedules], calendar.exceptions, tz, first_day,
                                      last_day)
        in_force = calendar.schedule_for(first_day)
        policy = in_force[1].policy if in_force else core.Policy()
        opens = now + timedelta(minutes=policy.min_notice_minutes)
        closes = now + timedelta(days=policy.horizon_days)
        spans = [(max(w.start, opens), min(w.end, closes)) for w in windows if w.rule.kind == "slots"]
        free[resource_id] = team_core.free_time(spans, taken[resource_id])
        load[resource_id] = sum(int((e - s).total_seconds()) // 60
                                for s, e in team_core.free_time(taken[resource_id], []))
    return free, load


@dataclass
class TeamSearch:
    """What the team search found: the starts (with their members), and roles whose candidates are never free
    long enough (why nothing was found)."""

    template: TeamTemplate
    minutes: int
    slots: list[team_core.TeamSlot] = field(default_factory=list)
    never_free: list[str] = field(default_factory=list)


def search_team(template: TeamTemplate, first_day: date, last_day: date, *, now: datetime | None = None,
                limit: int = 100) -> TeamSearch:
    now = now or utcnow()
    if last_day < first_day or (last_day - first_day).days >= MAX_DAYS:
        raise core.PeriodInvalid(f"Search 1 to {MAX_DAYS} days.", "last_day")
    minutes = template.appointment_type.duration_minutes
    roles = team_roles(template)
    team_core.check_team(roles, minutes)
    hospital = template.appointment_type.hospital
    free, load = _free(roles, hospital, first_day, last_day, now)
    tz = ZoneInfo(hospital.timezone)
    first = max(core.to_utc(first_day, time(0), tz), now)
    last = core.to_utc(last_day + timedelta(days=1), time(0), tz)
    slots = team_core.team_starts(roles, free, load, first, last, minutes, limit=limit)
    return TeamSearch(template, minutes, slots, [] if slots else team_core.roles_never_free(roles, free, minutes))


# --- booking ---

def book_team(actor: User, template: TeamTemplate, patient: Patient, start: datetime, *, reason: str | None = None,
              now: datetime | None = None) -> Appointment:
    """Book the whole team at `start` (naive UTC): every member's cells are claimed here, or nothing is (the caller
    rolls back on any error). A member taken meanwhile answers TeamNotFree, a lost race SlotTaken (both 409)."""
    now = now or utcnow()
    kind = template.appointment_type
    hospital = kind.hospital
    if start <= now:
        raise core.InPast("That time has already passed.", "start")
    roles = team_roles(template)
    team_core.check_team(roles, kind.duration_minutes)
    day = core.local_day(start, ZoneInfo(hospital.timezone))
    free, load = _free(roles, hospital, day - timedelta(days=1), day + timedelta(days=1), now)
    slot = team_core.team_at(roles, free, load, start, kind.duration_minutes)
    if slot is None:
        raise team_core.TeamNotFree("The team is not free together at that time. Please choose another.", "start")
    check_patient_free(patient, slot.start, slot.end)
    resources = {r.id: r for r in db.session.scalars(
        select(SchedulableResource).where(SchedulableResource.id.in_([m for _, m in slot.members])))}
    lead = next((resources[m].doctor_id for _, m in slot.members if resources[m].doctor_id), None)
    room = next((resources[m].room_id for _, m in slot.members if resources[m].room_id), None)
    appointment = Appointment(
        patient_id=patient.id, doctor_id=lead, room_id=room, hospital_id=hospital.id, appointment_type=kind.code,
        start=slot.start, end=slot.end, status=Status.SCHEDULED, reason=reason or None, kind=Kind.TEAM,
        holds_room=room is not None, booked_by_id=actor.id, fee=kind.fee, currency=hospital.currency)
    db.session.add(appointment)
    db.session.flush()
    db.session.add_all([Participant(appointment_id=appointment.id, resource_id=m, role=role)
                        for role, m in slot.members])
    with lost_race():
        insert_claims([{"resource_id": m, "cell_start": c, "seat": 0, "appointment_id": appointment.id}
                       for _, m in slot.members for c in core.cells(slot.start, slot.end)])
        db.session.flush()
    audit.record(actor.id, "team.book", "appointment", appointment.id, hospital_id=hospital.id,
                 after=audit.snapshot(appointment, AUDIT_FIELDS),
                 comment=", ".join(f"{role}: {m}" for role, m in slot.members))
    notify.appointment_booked(appointment)  # the patient's confirmation, in the outbox with the booking
    signals.appointment_booked.send(None, appointment=appointment, now=now)
    return appointment


# --- reading ---

def participants(appointment_ids: list[int]) -> dict[int, list[tuple[str, str, bool]]]:
    """(role, name, absent) of each team appointment's members, in booking order."""
    found: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    if not appointment_ids:
        return found
    rows = db.session.scalars(select(Participant).where(Participant.appointment_id.in_(appointment_ids))
                              .options(joinedload(Participant.resource)).order_by(Participant.id))
    for row in rows:
        resource = row.resource
        name = resource.doctor.name if resource.doctor_id else resource.room.name
        found[row.appointment_id].append((row.role, name, row.absent))
    return found


def participant_rows(appointment_id: int) -> list[tuple[str, int, bool]]:
    """(role, resource id, absent) of one team appointment's members, in booking order."""
    return [(p.role, p.resource_id, p.absent) for p in db.session.scalars(
        select(Participant).where(Participant.appointment_id == appointment_id).order_by(Participant.id))]


def day_list(doctor_id: int, hospital_id: int, day: date) -> list[Appointment]:
    """The doctor's active team appointments on a local day of the hospital, whatever their role in them."""
    resource = resource_for_doctor(doctor_id)
    if resource is None:
        return []
    tz = ZoneInfo(db.session.get(Hospital, hospital_id).timezone)
    start, end = core.to_utc(day, time(0), tz), core.to_utc(day + timedelta(days=1), time(0), tz)
    return list(db.session.scalars(
        select(Appointment).join(Participant, Participant.appointment_id == Appointment.id)
        .where(Participant.resource_id == resource.id, Appointment.hospital_id == hospital_id,
               Appointment.status.in_(core.ACTIVE), Appointment.start >= start, Appointment.start < end)
        .options(joinedload(Appointment.patient)).order_by(Appointment.start)))


def needs_rebooking(hospital_ids: set[int] | None, now: datetime | None = None) -> list[Appointment]:
    """Upcoming team appointments a member's leave has hit: staff rebook or cancel them."""
    query = (select(Appointment).where(Appointment.kind == Kind.TEAM, Appointment.status.in_(core.ACTIVE),
                                       Appointment.end > (now or utcnow()),
                                       Appointment.id.in_(select(Participant.appointment_id)
                                                          .where(Participant.absent.is_(True))))
             .options(joinedload(Appointment.patient)).order_by(Appointment.start))
    if hospital_ids is not None:
        query = query.where(Appointment.hospital_id.in_(hospital_ids))
    return list(db.session.scalars(query))


# --- leave ---

def flag_absent(resource_id: int, start: datetime, end: datetime) -> int:
    """Mark the participant absent on every active team appointment its leave [start, end) overlaps; how many."""
    rows = db.session.scalars(
        select(Participant).join(Appointment, Appointment.id == Participant.appointment_id)
        .where(Participant.resource_id == resource_id, Participant.absent.is_(False),
               Appointment.status.in_(core.ACTIVE), Appointment.start < end, Appointment.end > start)).all()
    for row in rows:
        row.absent = True
    db.session.flush()
    return len(rows)
