"""Offers of freed slots (issue #7): hold the slot, offer it to the best waiting patients, give it to the first who
accepts, move on when the offers are declined or expire, and put it back on sale when nobody is left.

Integrity (docs/architecture.md): the hold's claims keep search from selling the slot; accepting is three conditional
UPDATEs in one transaction, in this order so that racing transactions queue on the same row instead of deadlocking:
the entry (waiting -> booked: one patient accepting two offers gets one), the hold (held -> scheduled: racing patients
get one winner) and the offer (open -> accepted: an accept racing the same offer's decline). Every function flushes
and never commits.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Offer, Patient, WaitlistEntry
from app.models.base import utcnow
from app.notifications import waitlist_events as notify
from app.scheduling.codes import OfferStatus, Status, Urgency, WaitStatus
from app.services import audit, booking
from app.services.booking.holds import fill_hold, hold_slot, lost_offer, release_hold
from app.services.waitlist.matching import Candidate, held_at, offered_entries, placement_for, rank_for

RELEASE_REASON = "moved to an earlier slot from the waitlist"
ABSENCE_REASON = "moved to a new time: the doctor is absent"
DEFAULT_BATCH = 3  # offers out at once per hold: enough that one answers fast, few enough that most who accept win


def _batch() -> int:
    return int(current_app.config.get("WAITLIST_OFFERS_AT_ONCE", DEFAULT_BATCH))


def _hold_minutes(hospital: Hospital) -> int:
    return hospital.offer_hold_minutes or 15


# --- signed links ---

def offer_token(offer: Offer) -> str:
    return notify.offer_token(offer)


def offer_from_token(token: str) -> Offer:
    """The offer a link names; a forged or garbled link is OfferClosed (expiry is checked when accepting)."""
    offer_id = notify.read_offer_token(token)
    offer = db.session.get(Offer, offer_id) if offer_id is not None else None
    if offer is None:
        raise core.OfferClosed("This offer link is not valid. Please use the link from your message.", "token")
    return offer


# --- making offers ---

def _make_offers(actor_id: int | None, hold: Appointment, candidates: list[Candidate], now: datetime,
                 first_rank: int = 0, message=notify.waitlist_offer) -> list[Offer]:
    offers = []
    for i, candidate in enumerate(candidates):
        offer = Offer(entry_id=candidate.entry.id, hold_id=hold.id, status=OfferStatus.OPEN, created_at=now,
                      expires_at=hold.hold_until, rank=first_rank + i)
        db.session.add(offer)
        offers.append(offer)
    db.session.flush()
    for offer, candidate in zip(offers, candidates, strict=True):
        audit.record(actor_id, "waitlist.offer", "offer", offer.id, hospital_id=hold.hospital_id,
                     after={"entry_id": offer.entry_id, "hold_id": hold.id, "rank": offer.rank,
                            "score": candidate.score, "expires_at": offer.expires_at.isoformat()},
                     comment="; ".join(candidate.reasons))
        message(offer)
    return offers


def _staff_pick(entries: list[WaitlistEntry]) -> list[Candidate]:
    for entry in entries:
        if entry.status != WaitStatus.WAITING:
            raise core.WaitlistError(f"{entry.patient.name} is no longer waiting.", "entries", http_status=409)
    return [Candidate(entry, 0.0, ["chosen by the desk"]) for entry in entries]


def offer_slot(actor_id: int | None, hospital_id: int, doctor_id: int, start: datetime, end: datetime, *,
               entries: list[WaitlistEntry] | None = None, now: datetime | None = None,
               appointment_type: str | None = None, exclude_patients=(), batch: int | None = None,
               hold_minutes: int | None = None, message=notify.waitlist_offer) -> list[Offer]:
    """Hold the doctor's slot at `start` and offer it: to `entries` when the desk picks, else to the matcher's top
    candidates. `hold_minutes` (default: the hospital's offer hold) and `message` (the patient's notice) serve the
    rebooking of a doctor's absence (waitlist/absence.py), whose patients answer by e-mail within days. A slot
    already held gets the further offers on the same hold. Nobody to offer it to: no hold, []. A slot the booking
    rules do not allow (past, notice, leave, taken) raises the core's error when the desk asks, and offers
    nothing when a cancellation asks (slot_freed)."""
    now = now or utcnow()
    doctor, hospital = db.session.get(Doctor, doctor_id), db.session.get(Hospital, hospital_id)
    if doctor is None or hospital is None:
        raise LookupError("no such doctor or hospital")
    hold = held_at(doctor_id, start)
    placement = placement_for(doctor, hospital_id, start, appointment_type=appointment_type, now=now, ignore=hold)
    if placement is None:
        # let booking say why, in the words the desk knows
        booking.place(doctor, start, appointment_type=appointment_type, urgency=Urgency.URGENT, now=now,
                      hospital_id=hospital_id, ignore=hold)
    skip = offered_entries(hold) if hold is not None else set()
    if entries is not None:
        candidates = _staff_pick([e for e in entries if e.id not in skip])
    else:
        candidates = rank_for(doctor, hospital, placement, now, limit=batch or _batch(),
                              exclude_patients=exclude_patients, exclude_entries=skip)
    if not candidates:
        return []
    until = now + timedelta(minutes=hold_minutes or _hold_minutes(hospital))
    if hold is None:
        hold = hold_slot(actor_id, doctor, placement, until, appointment_type=appointment_type,
                         comment="waitlist offer")
    elif hold.hold_until is None or hold.hold_until < until:
        hold.hold_until = until
    return _make_offers(actor_id, hold, candidates, now, first_rank=len(skip), message=message)


def slot_freed(actor_id: int | None, doctor_id: int, hospital_id: int, start: datetime, end: datetime, *,
               appointment_type: str | None = None, exclude_patients=(), now: datetime | None = None,
               batch: int | None = None) -> list[Offer]:
    """A slot came free (cancellation, no-show known ahead, move, added time): offer it at once, in the caller's
    transaction. Never fails the caller: a slot the rules do not allow offering is simply not offered."""
    now = now or utcnow()
    if start <= now:
        return []
    try:
        return offer_slot(actor_id, hospital_id, doctor_id, start, end, now=now, appointment_type=appointment_type,
                          exclude_patients=exclude_patients, batch=batch)
    except core.SchedulingError:
        return []


def move_on(actor_id: int | None, hold: Appointment, now: datetime) -> list[Offer]:
    """Offer the hold to the next candidates (a fresh hold time), or release it when nobody is left."""
    doctor, hospital = hold.doctor, hold.hospital
    placement = placement_for(doctor, hold.hospital_id, hold.start, appointment_type=None, now=now, ignore=hold)
    skip = offered_entries(hold)
    candidates = [] if placement is None else rank_for(doctor, hospital, placement, now, limit=_batch(),
                                                       exclude_entries=skip)
    if not candidates:
        try:
            release_hold(actor_id, hold, "no one on the waitlist took it")
        except core.OfferClosed:
            pass  # accepted meanwhile
        return []
    with lost_offer():
        extended = db.session.execute(
            update(Appointment).where(Appointment.id == hold.id, Appointment.status == core.HELD)
            .values(hold_until=now + timedelta(minutes=_hold_minutes(hospital)))
            .execution_options(synchronize_session=False)).rowcount
    if not extended:
        return []
    hold.hold_until = now + timedelta(minutes=_hold_minutes(hospital))
    return _make_offers(actor_id, hold, candidates, now, first_rank=len(skip))


# --- answers ---

def _own(offer: Offer, patient: Patient) -> None:
    if offer.entry.patient_id != patient.id:
        raise LookupError("not this patient's offer")  # views answer 404: another's offer looks like none


CLOSED_MESSAGES = {
    "accepted": "You have already accepted this offer.",
    "declined": "You declined this offer.",
    "taken": "Sorry, this slot has just been taken.",
    "expired": "This offer has expired.",
    "withdrawn": "The hospital has taken this slot back; it is no longer available.",
}


def _check_open(offer: Offer, now: datetime) -> None:
    if offer.status != OfferStatus.OPEN:
        raise core.OfferClosed(CLOSED_MESSAGES.get(offer.status, "This offer is closed."), "offer")
    if offer.expires_at <= now or offer.hold.hold_until is None or offer.hold.hold_until <= now:
        raise core.OfferClosed("This offer has expired.", "offer")


def accept(actor_id: int | None, offer: Offer, patient: Patient, *, now: datetime | None = None) -> Appointment:
    """Take the offered slot; the first accept wins, the rest get OfferClosed ("just taken" or "expired")."""
    now = now or utcnow()
    _own(offer, patient)
    _check_open(offer, now)
    appointment = take_hold(actor_id, offer.hold, offer.entry, patient, now, offer=offer)
    audit.record(actor_id, "waitlist.accept", "offer", offer.id, hospital_id=appointment.hospital_id,
                 after={"entry_id": offer.entry_id, "appointment_id": appointment.id})
    return appointment


def take_hold(actor_id: int | None, hold: Appointment, entry: WaitlistEntry, patient: Patient, now: datetime, *,
              offer: Offer | None = None) -> Appointment:
    """Give the hold to the entry's patient (an accepted offer, or the desk booking by phone), tell the others,
    and release the patient's later booking, which is offered onward."""
    current = entry.current_appointment
    keep = current if current is not None and current.status == Status.SCHEDULED else None
    with lost_offer():
        if db.session.execute(update(WaitlistEntry).where(WaitlistEntry.id == entry.id,
                                                          WaitlistEntry.status == WaitStatus.WAITING)
                              .values(status="booked", active_key=None, closed_at=now, booked_appointment_id=hold.id)
                              .execution_options(synchronize_session=False)).rowcount == 0:
            raise core.OfferClosed("You have already taken another offer from this waitlist entry.", "offer")
    # an accepted offer is the patient's own act: the urgency they stated on the waitlist stays a request
    # (docs/security.md, "Urgency"); the desk booking by phone sets it as staff
    urgency, stated = core.recorded_urgency(entry.urgency, by_patient=offer is not None)
    appointment = fill_hold(actor_id, hold, patient, now=now, appointment_type=entry.appointment_type,
                            urgency=urgency, urgency_by_patient=stated, ignore_id=keep.id if keep else None)
    if offer is not None:
        with lost_offer():
            if db.session.execute(update(Offer).where(Offer.id == offer.id, Offer.status == OfferStatus.OPEN)
                                  .values(status="accepted", responded_at=now)
                                  .execution_options(synchronize_session=False)).rowcount == 0:
                raise core.OfferClosed(CLOSED_MESSAGES["declined"], "offer")
        offer.status, offer.responded_at = "accepted", now
    entry.status, entry.active_key, entry.closed_at, entry.booked_appointment_id = "booked", None, now, hold.id
    _close_others(actor_id, hold, entry, offer, now)
    db.session.flush()
    # the booking kept is released when the new slot is earlier, or when the doctor has since taken its time off
    # (the rebooking of an absence, waitlist/absence.py: the new time may be later)
    if keep is not None and (keep.start > appointment.start or booking.policy.doctor_time_withdrawn(keep)):
        booking.cancel(actor_id, keep, RELEASE_REASON if keep.start > appointment.start else ABSENCE_REASON,
                       comment=RELEASE_REASON if keep.start > appointment.start else ABSENCE_REASON, now=now)
    return appointment


def _close_others(actor_id: int | None, hold: Appointment, entry: WaitlistEntry, offer: Offer | None,
                  now: datetime) -> None:
    """The hold's other open offers are taken (those patients are told and stay waiting); the entry's open offers
    of other holds end too (declined for them), and those holds move on."""
    others = db.session.scalars(select(Offer).where(Offer.hold_id == hold.id, Offer.status == OfferStatus.OPEN,
                                                    Offer.id != (offer.id if offer else 0))).all()
    for other in others:
        other.status, other.responded_at = "taken", now
        audit.record(actor_id, "waitlist.taken", "offer", other.id, hospital_id=hold.hospital_id,
                     after={"entry_id": other.entry_id, "taken_by_entry": entry.id})
        notify.waitlist_taken(other)
    elsewhere = db.session.scalars(select(Offer).where(Offer.entry_id == entry.id, Offer.status == OfferStatus.OPEN,
                                                       Offer.hold_id != hold.id)).all()
    for other in elsewhere:
        other.status, other.responded_at = "declined", now
        audit.record(actor_id, "waitlist.decline", "offer", other.id, hospital_id=other.hold.hospital_id,
                     comment="took another slot")
    db.session.flush()
    for other in elsewhere:
        _move_on_if_unanswered(actor_id, other.hold, now)


def _move_on_if_unanswered(actor_id: int | None, hold: Appointment, now: datetime) -> None:
    if hold.status != core.HELD:
        return
    still_open = db.session.scalar(select(Offer.id).where(Offer.hold_id == hold.id, Offer.status == OfferStatus.OPEN)
                                   .limit(1))
    if still_open is None:
        move_on(actor_id, hold, now)


def decline(actor_id: int | None, offer: Offer, patient: Patient, *, now: datetime | None = None) -> Offer:
    """Say no to one offer: the patient stays on the list; when nobody else is still asked, the hold moves on."""
    now = now or utcnow()
    _own(offer, patient)
    if offer.status != OfferStatus.OPEN:
        raise core.OfferClosed(CLOSED_MESSAGES.get(offer.status, "This offer is closed."), "offer")
    with lost_offer():
        if db.session.execute(update(Offer).where(Offer.id == offer.id, Offer.status == OfferStatus.OPEN)
                              .values(status="declined", responded_at=now)
                              .execution_options(synchronize_session=False)).rowcount == 0:
            raise core.OfferClosed("This offer has just been answered.", "offer")
    offer.status, offer.responded_at = "declined", now
    db.session.flush()
    audit.record(actor_id, "waitlist.decline", "offer", offer.id, hospital_id=offer.hold.hospital_id,
                 after={"entry_id": offer.entry_id})
    _move_on_if_unanswered(actor_id, offer.hold, now)
    return offer


def withdraw_offers(actor_id: int | None, entry: WaitlistEntry, now: datetime) -> None:
    """The entry left the list: its open offers end (declined) and their holds move on."""
    offers = db.session.scalars(select(Offer).where(Offer.entry_id == entry.id, Offer.status == OfferStatus.OPEN)).all()
    for offer in offers:
        offer.status, offer.responded_at = "declined", now
        audit.record(actor_id, "waitlist.decline", "offer", offer.id, hospital_id=offer.hold.hospital_id,
                     comment="left the waitlist")
    db.session.flush()
    for offer in offers:
        _move_on_if_unanswered(actor_id, offer.hold, now)


# --- the job ---

def expire_offers(now: datetime | None = None) -> int:
    """Expired holds: their open offers expire and the hold goes to the next candidates (a fresh hold time), or
    back on sale when nobody is left. Entries whose latest date has passed expire too. Returns the offers expired."""
    now = now or utcnow()
    expired = 0
    # a hold with a patient waits for that patient's payment: app.services.payments expires it (docs/payments.md)
    holds = db.session.scalars(select(Appointment).where(Appointment.status == core.HELD,
                                                         Appointment.patient_id.is_(None),
                                                         Appointment.hold_until <= now)
                               .order_by(Appointment.hold_until, Appointment.id)).all()
    for hold in holds:
        offers = db.session.scalars(select(Offer).where(Offer.hold_id == hold.id,
                                                        Offer.status == OfferStatus.OPEN)).all()
        # conditional, like the accept it may race: an offer accepted meanwhile stays accepted
        with lost_offer():
            db.session.execute(update(Offer).where(Offer.hold_id == hold.id, Offer.status == OfferStatus.OPEN,
                                                   Offer.expires_at <= now).values(status="expired"))
        for offer in offers:
            if offer.status == OfferStatus.EXPIRED:
                audit.record(None, "waitlist.expire", "offer", offer.id, hospital_id=hold.hospital_id,
                             after={"entry_id": offer.entry_id, "hold_id": hold.id})
                expired += 1
        try:
            move_on(None, hold, now)
        except core.OfferClosed:
            continue  # accepted at the last moment: nothing to move on
    _expire_entries(now)
    return expired


def _expire_entries(now: datetime) -> int:
    """Entries past their latest date: no slot can suit them any more. A day's grace covers every time zone."""
    stale = db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.status == WaitStatus.WAITING, WaitlistEntry.latest < (now - timedelta(days=1)).date())).all()
    for entry in stale:
        entry.status, entry.active_key, entry.closed_at = "expired", None, now
        withdraw_offers(None, entry, now)
    db.session.flush()
    return len(stale)
