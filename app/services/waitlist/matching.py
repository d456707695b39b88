"""Who should hear of a freed slot: waiting entries from the database, ranked by the pure matcher.

The booking rules decide whether a slot can be booked at all (notice, horizon, leave, urgent hold-back): the slot is
placed with booking.place first, and only a placeable slot is matched. The matcher (app.scheduling.waitlist) decides
who is eligible and in which order, including its urgent window: a slot less than URGENT_WINDOW_HOURS (48 h) ahead
goes to urgent entries only, and with none eligible there are no candidates, so no hold is made and the slot stays
on sale for urgent requests through the search, until the late release (app.services.waitlist_late), unless it is
released early: nobody urgent waits for the doctor or the specialty and the day keeps its urgent reserve without
the slot (reserve.early_release_allowed), when routine entries are offered it at once.

A patient holds at most WAITLIST_MAX_OPEN_OFFERS open offers (docs/settings.md): one who has that many is passed
over and the slot goes to the next patients, so nobody gets a page of offers they cannot answer.

The window is the matcher's constant for every schedule. The schedule's urgent_release_hours is not it: that is how
close to its start a held-back slot is released to everyone (24 h by default), the opposite direction; using it
would hand a slot 20 hours ahead to routine entries again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Doctor, Hospital, Offer, WaitlistEntry
from app.models.base import utcnow
from app.scheduling import waitlist as matcher
from app.scheduling.codes import OfferStatus, Status, Urgency, WaitStatus
from app.services.booking import Placement, place
from app.services.waitlist.reserve import early_release_allowed, late_release_allowed

DEFAULT_MAX_OPEN_OFFERS = 2


@dataclass
class Candidate:
    """A waiting entry the slot suits, with its points (higher is better) and the reasons in words."""

    entry: WaitlistEntry
    score: float
    reasons: list[str]
    distance_km: float | None = None


def split_ids(value: str) -> frozenset[int]:
    return frozenset(int(part) for part in (value or "").split(",") if part.strip().isdigit())


def split_words(value: str) -> frozenset[str]:
    return frozenset(part for part in (value or "").split(",") if part)


def current_start(entry: WaitlistEntry) -> datetime | None:
    """The start of the booking an "earlier slot, please" entry keeps, while it is still booked."""
    current = entry.current_appointment
    if current is None or current.status != Status.SCHEDULED:
        return None
    return current.start


def as_waiting(entry: WaitlistEntry) -> matcher.Waiting:
    near = (entry.near_lat, entry.near_lon) if entry.near_lat is not None and entry.near_lon is not None else None
    return matcher.Waiting(
        entry_id=entry.id, patient_id=entry.patient_id, latest=entry.latest, created_at=entry.created_at,
        specialty_id=entry.specialty_id, doctor_id=entry.doctor_id, hospital_ids=split_ids(entry.hospital_ids),
        near=near, radius_km=entry.radius_km, urgency=entry.urgency, times_of_day=split_words(entry.times_of_day),
        appointment_type=entry.appointment_type, current_start=current_start(entry))


def placement_for(doctor: Doctor, hospital_id: int, start: datetime, *, appointment_type: str | None,
                  now: datetime, ignore: Appointment | None = None) -> Placement | None:
    """Where the slot stands by the booking rules (asked as urgent, the widest reach), or None when it cannot be
    booked: past, too short notice, beyond the horizon, on leave or no longer free."""
    try:
        return place(doctor, start, appointment_type=appointment_type, urgency=Urgency.URGENT, now=now,
                     hospital_id=hospital_id, ignore=ignore)
    except core.SchedulingError:
        return None


def freed_slot(doctor: Doctor, hospital: Hospital, placement: Placement, now: datetime, *,
               urgent_waiting: bool = True) -> matcher.FreedSlot:
    """The matcher's view of a placed slot. A slot the schedule holds back for urgent cases, and not yet released
    to everyone, goes to urgent entries only: the same rule search and booking apply. The matcher adds its urgent
    window (URGENT_WINDOW_HOURS) on top, whatever the schedule, lifted within LATE_RELEASE_HOURS of the start when
    the urgent reserve allows (waitlist_late), and at once when nobody urgent is waiting (``urgent_waiting``
    False) and the slot's day keeps its reserve (the early release)."""
    free, policy = placement.free, placement.group.policy
    released = free.start - now <= timedelta(hours=policy.urgent_release_hours)
    tz = ZoneInfo(hospital.timezone)
    urgent_only = free.urgent_hold and not released
    early = (not urgent_waiting and not urgent_only and matcher.in_urgent_window(free.start, now)
             and early_release_allowed(doctor, free.start, tz, now))
    minutes = dict(db.session.execute(select(AppointmentType.code, AppointmentType.duration_minutes).where(
        AppointmentType.hospital_id == hospital.id, AppointmentType.active)).all())
    return matcher.FreedSlot(
        doctor_id=doctor.id, hospital_id=hospital.id, start=free.start, end=free.end, tz=tz,
        specialty_id=doctor.specialty_id, position=(hospital.lat, hospital.lon), appointment_types=placement.offered,
        type_minutes={code: m for code, m in minutes.items() if m}, urgent_only=urgent_only,
        late_release=late_release_allowed(doctor, free.start, now), early_release=early)


def waiting_for(doctor: Doctor, last_day) -> list[WaitlistEntry]:
    """Waiting entries that name this doctor or (naming no doctor) the doctor's specialty, still wanting the day."""
    target = WaitlistEntry.doctor_id == doctor.id
    if doctor.specialty_id is not None:
        target = target | ((WaitlistEntry.doctor_id.is_(None)) & (WaitlistEntry.specialty_id == doctor.specialty_id))
    return list(db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.status == WaitStatus.WAITING, WaitlistEntry.latest >= last_day, target)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)))


def _busy_patients(patient_ids: set[int], start: datetime, end: datetime) -> set[int]:
    """Patients who already have an appointment at that time."""
    if not patient_ids:
        return set()
    return set(db.session.scalars(select(Appointment.patient_id).where(
        Appointment.patient_id.in_(patient_ids), Appointment.status.in_(core.ACTIVE), Appointment.start < end,
        Appointment.end > start)))


def max_open_offers() -> int:
    """WAITLIST_MAX_OPEN_OFFERS (docs/settings.md), at least one."""
    return max(1, int(current_app.config.get("WAITLIST_MAX_OPEN_OFFERS", DEFAULT_MAX_OPEN_OFFERS)))


def open_offers(patient_ids: set[int], now: datetime) -> dict[int, int]:
    """Open offers, not yet expired, per patient: what each still has to answer."""
    if not patient_ids:
        return {}
    return dict(db.session.execute(
        select(WaitlistEntry.patient_id, func.count(Offer.id)).join(Offer, Offer.entry_id == WaitlistEntry.id)
        .where(WaitlistEntry.patient_id.in_(patient_ids), Offer.status == OfferStatus.OPEN, Offer.expires_at > now)
        .group_by(WaitlistEntry.patient_id)).all())


def rank_for(doctor: Doctor, hospital: Hospital, placement: Placement, now: datetime, *, limit: int | None,
             exclude_patients=(), exclude_entries=()) -> list[Candidate]:
    skip_entries = set(exclude_entries)
    waiting = waiting_for(doctor, core.local_day(placement.free.start, ZoneInfo(hospital.timezone)))
    # anyone urgent still on the list for this doctor or specialty keeps the slot from the early release, even one
    # already asked: the rule a clerk can say in one sentence
    urgent_waiting = any(e.urgency == Urgency.URGENT and e.patient_id not in exclude_patients for e in waiting)
    entries = {e.id: e for e in waiting if e.id not in skip_entries}
    slot = freed_slot(doctor, hospital, placement, now, urgent_waiting=urgent_waiting)
    busy = _busy_patients({e.patient_id for e in entries.values()}, slot.start, slot.end)
    # a patient's own "earlier slot" booking may touch the slot: that booking is released on accept
    busy -= {e.patient_id for e in entries.values()
             if e.current_appointment is not None and e.current_appointment.status == Status.SCHEDULED
             and e.current_appointment.start < slot.end and e.current_appointment.end > slot.start}
    patients = {e.patient_id for e in entries.values()}
    matches = matcher.rank(slot, [as_waiting(e) for e in entries.values()], now, limit=limit,
                           exclude_patients={*exclude_patients, *busy}, open_offers=open_offers(patients, now),
                           max_open_offers=max_open_offers())
    return [Candidate(entries[m.waiting.entry_id], m.score, list(m.reasons), m.distance_km) for m in matches]


def held_at(doctor_id: int, start: datetime) -> Appointment | None:
    """The waitlist hold on the doctor's slot at `start`, if one is out."""
    return db.session.scalar(select(Appointment).where(
        Appointment.doctor_id == doctor_id, Appointment.start == start, Appointment.status == core.HELD).limit(1))


def candidates_for_slot(hospital_id: int, doctor_id: int, start: datetime, end: datetime, *,
                        now: datetime | None = None, limit: int = 10) -> list[Candidate]:
    """The best waiting entries for the doctor's slot at `start`, best first (what the desk sees after a
    cancellation). A slot that cannot be booked by the rules (or is booked again) has no candidates; a slot
    held for the waitlist lists the entries not yet offered it."""
    now = now or utcnow()
    doctor, hospital = db.session.get(Doctor, doctor_id), db.session.get(Hospital, hospital_id)
    if doctor is None or hospital is None:
        return []
    hold = held_at(doctor_id, start)
    placement = placement_for(doctor, hospital_id, start, appointment_type=None, now=now, ignore=hold)
    if placement is None:
        return []
    offered = offered_entries(hold) if hold is not None else set()
    return rank_for(doctor, hospital, placement, now, limit=limit, exclude_entries=offered)


def offered_entries(hold: Appointment) -> set[int]:
    """Entries that already had an offer of this hold (whatever became of it): nobody is asked twice."""
    return set(db.session.scalars(select(Offer.entry_id).where(Offer.hold_id == hold.id)))
