"""What a rule would have done last month (docs/overbooking.md, "Preview").

Replays the rule's second pass over the doctors' past sessions as they were booked: each session whose regular
slots were all booked gets the extras ``plan_extras`` would have placed, judged against what happened. An extra in
a slot whose patient did not come would have used minutes that were lost; an extra beside a patient who came would
have made somebody wait. Reads only; nothing is booked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Claim, Doctor
from app.scheduling.codes import Kind, Status
from app.scheduling.overbooking import Rule, plan_extras
from app.services.availability import Request, load_calendars, resource_for_doctor
from app.services.availability.calendars import day_groups

PREVIEW_DAYS = 30
# what the replay counts as having taken place or been missed; cancelled and held slots were free
TOOK_PLACE = (Status.COMPLETED, Status.NO_SHOW, Status.CHECKED_IN, Status.IN_PROGRESS)


@dataclass(frozen=True)
class RulePreview:
    first_day: object  # the local dates replayed
    last_day: object
    doctors: int
    sessions: int  # past sessions of the doctors in the period
    full_sessions: int  # every regular slot booked: where the rule could act
    no_shows: int  # regular patients who did not come, in the full sessions
    extras: int  # extra bookings the rule would have placed
    into_no_shows: int  # ... in a slot whose patient did not come: lost minutes used
    beside_arrivals: int  # ... in a slot whose patient came: somebody would have waited
    unknown_risk: int  # regular bookings in full sessions without a stored prediction (never overbooked)


def preview_rule(rule: Rule, doctors: list[Doctor], now: datetime, days: int = PREVIEW_DAYS) -> RulePreview:
    """Replay ``rule`` over the last ``days`` local days before ``now`` (naive UTC) of these doctors' sessions.
    The extras' own risk is the mean predicted risk of the session's patients (who would have been added is not
    known in hindsight)."""
    last = (now - timedelta(days=1)).date()
    first = last - timedelta(days=days - 1)
    totals = dict(sessions=0, full_sessions=0, no_shows=0, extras=0, into_no_shows=0, beside_arrivals=0,
                  unknown_risk=0)
    doctors = db.session.scalars(select(Doctor).where(Doctor.id.in_([d.id for d in doctors]))
                                 .options(selectinload(Doctor.hospitals))).all()
    for doctor in doctors:
        resource = resource_for_doctor(doctor.id)
        hospitals = {h.id: h.timezone for h in doctor.hospitals}
        if not hospitals:
            continue
        calendars = load_calendars([(resource.id, h) for h in hospitals], hospitals, first - timedelta(days=1),
                                   last + timedelta(days=1))
        booked = _past_bookings(doctor.id, resource.id, first, last)
        for calendar in calendars.values():
            day = first
            while day <= last:
                for group in day_groups(calendar, day, Request(now=now)):
                    if group.slots and group.slots[0].kind == Kind.SLOTS:
                        _replay(rule, group.slots, booked, totals)
                day += timedelta(days=1)
    return RulePreview(first_day=first, last_day=last, doctors=len(doctors), **totals)


def _past_bookings(doctor_id: int, resource_id: int, first, last) -> dict[datetime, Appointment]:
    """The doctor's regular bookings that took place or were missed around the period (extras left out), by each
    5-minute cell they cover."""
    start, end = datetime.combine(first - timedelta(days=1), datetime.min.time()), \
        datetime.combine(last + timedelta(days=2), datetime.min.time())
    extra = select(Claim.appointment_id).where(Claim.resource_id == resource_id, Claim.seat < 0)
    rows = db.session.scalars(select(Appointment).where(
        Appointment.doctor_id == doctor_id, Appointment.status.in_(TOOK_PLACE), Appointment.start >= start,
        Appointment.start < end, Appointment.id.not_in(extra))).all()
    return {cell: a for a in rows for cell in core.cells(a.start, a.end)}


def _replay(rule: Rule, slots, booked: dict[datetime, Appointment], totals: dict) -> None:
    holders = [booked.get(s.start) for s in slots]
    if not any(holders):
        return
    totals["sessions"] += 1
    if not all(holders):
        return
    totals["full_sessions"] += 1
    totals["no_shows"] += sum(1 for a in holders if a.status == Status.NO_SHOW)
    risks = [a.noshow_p for a in holders]
    totals["unknown_risk"] += sum(1 for p in risks if p is None)
    known = [p for p in risks if p is not None]
    if not known or not rule.on:
        return
    candidate = sum(known) / len(known)
    for slot, _ in plan_extras(rule, risks, [candidate] * rule.max_extra):
        totals["extras"] += 1
        if holders[slot].status == Status.NO_SHOW:
            totals["into_no_shows"] += 1
        else:
            totals["beside_arrivals"] += 1
