"""Batch offers (issue #16): the optimiser places waiting patients on every free slot of a hospital's window at once.

The greedy path (offers.slot_freed) offers each freed slot to its best-ranked candidates, one slot at a time. When
several slots come free together (a cancelled clinic, a doctor's new hours, the morning batch), the desk runs the
optimiser over them: ``propose`` reads the window's free slots and the waiting entries that could use them, hands
both to ``app.scheduling.optimiser.allocate`` and answers a ``Proposal`` (who gets what, why, the value against
the greedy's). Nothing is written. ``apply`` sends the proposal's offers in the caller's transaction, each with the
hold and first-accept rule of any waitlist offer (offers.offer_slot); a proposal that no longer holds (a slot
taken or held meanwhile, say by another desk applying an overlapping proposal, or a patient no longer waiting) is
refused whole with ``ProposalStale``: the caller's transaction rolls back and nothing is applied in part.

The proposal travels to the apply step as a signed token (the desk's browser keeps it), so the server keeps no
state; ``apply`` checks every item again against the database, so even a replayed token can only be stale.
docs/optimiser.md, "Batch offers", has the mapping from entries and slots to the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app import scheduling as core
from app.extensions import db
from app.models import Doctor, Hospital, Offer, WaitlistEntry
from app.models.base import utcnow
from app.scheduling import waitlist as matcher
from app.scheduling.codes import Urgency, WaitStatus
from app.scheduling.optimiser import Result, allocate
from app.scheduling.optimiser_model import Capacity, Request, Weights
from app.services.availability.query import SlotQuery
from app.services.availability.search import search_slots
from app.services.booking import Placement
from app.services.waitlist.matching import (
    as_waiting,
    freed_slot,
    held_at,
    max_open_offers,
    open_offers,
    placement_for,
    split_ids,
    split_words,
    waiting_for,
)
from app.services.waitlist.offers import offer_slot

MAX_DAYS = 14  # a window longer than two weeks is not "slots freed together"
MAX_SLOTS = 500  # the search's own limit: the page says when a window holds more
PROPOSAL_SALT = "waitlist-batch"
PROPOSAL_MAX_AGE = 15 * 60  # seconds: a proposal older than a hold is refused as stale
URGENT_ONLY = frozenset({"emergency", "urgent"})


@dataclass(frozen=True)
class SlotView:
    doctor: Doctor
    hospital: Hospital
    start: datetime
    end: datetime
    urgent_only: bool


@dataclass(frozen=True)
class ProposedOffer:
    """One offer of the proposal: ``entry`` gets ``slot``, worth ``value``; ``reasons`` say why in words."""

    entry: WaitlistEntry
    slot: SlotView
    value: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Left:
    """A waiting entry the proposal does not place, and why (the optimiser's reason and detail)."""

    entry: WaitlistEntry
    reason: str
    detail: str


@dataclass
class Proposal:
    hospital: Hospital
    first_day: date
    last_day: date
    offers: list[ProposedOffer] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)
    free_slots: int = 0
    unused_slots: int = 0
    more_slots: bool = False  # the window held more free slots than MAX_SLOTS
    result: Result | None = None
    token: str = ""

    @property
    def gain(self) -> float:
        """The proposal's value above the greedy's (the optimiser never returns less)."""
        return 0.0 if self.result is None else round(self.result.objective - self.result.greedy_objective, 2)


def region_weights() -> Weights:
    """The region's optimiser weights: ``OPTIMISER_WEIGHTS`` (docs/settings.md), a mapping of weight names to numbers
    over the defaults of docs/optimiser.md; refused with ``WeightsInvalid`` when unusable."""
    given = current_app.config.get("OPTIMISER_WEIGHTS") or {}
    if not isinstance(given, dict):
        raise core.WeightsInvalid("OPTIMISER_WEIGHTS must map weight names to numbers.", None)
    try:
        return Weights(**given)
    except TypeError as err:
        raise core.WeightsInvalid(f"Unknown optimiser weight in OPTIMISER_WEIGHTS: {err}", None) from None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PROPOSAL_SALT)


def check_window(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise core.WaitlistError("'To' must not be before 'from'.", "last_day")
    if (last_day - first_day).days >= MAX_DAYS:
        raise core.WaitlistError(f"Choose at most {MAX_DAYS} days at a time.", "last_day")


def free_slots(hospital: Hospital, first_day: date, last_day: date,
               now: datetime) -> tuple[list[tuple[Doctor, Placement]], bool]:
    """The window's free slots that can be offered now (the booking rules place them, nobody holds them), and
    whether the window held more than ``MAX_SLOTS``."""
    found = search_slots(SlotQuery(first_day, last_day, hospital_id=hospital.id, urgency=Urgency.URGENT,
                                   urgency_by_staff=True, limit=MAX_SLOTS), now)
    doctors: dict[int, Doctor] = {}
    seen: set[tuple[int, datetime]] = set()
    slots = []
    for row in found:
        if (row.doctor_id, row.start) in seen or row.start <= now:
            continue
        seen.add((row.doctor_id, row.start))
        doctor = doctors.get(row.doctor_id) or doctors.setdefault(row.doctor_id, db.session.get(Doctor, row.doctor_id))
        if held_at(doctor.id, row.start) is not None:
            continue  # already offered to someone: the greedy offers run their course
        placement = placement_for(doctor, hospital.id, row.start, appointment_type=None, now=now)
        if placement is None:
            continue
        slots.append((doctor, placement))
    return slots, len(found) >= MAX_SLOTS


def propose(hospital: Hospital, first_day: date, last_day: date, *, now: datetime | None = None,
            weights: Weights | None = None) -> Proposal:
    """The optimiser's offers for the hospital's free slots on local days ``first_day``..``last_day``."""
    now = now or utcnow()
    check_window(first_day, last_day)
    proposal = Proposal(hospital, first_day, last_day)
    placed, proposal.more_slots = free_slots(hospital, first_day, last_day, now)
    proposal.free_slots = len(placed)
    entries: dict[int, WaitlistEntry] = {}
    for doctor in {d.id: d for d, _ in placed}.values():
        for entry in waiting_for(doctor, first_day):
            entries.setdefault(entry.id, entry)
    urgent_for = {d.id: any(e.urgency == Urgency.URGENT and (e.doctor_id == d.id or (
        e.doctor_id is None and e.specialty_id == d.specialty_id)) for e in entries.values()) for d, _ in placed}
    tz = ZoneInfo(hospital.timezone)
    views, capacity, freed = [], [], []
    for n, (doctor, placement) in enumerate(placed):
        slot = freed_slot(doctor, hospital, placement, now, urgent_waiting=urgent_for[doctor.id])
        urgent_only = slot.urgent_only or (matcher.in_urgent_window(slot.start, now, slot.urgent_window_hours)
                                           and not matcher.released_late(slot, now) and not slot.early_release)
        types = frozenset(t for t in slot.appointment_types
                          if slot.type_minutes.get(t) is None
                          or slot.start + timedelta(minutes=slot.type_minutes[t]) <= slot.end)
        views.append(SlotView(doctor, hospital, slot.start, slot.end, urgent_only))
        freed.append(slot)
        capacity.append(Capacity(n, doctor.id, hospital.id, slot.start, slot.end,
                                 (hospital.lat, hospital.lon) if hospital.lat is not None else None, tz,
                                 doctor.specialty_id, types, seats=1,
                                 urgencies=URGENT_ONLY if urgent_only else frozenset()))
    chosen = _one_per_patient(entries.values(), now)
    requests = [_request(e, now) for e in chosen]
    result = allocate(requests, capacity, weights or region_weights(), now=now)
    proposal.result = result
    by_id = {e.id: e for e in chosen}
    for p in result.placements:
        entry, slot = by_id[p.request_id], freed[p.capacity_id]
        reasons = matcher.score(slot, as_waiting(entry), now).reasons
        proposal.offers.append(ProposedOffer(entry, views[p.capacity_id], p.value, reasons))
    proposal.offers.sort(key=lambda o: (o.slot.start, o.slot.doctor.name))
    proposal.left = [Left(by_id[u.request_id], u.reason, u.detail) for u in result.unplaced]
    proposal.unused_slots = len(capacity) - len(result.placements)
    proposal.token = _serializer().dumps({"h": hospital.id, "o": [
        [o.entry.id, o.slot.doctor.id, o.slot.start.isoformat()] for o in proposal.offers]})
    return proposal


def _one_per_patient(entries, now: datetime) -> list[WaitlistEntry]:
    """The model places each request at most once, one request per patient: a patient waiting twice (a doctor
    and a specialty) keeps the more urgent, then older entry; a patient holding the most open offers allowed
    (WAITLIST_MAX_OPEN_OFFERS) is left out, as the greedy offers leave them out."""
    busy = {pid for pid, n in open_offers({e.patient_id for e in entries}, now).items() if n >= max_open_offers()}
    best: dict[int, WaitlistEntry] = {}
    for e in sorted(entries, key=lambda e: (e.urgency != Urgency.URGENT, e.created_at, e.id)):
        if e.patient_id not in busy:
            best.setdefault(e.patient_id, e)
    return sorted(best.values(), key=lambda e: e.id)


def _request(entry: WaitlistEntry, now: datetime) -> Request:
    w = as_waiting(entry)
    return Request(entry.id, entry.patient_id, "urgent" if entry.urgency == Urgency.URGENT else "routine",
                   max((now - entry.created_at) / timedelta(days=1), 0.0), entry.latest, entry.specialty_id,
                   entry.doctor_id, split_ids(entry.hospital_ids), w.near,
                   float(entry.radius_km) if entry.radius_km is not None else None,
                   split_words(entry.times_of_day), entry.appointment_type, current_start=w.current_start)


def read_token(token: str, hospital_id: int) -> list[tuple[int, int, datetime]]:
    """The proposal's offers (entry id, doctor id, start); a forged token or another hospital's is LookupError
    (404), an old one ``ProposalStale``."""
    try:
        data = _serializer().loads(token, max_age=PROPOSAL_MAX_AGE)
    except SignatureExpired:
        raise core.ProposalStale("This proposal is too old. Please run the optimiser again.", "token") from None
    except BadSignature:
        raise LookupError("not a proposal of ours") from None
    if not isinstance(data, dict) or data.get("h") != hospital_id:
        raise LookupError("another hospital's proposal")
    try:
        return [(int(e), int(d), datetime.fromisoformat(s)) for e, d, s in data["o"]]
    except (KeyError, TypeError, ValueError):
        raise LookupError("not a proposal of ours") from None


def apply(actor_id: int | None, hospital: Hospital, token: str, *, now: datetime | None = None) -> list[Offer]:
    """Send the proposal's offers (holds, first accept wins), all or nothing: ``ProposalStale`` when any of them
    no longer holds. Flushes, never commits: the caller's transaction rolls everything back on the refusal."""
    now = now or utcnow()
    items = read_token(token, hospital.id)
    offers: list[Offer] = []
    for entry_id, doctor_id, start in items:
        entry = db.session.get(WaitlistEntry, entry_id)
        doctor = db.session.get(Doctor, doctor_id)
        if entry is None or doctor is None:
            raise LookupError("no such entry or doctor")
        if entry.status != WaitStatus.WAITING:
            raise core.ProposalStale(f"{entry.patient.name} is no longer waiting. Please run the optimiser again.",
                                     "token")
        placement = None if start <= now or held_at(doctor_id, start) is not None else placement_for(
            doctor, hospital.id, start, appointment_type=None, now=now)
        if placement is None:
            raise core.ProposalStale("A slot of this proposal was taken or offered meanwhile. Please run the "
                                     "optimiser again.", "token")
        try:
            made = offer_slot(actor_id, hospital.id, doctor_id, start, placement.free.end, entries=[entry], now=now)
        except core.SchedulingError as err:  # a racing desk took the slot's claims first
            raise core.ProposalStale("A slot of this proposal was taken or offered meanwhile. Please run the "
                                     "optimiser again.", "token") from err
        offers.extend(made)
    return offers
