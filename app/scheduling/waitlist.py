"""The cancellation waitlist's matcher: who, among the waiting patients, should hear first of a freed slot.

Pure: the service hands in the freed slot and the waiting entries as plain values and gets back the eligible ones,
ranked, each with the reasons a person can read (the desk shows them next to the candidates).

Eligible means every one of these holds (``why_not`` names the first that fails):

- the wish names this doctor, or (no doctor named) the doctor's specialty;
- the hospital is in the wish's list (an empty list: any), and within the radius of the patient's place (haversine);
- the slot's local date is on or before ``latest``;
- the slot's local start is in one of the wished times of day (none wished: any): morning before 12:00, afternoon
  12:00 to 17:00, evening from 17:00;
- the wished appointment type, if any, is offered by the slot and fits its length;
- with a current booking ("earlier slot, please"), the slot starts before it;
- a slot the booking rules hold back for urgent cases (``urgent_only``) goes to urgent entries only; whether a slot
  can be booked at all (notice, horizon, leave) is the booking rules' question, asked by the service before it
  calls the matcher;
- the urgent window: a slot starting less than ``URGENT_WINDOW_HOURS`` (48 h) after ``now`` (the moment of the
  offer) goes to urgent entries only. Urgent patients need to be seen within that window (the simulation's
  ``urgent_within_48h_share`` measures it) and most of them ask for care at short notice: a near slot pushed to a
  routine patient is one an urgent patient asking tomorrow cannot have. With no urgent entry eligible the service
  makes no hold: the slot stays on sale, where an urgent request finds it through the search (and anyone may
  still book it, so it is not wasted). Slots further ahead go to routine entries as well;
- the late release: a slot still free ``LATE_RELEASE_HOURS`` (3 h) or less before its start goes to any entry,
  routine included, when ``FreedSlot.late_release`` says the urgent reserve allows it (``late_release``): without
  this slot, the specialty still has at least ``urgent_reserve`` free slots for urgent requests within their 48 h,
  twice the urgent requests expected before the slot starts. So a slot nobody urgent took is not wasted, yet an
  urgent request arriving in those last hours still finds a place; before a weekend, when no later slot is within
  48 h, the reserve is the day's own free slots. Only the service knows the free slots and the demand, so it
  decides and the matcher applies it;
- the early release: a slot inside the urgent window goes to any entry at once, not only in its last 3 hours,
  when ``FreedSlot.early_release`` says so (``early_release``): no urgent entry waits for that doctor or specialty
  at all, and without this slot the day still has ``day_reserve`` free slots, twice the urgent requests of a day
  (``OFFICE_HOURS_PER_DAY`` office hours at the recent urgent rate). Holding it back then helps nobody urgent, while
  a routine patient who has waited months takes tomorrow's slot;
- the slot is still ahead of ``now``.

The eligible are ranked by points, higher first:

| term                         | points                                                    | why                       |
|------------------------------|-----------------------------------------------------------|---------------------------|
| urgency                      | +1000 when urgent                                         | medical need first: above |
|                              |                                                           | every routine entry       |
| time already waited          | +1 per day since joining (fractional), at most +365       | first come, first served  |
| earlier than current booking | +0.5 per day the slot is earlier, at most +45; a patient  | those who gain most move  |
|                              | with no booking at all gets the full +45                  | first; nothing booked is  |
|                              |                                                           | the greatest gain         |
| distance                     | -0.25 per km from the patient's place to the hospital, at | near patients accept and  |
|                              | most -25; 0 when no place is known                        | arrive more often         |
| urgent window (eligibility,  | a slot under 48 h ahead: urgent entries only; none: no    | near slots serve urgent   |
| not points)                  | offer, the slot stays on sale for urgent requests         | need within 48 hours      |
| late release (eligibility,   | a slot still free 3 h or less before its start: any entry | an unused slot is lost    |
| not points)                  | accepting short notice, if the urgent reserve is kept     | care; the reserve keeps   |
|                              | (2 x the urgent requests expected until its start)        | late urgent requests safe |
| early release (eligibility,  | a slot under 48 h ahead, nobody urgent waiting for the    | nobody urgent to keep it  |
| not points)                  | doctor or specialty, the day's reserve (2 x a day's       | for; a routine patient    |
|                              | urgent requests) kept without it: any entry, at once      | gains weeks               |
| open offers (a cap, the      | a patient holding ``max_open_offers`` open offers is left | one person can answer a   |
| service's setting)           | out; the slot goes to the next patients                   | couple, not eleven        |

Ties go to the earlier joined entry, then the smaller entry id, so the ranking is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from .geo import distance_km
from .timeutil import local_day, to_local

URGENT_POINTS = 1000.0
WAITED_PER_DAY = 1.0
WAITED_CAP = 365.0
GAIN_PER_DAY = 0.5
GAIN_CAP = 45.0
DISTANCE_PER_KM = 0.25
DISTANCE_CAP = 25.0
# A slot starting sooner than this after the offer goes to urgent entries only: the urgent-access window that
# urgent_within_48h_share (the simulation) measures. FreedSlot.urgent_window_hours may set another per slot.
URGENT_WINDOW_HOURS = 48
# A slot still free this close to its start goes to routine entries too (the late release), provided the urgent
# reserve holds. 3 h: a routine patient who accepts within the 15-minute hold has over two hours to get there,
# while fewer urgent requests arrive in the last 3 hours before a slot than in the last 4 (the simulation's gain is
# the same for 2, 3 and 4 h: issue #7).
LATE_RELEASE_HOURS = 3
# The urgent reserve: free slots kept for urgent requests, as a multiple of those expected before the slot starts.
# Urgent requests are roughly Poisson: twice the mean covers all but about 1 % of late mornings of a busy region.
LATE_RELEASE_RESERVE = 2.0
# Urgent requests come in office hours: a day's urgent demand is the hourly rate over these hours (09:00 to 18:00).
OFFICE_HOURS_PER_DAY = 9

TIMES_OF_DAY = ("morning", "afternoon", "evening")
NOON, FIVE_PM = time(12), time(17)
URGENCIES = ("routine", "urgent")


@dataclass(frozen=True)
class FreedSlot:
    """A slot to offer: the doctor's time ``[start, end)`` (naive UTC) at one hospital."""

    doctor_id: int
    hospital_id: int
    start: datetime
    end: datetime
    tz: tzinfo
    specialty_id: int | None = None
    position: tuple[float, float] | None = None  # the hospital's (lat, lon)
    appointment_types: frozenset[str] = frozenset()  # what the slot takes; empty: any
    type_minutes: Mapping[str, int] = field(default_factory=dict)  # the hospital's types and their lengths
    urgent_only: bool = False  # held back for urgent cases by the schedule's policy
    urgent_window_hours: float = URGENT_WINDOW_HOURS  # closer than this to its start: urgent entries only
    late_release: bool = False  # the urgent reserve allows releasing it to everyone within LATE_RELEASE_HOURS
    early_release: bool = False  # nobody urgent waits for it and the day's reserve holds: everyone, at once


@dataclass(frozen=True)
class Waiting:
    """One waiting entry as the matcher sees it."""

    entry_id: int
    patient_id: int
    latest: date
    created_at: datetime
    specialty_id: int | None = None
    doctor_id: int | None = None
    hospital_ids: frozenset[int] = frozenset()
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    urgency: str = "routine"
    times_of_day: frozenset[str] = frozenset()
    appointment_type: str | None = None
    current_start: datetime | None = None  # the booking an "earlier slot, please" entry keeps


@dataclass(frozen=True)
class Match:
    """An eligible entry with its points (higher is better) and the reasons, in words, behind them."""

    waiting: Waiting
    score: float
    reasons: tuple[str, ...]
    distance_km: float | None = None


def time_of_day(instant: datetime, tz: tzinfo) -> str:
    """The band ("morning", "afternoon" or "evening") of the local start of a naive-UTC instant."""
    wall = to_local(instant, tz).time().replace(tzinfo=None)
    if wall < NOON:
        return "morning"
    return "afternoon" if wall < FIVE_PM else "evening"


def _distance(slot: FreedSlot, waiting: Waiting) -> float | None:
    if waiting.near is None or slot.position is None:
        return None
    return distance_km(waiting.near, slot.position)


def in_urgent_window(start: datetime, now: datetime, hours: float = URGENT_WINDOW_HOURS) -> bool:
    """Tell whether a slot starting at ``start`` is, at ``now``, less than ``hours`` ahead: urgent entries only."""
    return start - now < timedelta(hours=hours)


def urgent_reserve(urgent_per_hour: float, start: datetime, now: datetime) -> int:
    """Free slots to keep for urgent requests expected before ``start``: ``LATE_RELEASE_RESERVE`` times the
    expected number (``urgent_per_hour`` over the hours left), rounded up, at least one."""
    hours = max((start - now) / timedelta(hours=1), 0.0)
    return max(1, math.ceil(LATE_RELEASE_RESERVE * urgent_per_hour * hours - 1e-9))


def late_release(start: datetime, now: datetime, spare: int, urgent_per_hour: float,
                 hours: float = LATE_RELEASE_HOURS) -> bool:
    """Whether a slot starting at ``start`` may go to routine entries at ``now``: it starts within ``hours`` and,
    without it, ``spare`` other free slots (for urgent requests within their window) still make the reserve."""
    return timedelta(0) < start - now <= timedelta(hours=hours) and spare >= urgent_reserve(urgent_per_hour, start,
                                                                                             now)


def day_reserve(urgent_per_hour: float) -> int:
    """Free slots a day keeps for urgent requests: ``LATE_RELEASE_RESERVE`` times a day's expected urgent
    requests (``OFFICE_HOURS_PER_DAY`` hours at ``urgent_per_hour``), rounded up, at least one."""
    return max(1, math.ceil(LATE_RELEASE_RESERVE * urgent_per_hour * OFFICE_HOURS_PER_DAY - 1e-9))


def early_release(urgent_waiting: bool, spare_that_day: int, urgent_per_hour: float) -> bool:
    """Whether a slot inside the urgent window may go to routine entries at once: no urgent entry waits for its
    doctor or specialty, and ``spare_that_day`` other free slots of its day still make ``day_reserve``."""
    return not urgent_waiting and spare_that_day >= day_reserve(urgent_per_hour)


def released_late(slot: FreedSlot, now: datetime) -> bool:
    """The slot is late released: within ``LATE_RELEASE_HOURS`` of its start and the service found the reserve."""
    return slot.late_release and slot.start - now <= timedelta(hours=LATE_RELEASE_HOURS)


def why_not(slot: FreedSlot, waiting: Waiting, now: datetime) -> str | None:
    """The first eligibility rule the entry fails for this slot, in words, or None when it is eligible."""
    if slot.start <= now:
        return "the slot has started"
    if waiting.doctor_id is not None:
        if waiting.doctor_id != slot.doctor_id:
            return "waits for another doctor"
    elif waiting.specialty_id is None or waiting.specialty_id != slot.specialty_id:
        return "waits for another specialty"
    if waiting.hospital_ids and slot.hospital_id not in waiting.hospital_ids:
        return "waits for other hospitals"
    if waiting.radius_km is not None:
        dist = _distance(slot, waiting)
        if dist is not None and dist > waiting.radius_km:
            return f"the hospital is {dist:.0f} km away, beyond {waiting.radius_km:g} km"
    if local_day(slot.start, slot.tz) > waiting.latest:
        return "the slot is after the latest date"
    if waiting.times_of_day and time_of_day(slot.start, slot.tz) not in waiting.times_of_day:
        return "not at a time of day that suits"
    if waiting.appointment_type is not None:
        if slot.appointment_types and waiting.appointment_type not in slot.appointment_types:
            return "the slot does not take that type of appointment"
        minutes = slot.type_minutes.get(waiting.appointment_type)
        if minutes is not None and slot.start + timedelta(minutes=minutes) > slot.end:
            return "the slot is too short for that type of appointment"
    if waiting.current_start is not None and slot.start >= waiting.current_start:
        return "not earlier than the current booking"
    if slot.urgent_only and waiting.urgency != "urgent":
        return "the slot is held for urgent cases"
    if (waiting.urgency != "urgent" and in_urgent_window(slot.start, now, slot.urgent_window_hours)
            and not released_late(slot, now) and not slot.early_release):
        return f"the slot is less than {slot.urgent_window_hours:g} hours ahead: kept for urgent cases"
    return None


def score(slot: FreedSlot, waiting: Waiting, now: datetime) -> Match:
    """Points and reasons of an (eligible) entry for this slot; the module docstring has the table."""
    points, reasons = 0.0, []
    if waiting.urgency == "urgent":
        points += URGENT_POINTS
        reasons.append("urgent")
    waited = max((now - waiting.created_at) / timedelta(days=1), 0.0)
    points += min(WAITED_PER_DAY * waited, WAITED_CAP)
    reasons.append(f"waiting {_days(waited)}")
    if waiting.current_start is None:
        points += GAIN_CAP
        reasons.append("no booking yet")
    else:
        gained = max((waiting.current_start - slot.start) / timedelta(days=1), 0.0)
        points += min(GAIN_PER_DAY * gained, GAIN_CAP)
        reasons.append(f"{_days(gained)} earlier than the current booking")
    dist = _distance(slot, waiting)
    if dist is not None:
        points -= min(DISTANCE_PER_KM * dist, DISTANCE_CAP)
        reasons.append(f"{dist:.1f} km away")
    return Match(waiting, round(points, 3), tuple(reasons), dist)


def _days(days: float) -> str:
    whole = int(days)
    if whole == 0:
        return "less than a day"
    return f"{whole} day{'s' if whole != 1 else ''}"


def rank(slot: FreedSlot, waiting: Iterable[Waiting], now: datetime, *, limit: int | None = None,
         exclude_patients: Iterable[int] = (), open_offers: Mapping[int, int] | None = None,
         max_open_offers: int | None = None) -> list[Match]:
    """The eligible entries for ``slot``, best first; one entry per patient (their best), at most ``limit``.

    A patient with several matching entries (say a specialty and a named doctor) appears once: one offer per
    patient and slot is enough. ``exclude_patients`` leaves out, for example, the patient who just freed the slot;
    a patient already holding ``max_open_offers`` open offers (``open_offers``: patient id -> count) is left out
    too, so the slot goes to the next patients.
    """
    excluded = set(exclude_patients)
    if max_open_offers is not None:
        excluded |= {patient for patient, count in (open_offers or {}).items() if count >= max_open_offers}
    best: dict[int, Match] = {}
    for entry in waiting:
        if entry.patient_id in excluded or why_not(slot, entry, now) is not None:
            continue
        match = score(slot, entry, now)
        held = best.get(entry.patient_id)
        if held is None or _key(match) < _key(held):
            best[entry.patient_id] = match
    ranked = sorted(best.values(), key=_key)
    return ranked if limit is None else ranked[:limit]


def _key(match: Match) -> tuple:
    return -match.score, match.waiting.created_at, match.waiting.entry_id
