"""The urgent reserve: whether a slot close to its start may go to routine waiting patients (docs/waitlist.md).

The matcher keeps slots less than 48 hours ahead for urgent entries (app.scheduling.waitlist). Close to its start,
a slot nobody urgent took is better given to a routine patient than lost, as long as the urgent requests still to
come find a place: ``late_release_allowed`` answers that for one slot from the recent urgent demand and the free
slots the search still finds. Earlier, inside the urgent window, ``early_release_allowed`` answers whether the
slot's day keeps its reserve without the slot (the matcher's ``early_release``; the service adds that nobody urgent
is waiting).
"""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor
from app.scheduling import waitlist as matcher
from app.scheduling.codes import Urgency
from app.services.availability.query import SlotQuery
from app.services.availability.search import search_slots

# Urgent demand is estimated from the urgent bookings of the last four weeks; requests come in office hours, so the
# four weeks hold about 20 working days of about 9 hours.
DEMAND_DAYS = 28
DEMAND_HOURS = 20 * 9


def urgent_per_hour(specialty_id: int | None, doctor_id: int, now: datetime) -> float:
    """Urgent requests per office hour for the specialty (the doctor, when they have none), from recent bookings."""
    query = select(func.count(Appointment.id)).where(
        Appointment.urgency == Urgency.URGENT, Appointment.patient_id.is_not(None),
        Appointment.created_at >= now - timedelta(days=DEMAND_DAYS), Appointment.created_at < now)
    if specialty_id is not None:
        query = query.join(Doctor, Doctor.id == Appointment.doctor_id).where(Doctor.specialty_id == specialty_id)
    else:
        query = query.where(Appointment.doctor_id == doctor_id)
    return (db.session.scalar(query) or 0) / DEMAND_HOURS


def slot_query(specialty_id: int | None, doctor_id: int, now: datetime, until: datetime, limit: int) -> SlotQuery:
    # local days: a day either side of the UTC dates covers every time zone; the starts are filtered after
    first, last = (now - timedelta(days=1)).date(), (until + timedelta(days=1)).date()
    if specialty_id is not None:
        return SlotQuery(first_day=first, last_day=last, specialty_id=specialty_id, urgency=Urgency.URGENT,
                         urgency_by_staff=True, limit=limit)
    return SlotQuery(first_day=first, last_day=last, doctor_id=doctor_id, urgency=Urgency.URGENT,
                     urgency_by_staff=True, limit=limit)


def late_release_allowed(doctor: Doctor, start: datetime, now: datetime) -> bool:
    """Whether the doctor's slot at ``start`` may go to routine entries now: it starts within LATE_RELEASE_HOURS and,
    without it, the specialty keeps the urgent reserve of free slots an urgent request asking now could take within
    its window (matcher.late_release)."""
    if not timedelta(0) < start - now <= timedelta(hours=matcher.LATE_RELEASE_HOURS):
        return False
    rate = urgent_per_hour(doctor.specialty_id, doctor.id, now)
    reserve = matcher.urgent_reserve(rate, start, now)
    until = now + timedelta(hours=matcher.URGENT_WINDOW_HOURS)
    found = search_slots(slot_query(doctor.specialty_id, doctor.id, now, until, min(reserve + 1, 500)), now)
    spare = sum(1 for r in found if now < r.start <= until and (r.doctor_id, r.start) != (doctor.id, start))
    return matcher.late_release(start, now, spare, rate)


def early_release_allowed(doctor: Doctor, start: datetime, tz: tzinfo, now: datetime) -> bool:
    """Whether the slot's local day keeps the urgent reserve (``matcher.day_reserve``) without the doctor's slot at
    ``start``: enough other free slots of the specialty (the doctor, when they have none) that urgent requests
    could take that day. Only for a slot inside the urgent window; the caller checks nobody urgent is waiting."""
    if not timedelta(0) < start - now < timedelta(hours=matcher.URGENT_WINDOW_HOURS):
        return False
    rate = urgent_per_hour(doctor.specialty_id, doctor.id, now)
    reserve = matcher.day_reserve(rate)
    day = core.local_day(start, tz)
    target = {"specialty_id": doctor.specialty_id} if doctor.specialty_id is not None else {"doctor_id": doctor.id}
    found = search_slots(SlotQuery(first_day=day, last_day=day, urgency=Urgency.URGENT, urgency_by_staff=True,
                                   limit=min(reserve + 1, 500), **target), now)
    spare = sum(1 for r in found if r.start > now and (r.doctor_id, r.start) != (doctor.id, start))
    return matcher.early_release(False, spare, rate)
