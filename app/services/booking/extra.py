"""Extra bookings (overbooking) in a full session, under the doctor's rule (docs/overbooking.md).

The core decides (``scheduling.overbooking.check_extra``); this module reads the session and claims the seat. A
session is the doctor's slots of one local day in one schedule and room. Seats are exact under races through the
claims' unique index alone (docs/overbooking.md, "Seats"): the s-th extra booking of a session claims its slot's
cells on seat s, and the session's first cell on seat -s. Two racers who read the same session choose the same s
and collide on that one row, whichever slots they want; s never passes the rule's ``max_extra``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Claim, Doctor, Patient
from app.models.base import utcnow
from app.notifications import events as notify
from app.scheduling.codes import Kind, Status
from app.scheduling.overbooking import check_extra
from app.services import audit
from app.services.availability import Request, load_calendars, resource_for_doctor, slot_groups, type_label
from app.services.booking.claims import AUDIT_FIELDS, count_on_day, insert_claims, lost_race
from app.services.booking.placement import check_patient_free
from app.services.overbooking import rule_for


def noshow_probability(appointment: Appointment) -> float | None:
    """The predicted chance that the appointment's patient misses it; None while no prediction is stored.

    The one place the overbooking decision reads a booked patient's risk (docs/overbooking.md, "Probabilities"):
    the probability stored with the booking (docs/noshow.md). An unknown risk is never overbooked."""
    return appointment.noshow_p


def overbooked_ids(appointment_ids: list[int]) -> set[int]:
    """Which of these appointments are extra bookings (for the staff's badge; patients are not told)."""
    if not appointment_ids:
        return set()
    return set(db.session.scalars(select(Claim.appointment_id).where(
        Claim.appointment_id.in_(appointment_ids), Claim.seat < 0)))


def book_extra(actor_id: int | None, patient: Patient, doctor: Doctor, start: datetime, *, probability: float,
               appointment_type: str | None = None, hospital_id: int | None = None, now: datetime | None = None,
               risk_of: Callable[[Appointment], float | None] = noshow_probability) -> Appointment:
    """Book the patient as an extra in the full slot at ``start`` (naive UTC). ``probability``: the patient's own
    predicted no-show chance; ``risk_of``: the booked patients' (default: their stored prediction). Raises
    ``OverbookRefused`` (or another core refusal) when the rule does not allow it, ``SlotTaken`` on a lost race."""
    now = now or utcnow()
    if start <= now:
        raise core.InPast("This time is in the past.", "start")
    hospitals = [h for h in doctor.hospitals if h.active and (hospital_id is None or h.id == hospital_id)]
    if not hospitals:
        raise core.OutsideHours("This doctor does not work at that hospital.", "hospital_id")
    hospital = hospitals[0]
    type_row = None
    if appointment_type is not None:
        type_row = db.session.scalar(select(AppointmentType).where(
            AppointmentType.hospital_id == hospital.id, AppointmentType.code == appointment_type,
            AppointmentType.active))
        if type_row is None:
            raise core.TypeNotOffered(f"{hospital.name} does not offer the appointment type '{appointment_type}'.",
                                      "appointment_type")
    resource = resource_for_doctor(doctor.id)
    calendar = load_calendars([(resource.id, hospital.id)], {hospital.id: hospital.timezone}, start.date(),
                              start.date())[(resource.id, hospital.id)]
    day = core.local_day(start, calendar.tz)
    groups = slot_groups(calendar, day, day, Request(now=now, appointment_type=type_row.code if type_row else None))
    group = next((g for g in groups if any(s.start == start for s in g.slots)), None)
    slot = group and next(s for s in group.slots if s.start == start)
    if group is None or slot.kind != Kind.SLOTS:
        raise core.OutsideHours("No appointment starts at that time.", "start")
    first, last = min(s.start for s in group.slots), max(s.end for s in group.slots)
    extra_ids = set(db.session.scalars(select(Claim.appointment_id).where(
        Claim.resource_id == resource.id, Claim.cell_start == first, Claim.seat < 0)))
    booked = db.session.scalars(select(Appointment).where(
        Appointment.doctor_id == doctor.id, Appointment.status.in_(core.ACTIVE), Appointment.start < last,
        Appointment.end > first)).all()
    regular = {}
    for s in group.slots:
        holder = next((a for a in booked if a.id not in extra_ids and a.start <= s.start < a.end), None)
        if holder is not None:
            regular[s.start] = risk_of(holder)
    extras = [(a.start, risk_of(a) or 0.0) for a in booked if a.id in extra_ids]
    seat = check_extra(rule_for(doctor.id, appointment_type), regular, len(group.slots), extras, start,
                       probability)
    check_patient_free(patient, slot.start, slot.end)
    appointment = Appointment(
        patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, room_id=group.room_id,
        appointment_type=type_label(type_row.code if type_row else None, slot.appointment_types),
        start=slot.start, end=slot.end, status=Status.SCHEDULED, booked_by_id=actor_id, kind=Kind.SLOTS,
        fee=type_row.fee if type_row else doctor.fee, currency=hospital.currency)
    db.session.add(appointment)
    db.session.flush()
    rows = [{"resource_id": resource.id, "cell_start": c, "seat": seat, "appointment_id": appointment.id}
            for c in core.cells(slot.start, slot.end)]
    rows.append({"resource_id": resource.id, "cell_start": first, "seat": -seat, "appointment_id": appointment.id})
    with lost_race():
        insert_claims(rows)
        count_on_day(resource.id, day, None)  # counted, never limited: cancelling it gives the count back
    audit.record(actor_id, "appointment.book_extra", "appointment", appointment.id, hospital_id=hospital.id,
                 after=audit.snapshot(appointment, AUDIT_FIELDS), comment=f"overbooking seat {seat}")
    notify.appointment_booked(appointment)  # the patient hears of a normal appointment
    return appointment
