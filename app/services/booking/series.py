"""Recurring series booked by the desk: preview where each occurrence fits, book them all at once, cancel the rest.

The core (app.scheduling.series) expands the rule and places each date on the free starts the availability index
gives (docs/availability-index.md); `book` then books every placed occurrence through `booking.book`, so each one
claims its cells, is announced (`appointment_booked`), audited and notified like any other booking. The entry
point's one transaction holds them all: a lost race on any occurrence rolls every one back (docs/series.md).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Patient, SchedulableResource, Schedule, Series
from app.models.base import utcnow
from app.scheduling import series as rules
from app.scheduling.words import Text
from app.services import audit
from app.services.availability.query import SlotQuery
from app.services.availability.search import search_slots
from app.services.availability.views import local_today
from app.services.booking.claims import lost_race
from app.services.booking.operations import book as book_one
from app.services.booking.operations import cancel
from app.services.directory import choosable_doctor


class SeriesChanged(core.SchedulingError):
    """The free times moved between the preview and the confirmation: the new preview must be confirmed."""

    code, http_status = "series_changed", 409


@dataclass
class SeriesRequest:
    """What the desk asks for: the patient, the hospital, the rule, and one doctor or any doctor of a specialty."""

    patient: Patient
    hospital: Hospital
    rule: rules.Recurrence
    doctor_id: int | None = None
    specialty_id: int | None = None
    appointment_type: str | None = None


def candidates(request: SeriesRequest) -> list[Doctor]:
    """The doctors an occurrence may go to: the chosen one, or every bookable doctor of the specialty, at the
    hospital."""
    if (request.doctor_id is None) == (request.specialty_id is None):
        raise rules.SeriesInvalid("Choose a doctor or a specialty.", "doctor_id")
    query = select(Doctor).where(choosable_doctor(), Doctor.hospitals.any(Hospital.id == request.hospital.id))
    if request.doctor_id is not None:
        query = query.where(Doctor.id == request.doctor_id)
    else:
        query = query.where(Doctor.specialty_id == request.specialty_id)
    doctors = list(db.session.scalars(query))
    if not doctors:
        field = "doctor_id" if request.doctor_id is not None else "specialty_id"
        raise rules.SeriesInvalid("No such doctor works at this hospital.", field)
    return doctors


def last_bookable_day(doctors: list[Doctor], hospital: Hospital, today: date) -> date:
    """The furthest day any candidate can be booked: today plus the longest booking horizon of the schedules in
    force (docs/settings.md: each schedule's `horizon_days`); without a schedule nothing is bookable after today."""
    longest = db.session.scalar(select(func.max(Schedule.horizon_days)).join(
        SchedulableResource, SchedulableResource.id == Schedule.resource_id).where(
        SchedulableResource.doctor_id.in_([d.id for d in doctors]), Schedule.hospital_id == hospital.id,
        or_(Schedule.valid_till.is_(None), Schedule.valid_till > today)))
    return today + timedelta(days=longest or 0)


def preview(request: SeriesRequest, now: datetime | None = None) -> list[rules.Occurrence]:
    """Each date of the series placed on a free start, or the reason it cannot be; raises for a rule that cannot
    be honoured at all (past first date, too many dates, past the booking horizon)."""
    now = now or utcnow()
    days = rules.occurrence_days(request.rule)
    tz = ZoneInfo(request.hospital.timezone)
    today = local_today(request.hospital.timezone, now)
    if days[0] < today:
        raise rules.SeriesInvalid("The first date must not be in the past.", "first_day")
    doctors = candidates(request)
    rules.check_horizon(days, last_bookable_day(doctors, request.hospital, today))
    wanted = {d.id for d in doctors}
    free: dict[date, list[rules.FreeStart]] = {}
    for day in days:
        found = search_slots(SlotQuery(
            first_day=day, last_day=day, hospital_id=request.hospital.id, doctor_id=request.doctor_id,
            specialty_id=None if request.doctor_id else request.specialty_id,
            appointment_type=request.appointment_type, limit=500), now)
        free[day] = [rules.FreeStart(r.doctor_id, r.hospital_id, r.start, r.end) for r in found
                     if r.doctor_id in wanted]
    lo, hi = rules.window_utc(days[0], request.rule, tz)[0], rules.window_utc(days[-1], request.rule, tz)[1]
    busy = db.session.execute(select(Appointment.start, Appointment.end).where(
        Appointment.patient_id == request.patient.id, Appointment.status.in_(core.ACTIVE),
        Appointment.start < hi, Appointment.end > lo)).all()
    return rules.place_series(request.rule, days, free, tz, [(b.start, b.end) for b in busy])


def fingerprint(occurrences: list[rules.Occurrence]) -> str:
    """A short digest of a preview: the confirmation books only what the desk was shown."""
    text = "\n".join(f"{o.day}|{o.start}|{o.doctor_id}|{o.hospital_id}|{o.reason}" for o in occurrences)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def book(actor_id: int | None, request: SeriesRequest, *, expected: str | None = None,
         now: datetime | None = None) -> tuple[Series, list[rules.Occurrence]]:
    """Book every placed occurrence of a fresh preview; nothing commits here (the entry point's transaction does).

    `expected`: the fingerprint of the preview the desk confirmed; when the free times have moved since, the
    series is refused (SeriesChanged) with nothing booked. Any occurrence's refusal (a lost race) raises too, and
    the transaction rolls back every occurrence with it.
    """
    now = now or utcnow()
    occurrences = preview(request, now)
    if expected is not None and expected != fingerprint(occurrences):
        raise SeriesChanged("The free times have changed since the preview: check the new preview and confirm "
                            "again. Nothing was booked.", "series")
    placed = [o for o in occurrences if o.placed]
    if not placed:
        raise rules.SeriesInvalid("No date of the series can be placed: nothing to book.", "series")
    rule = request.rule
    series = Series(patient_id=request.patient.id, hospital_id=request.hospital.id, created_by_id=actor_id,
                    doctor_id=request.doctor_id, specialty_id=request.specialty_id,
                    appointment_type=request.appointment_type, first_day=rule.first_day, every=rule.every,
                    unit=rule.unit, count=rule.count, until=rule.until, window_start=rule.window_start,
                    window_end=rule.window_end)
    db.session.add(series)
    db.session.flush()
    doctors = {d.id: d for d in candidates(request)}
    for occurrence in placed:
        try:
            # a lock conflict anywhere in this date's writes (claims, counters, the index) means a racing writer
            # got there first: the same answer as a lost claim
            with lost_race():
                appointment = book_one(actor_id, request.patient, doctors[occurrence.doctor_id], occurrence.start,
                                       appointment_type=request.appointment_type,
                                       hospital_id=occurrence.hospital_id, now=now, comment=f"series {series.id}")
        except core.SchedulingError as err:  # say which date; the caller's rollback takes every occurrence back
            err.message = Text("%(day)s: %(reason)s Nothing was booked.", day=occurrence.day.isoformat(),
                               reason=err.message)
            raise
        appointment.series_id = series.id
    audit.record(actor_id, "series.book", "series", series.id, hospital_id=series.hospital_id,
                 after={"patient_id": series.patient_id, "booked": len(placed),
                        "unplaceable": len(occurrences) - len(placed)})
    db.session.flush()
    return series, occurrences


def occurrences_of(series: Series) -> list[Appointment]:
    return list(db.session.scalars(select(Appointment).where(Appointment.series_id == series.id)
                                   .order_by(Appointment.start)))


def cancel_rest(actor_id: int | None, series: Series, reason: str, now: datetime | None = None) -> list[Appointment]:
    """Cancel every occurrence still to come and still booked; past, attended and already cancelled ones stay."""
    now = now or utcnow()
    rest = [a for a in occurrences_of(series) if a.status == core.Status.SCHEDULED and a.start > now]
    for appointment in rest:
        cancel(actor_id, appointment, reason, now=now, comment=f"series {series.id}: the rest cancelled")
    audit.record(actor_id, "series.cancel_rest", "series", series.id, hospital_id=series.hospital_id,
                 after={"cancelled": len(rest)}, comment=reason)
    return rest
