"""Waitlist holds (issue #7): a freed slot kept for the patients it is offered to, then given to one of them.

A hold is an Appointment in status "held" with no patient. It takes the claims and the day's count a booking would
take (claims.hold_resources), so search does not sell the slot during the offers, and giving it to a patient is a
conditional UPDATE of its status: among racing accepts exactly one finds it still held. Like booking, these
functions flush and never commit.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Offer, Patient
from app.models.base import utcnow
from app.notifications import events as notify
from app.scheduling.codes import Kind, OfferStatus, Status, Urgency
from app.services import audit, signals
from app.services.availability import type_label
from app.services.booking.claims import AUDIT_FIELDS, LOCK_ERRORS, hold_resources, release_resources
from app.services.booking.placement import Placement, check_patient_free


def hold_slot(actor_id: int | None, doctor: Doctor, placement: Placement, hold_until: datetime, *,
              appointment_type: str | None = None, comment: str | None = None) -> Appointment:
    """Hold the placed slot for waitlist offers: a "held" appointment without a patient, with the claims and the
    day's count a booking would take, so search does not sell the slot while the offers are out."""
    free, type_row = placement.free, placement.type_row
    if free.kind != Kind.SLOTS:
        raise core.SlotTaken("Only appointment slots are offered from the waitlist, not tokens.", "start")
    hold = Appointment(
        patient_id=None, doctor_id=doctor.id, hospital_id=placement.hospital.id, room_id=placement.group.room_id,
        appointment_type=type_label(type_row.code if type_row else appointment_type, placement.offered),
        start=free.start, end=free.end, status=core.HELD, urgency=Urgency.ROUTINE, booked_by_id=actor_id,
        kind=free.kind, holds_room=placement.holds_room, fee=type_row.fee if type_row else doctor.fee,
        currency=placement.hospital.currency, hold_until=hold_until)
    db.session.add(hold)
    db.session.flush()
    hold_resources(hold, placement)
    audit.record(actor_id, "appointment.hold", "appointment", hold.id, hospital_id=hold.hospital_id,
                 after=audit.snapshot(hold, AUDIT_FIELDS) | {"hold_until": hold_until.isoformat()},
                 comment=comment)
    return hold


def fill_hold(actor_id: int | None, hold: Appointment, patient: Patient, *, now: datetime,
              appointment_type: str | None = None, urgency: str = "routine", ignore_id: int | None = None,
              comment: str | None = None, urgency_by_patient: str | None = None) -> Appointment:
    """Give the held slot to the patient. The conditional UPDATE is the lock: among racing accepts only one finds
    the hold still held and unexpired; the others get OfferClosed. The claims stay: the hold's cells become the
    patient's. `ignore_id` is the patient's own later booking, which the caller releases afterwards."""
    check_patient_free(patient, hold.start, hold.end, ignore_id=ignore_id)
    before = audit.snapshot(hold, AUDIT_FIELDS)
    with lost_offer():
        won = db.session.execute(
            update(Appointment).where(Appointment.id == hold.id, Appointment.status == core.HELD,
                                      Appointment.hold_until > now)
            .values(status=Status.SCHEDULED, patient_id=patient.id, hold_until=None)
            .execution_options(synchronize_session=False)).rowcount
    if won == 0:
        expired = hold.status == core.HELD and hold.hold_until is not None and hold.hold_until <= now
        raise core.OfferClosed("This offer has expired." if expired else "Sorry, this slot has just been taken.",
                               "offer")
    # the same values through the ORM, so the object (and the realtime hook's history) agrees with the row
    hold.status, hold.patient_id, hold.hold_until = "scheduled", patient.id, None
    hold.urgency, hold.urgency_by_patient, hold.booked_by_id = urgency, urgency_by_patient, actor_id
    if appointment_type:
        hold.appointment_type = appointment_type
    hold.created_at = now
    db.session.flush()
    signals.appointment_booked.send(None, appointment=hold, now=now)
    audit.record(actor_id, "appointment.book", "appointment", hold.id, hospital_id=hold.hospital_id,
                 before=before, after=audit.snapshot(hold, AUDIT_FIELDS), comment=comment or "from the waitlist")
    notify.appointment_booked(hold)
    return hold


def release_hold(actor_id: int | None, hold: Appointment, reason: str, *, now: datetime | None = None) -> Appointment:
    """Put a held slot back on sale: claims and day count go, the hold is cancelled. Conditional on the hold still
    being held (and, with `now`, expired), so a release never undoes an accept that committed meanwhile."""
    query = update(Appointment).where(Appointment.id == hold.id, Appointment.status == core.HELD)
    if now is not None:
        query = query.where(Appointment.hold_until <= now)
    with lost_offer():
        if db.session.execute(query.values(status=Status.CANCELLED).execution_options(
                synchronize_session=False)).rowcount == 0:
            raise core.OfferClosed("The hold is no longer held.", "offer")
    before = audit.snapshot(hold, AUDIT_FIELDS)
    release_resources(hold)
    # offers still out on it can no longer be accepted: their time ran out, or the desk took the slot back
    db.session.execute(update(Offer).where(Offer.hold_id == hold.id, Offer.status == OfferStatus.OPEN)
                       .values(status="expired" if now is not None else "withdrawn"))
    hold.status, hold.cancelled_at, hold.cancel_reason, hold.hold_until = "cancelled", utcnow(), reason, None
    db.session.flush()
    audit.record(actor_id, "appointment.hold_released", "appointment", hold.id, hospital_id=hold.hospital_id,
                 before=before, after=audit.snapshot(hold, AUDIT_FIELDS), comment=reason)
    return hold


@contextmanager
def lost_offer():
    """A lock conflict while taking a hold means a racing accept got there first (MariaDB deadlock victim)."""
    try:
        yield
    except OperationalError as err:
        if err.orig and err.orig.args and err.orig.args[0] in LOCK_ERRORS:
            raise core.OfferClosed("Sorry, this slot has just been taken.", "offer") from None
        raise
